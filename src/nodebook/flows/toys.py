"""The 2-D toy densities of FFJORD's code (``lib/toy_data.py`` of rtqichen/ffjord), draw for draw.

Each sampler makes the same NumPy calls, in the same order, as that recipe does, from one
``numpy.random.RandomState(seed)`` (FFJORD mixes a passed ``rng``, NumPy's global generator and
scikit-learn's; seeding the global generator with the same seed makes them one stream). So
``sample_toy(name, n, seed=s)`` returns FFJORD's batch for ``np.random.seed(s)`` and
``rng=np.random.RandomState(s)``, except where FFJORD returns fewer than ``n`` points: ``pinwheel`` for
``n`` not divisible by 5 and ``2spirals`` for odd ``n`` (FFJORD returns ``5 ⌊n/5⌋`` and ``2 ⌊n/2⌋``
points); here the next size up is drawn and cut to ``n``.

:func:`toy_entropy` gives the differential entropy of a toy density, the lowest expected test NLL any
model can reach: exact for ``checkerboard`` (``log 32``), by quadrature for the densities that are a
smooth curve or point set plus Gaussian noise (:mod:`.entropy`), ``None`` for ``pinwheel`` (no such form).
"""

from __future__ import annotations

import functools
import math

import numpy as np

_S = 1 / math.sqrt(2)
_EIGHT = 4.0 * np.array([(1, 0), (-1, 0), (0, 1), (0, -1), (_S, _S), (_S, -_S), (-_S, _S), (-_S, -_S)])


def _eight_gaussians(n: int, rng: np.random.RandomState) -> np.ndarray:
    out = np.empty((n, 2))
    for i in range(n):  # one point, then its centre: the order of FFJORD's draws (randn caches a value)
        point = rng.randn(2) * 0.5
        out[i] = point + _EIGHT[rng.randint(8)]
    return out / 1.414


def _pinwheel(n: int, rng: np.random.RandomState) -> np.ndarray:
    arms, per_arm = 5, -(-n // 5)
    feats = rng.randn(arms * per_arm, 2) * np.array([0.3, 0.1])
    feats[:, 0] += 1.0
    labels = np.repeat(np.arange(arms), per_arm)
    angles = np.linspace(0, 2 * np.pi, arms, endpoint=False)[labels] + 0.25 * np.exp(feats[:, 0])
    c, s = np.cos(angles), np.sin(angles)
    # x_j = sum_i f_i R_ij with R = [[c, -s], [s, c]]: each point turned by -angle (FFJORD's orientation)
    turned = np.stack([feats[:, 0] * c + feats[:, 1] * s, -feats[:, 0] * s + feats[:, 1] * c], 1)
    return 2 * rng.permutation(turned)[:n]


def _checkerboard(n: int, rng: np.random.RandomState) -> np.ndarray:
    x1 = rng.rand(n) * 4 - 2
    x2 = rng.rand(n) - rng.randint(0, 2, n) * 2 + np.floor(x1) % 2
    return 2 * np.stack([x1, x2], 1)


def _two_spirals(n: int, rng: np.random.RandomState) -> np.ndarray:
    k = -(-n // 2)
    r = np.sqrt(rng.rand(k, 1)) * 540 * (2 * np.pi) / 360
    dx = -np.cos(r) * r + rng.rand(k, 1) * 0.5
    dy = np.sin(r) * r + rng.rand(k, 1) * 0.5
    x = np.vstack([np.hstack([dx, dy]), np.hstack([-dx, -dy])]) / 3
    return (x + rng.randn(*x.shape) * 0.1)[:n]


def _moons(n: int, rng: np.random.RandomState) -> np.ndarray:
    from sklearn.datasets import make_moons

    return make_moons(n_samples=n, noise=0.1, random_state=rng)[0] * 2 + np.array([-1, -0.2])


def _circles(n: int, rng: np.random.RandomState) -> np.ndarray:
    from sklearn.datasets import make_circles

    return make_circles(n_samples=n, factor=0.5, noise=0.08, random_state=rng)[0] * 3  # noise before scaling


def _rings(n: int, rng: np.random.RandomState) -> np.ndarray:
    from sklearn.utils import shuffle

    quarter = n // 4
    sizes, radii = (quarter, quarter, quarter, n - 3 * quarter), (1.0, 0.75, 0.5, 0.25)
    theta = [np.linspace(0, 2 * np.pi, m, endpoint=False) for m in sizes]
    x = np.concatenate([np.cos(t) * r for t, r in zip(theta, radii, strict=True)])
    y = np.concatenate([np.sin(t) * r for t, r in zip(theta, radii, strict=True)])
    pts = shuffle(np.stack([x, y], 1) * 3.0, random_state=rng)
    return pts + rng.normal(scale=0.08, size=pts.shape)  # noise after scaling


def _swissroll(n: int, rng: np.random.RandomState) -> np.ndarray:
    from sklearn.datasets import make_swiss_roll

    return make_swiss_roll(n_samples=n, noise=1.0, random_state=rng)[0][:, [0, 2]] / 5


SAMPLERS = {"8gaussians": _eight_gaussians, "pinwheel": _pinwheel, "checkerboard": _checkerboard,
            "2spirals": _two_spirals, "moons": _moons, "circles": _circles, "swissroll": _swissroll,
            "rings": _rings}


def check_name(name: object, valid: tuple[str, ...], what: str) -> str:
    """``name`` if it is one of ``valid``; else a ``ValueError`` that lists the valid names."""
    if not isinstance(name, str) or name not in valid:
        raise ValueError(f"unknown {what} {name!r}; valid names: {', '.join(valid)}")
    return name


# ------------------------------------------------------------------------ the best NLL a model can reach
@functools.cache
def toy_entropy(name: str) -> float | None:
    """The differential entropy (nats) of the toy density ``name``: the optimum of the expected test NLL.

    ``checkerboard`` is uniform on 8 squares of side 2: ``log 32``. ``pinwheel`` has no closed form and no
    curve-plus-noise form: ``None``. The others are computed by quadrature on a grid
    (:func:`nodebook.flows.entropy.quadrature_entropy`, about 1e-3 nats).
    """
    from .entropy import quadrature_entropy

    check_name(name, tuple(SAMPLERS), "toy density")
    if name == "checkerboard":
        return math.log(32)
    if name == "pinwheel":
        return None
    return quadrature_entropy(name)
