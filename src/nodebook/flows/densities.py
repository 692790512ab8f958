"""Two-dimensional densities to fit: samplers of the classic toy sets, and unnormalised target densities.

* :func:`sample_toy` draws from the toy sets of the FFJORD paper's code (``8gaussians``, ``pinwheel``,
  ``checkerboard``, ``2spirals``, ``moons``, ``circles``, ``swissroll``, ``rings``), re-written in torch
  with a private generator: the same seed gives the same points on every machine and device.
* :func:`target_log_density` evaluates an unnormalised log-density ``log p̃(x)`` (``TARGETS``), the kind of
  target a flow is fitted to by minimising ``KL(q‖p)`` when there are no samples, only a formula
  (Rezende & Mohamed's energy functions; the wave gets a Gaussian envelope so it is normalisable).
* :func:`log_normaliser` integrates ``p̃`` on a grid, so a fitted ``KL(q‖p)`` can be reported in nats.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from .. import _validate
from ..data import two_moons

TOY_DENSITIES = ("8gaussians", "pinwheel", "checkerboard", "2spirals", "moons", "circles", "swissroll", "rings")
"""Names accepted by :func:`sample_toy`."""


def _gen(seed: int) -> torch.Generator:
    return torch.Generator(device="cpu").manual_seed(_validate.seed(seed))


def _normal(n: int, g: torch.Generator, d: int = 2) -> torch.Tensor:
    return torch.randn(n, d, generator=g, dtype=torch.float64)


def _uniform(n: int, g: torch.Generator, d: int = 2) -> torch.Tensor:
    return torch.rand(n, d, generator=g, dtype=torch.float64)


def _eight_gaussians(n: int, g: torch.Generator) -> torch.Tensor:
    s = 1 / math.sqrt(2)
    centers = 4.0 * torch.tensor([[1, 0], [-1, 0], [0, 1], [0, -1], [s, s], [s, -s], [-s, s], [-s, -s]],
                                 dtype=torch.float64)
    idx = torch.randint(0, 8, (n,), generator=g)
    return (0.5 * _normal(n, g) + centers[idx]) / 1.414


def _pinwheel(n: int, g: torch.Generator) -> torch.Tensor:
    arms, rate = 5, 0.25
    feats = _normal(n, g) * torch.tensor([0.3, 0.1], dtype=torch.float64)
    feats[:, 0] += 1.0
    labels = torch.arange(n) % arms
    angles = 2 * math.pi * labels / arms + rate * feats[:, 0].exp()
    c, s = angles.cos(), angles.sin()
    rot = torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)  # (n, 2, 2)
    return 2 * torch.einsum("ni,nji->nj", feats, rot)


def _checkerboard(n: int, g: torch.Generator) -> torch.Tensor:
    x1 = 4 * torch.rand(n, generator=g, dtype=torch.float64) - 2
    x2 = torch.rand(n, generator=g, dtype=torch.float64) - 2 * torch.randint(0, 2, (n,), generator=g)
    x2 = x2 + torch.floor(x1) % 2
    return 2 * torch.stack([x1, x2], 1)


def _two_spirals(n: int, g: torch.Generator) -> torch.Tensor:
    k = (n + 1) // 2  # one arm, and its mirror image through the origin
    r = torch.rand(k, generator=g, dtype=torch.float64).sqrt() * 540 * 2 * math.pi / 360
    d = torch.stack([-r.cos() * r, r.sin() * r], 1) + 0.5 * _uniform(k, g)
    return torch.cat([d, -d])[:n] / 3 + 0.1 * _normal(n, g)


def _moons(n: int, g: torch.Generator) -> torch.Tensor:
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=g))
    x, _ = two_moons(n, noise=0.1, seed=seed, dtype=torch.float64)
    return 2 * x + torch.tensor([-1.0, -0.2], dtype=torch.float64)


def _rings_of(radii: list[float], n: int, g: torch.Generator, scale: float) -> torch.Tensor:
    which = torch.randint(0, len(radii), (n,), generator=g)
    r = torch.tensor(radii, dtype=torch.float64)[which]
    theta = 2 * math.pi * torch.rand(n, generator=g, dtype=torch.float64)
    x = torch.stack([r * theta.cos(), r * theta.sin()], 1) * scale
    return x + 0.08 * _normal(n, g)


def _swissroll(n: int, g: torch.Generator) -> torch.Tensor:
    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=g, dtype=torch.float64))
    x = torch.stack([t * t.cos(), t * t.sin()], 1) + _normal(n, g)
    return x / 5


_SAMPLERS: dict[str, Callable[[int, torch.Generator], torch.Tensor]] = {
    "8gaussians": _eight_gaussians, "pinwheel": _pinwheel, "checkerboard": _checkerboard,
    "2spirals": _two_spirals, "moons": _moons,
    "circles": lambda n, g: _rings_of([1.0, 0.5], n, g, 3.0),
    "swissroll": _swissroll,
    "rings": lambda n, g: _rings_of([1.0, 0.8, 0.55, 0.25], n, g, 3.0),
}


def check_name(name: object, valid: tuple[str, ...], what: str) -> str:
    """``name`` if it is one of ``valid``; else a ``ValueError`` that lists the valid names."""
    if not isinstance(name, str) or name not in valid:
        raise ValueError(f"unknown {what} {name!r}; valid names: {', '.join(valid)}")
    return name


def sample_toy(name: str, n: int, *, seed: int = 0, dtype: torch.dtype = torch.float32,
               device: torch.device | str | None = None) -> torch.Tensor:
    """``n`` points from the toy density ``name`` (one of :data:`TOY_DENSITIES`).

    Args:
        name: e.g. ``"8gaussians"``; an unknown name raises a ``ValueError`` listing the valid ones.
        n: number of points.
        seed: seed of the private generator (the global random state is not touched).
        dtype, device: of the result (drawn on the CPU in float64, then converted).

    Returns:
        ``(n, 2)`` points, roughly within ``[-4, 4]²``.
    """
    check_name(name, TOY_DENSITIES, "toy density")
    n = _validate.positive_int("n", n)
    return _SAMPLERS[name](n, _gen(seed)).to(device=device, dtype=dtype)


# ---------------------------------------------------------------------------------- unnormalised targets
def _ring(x: torch.Tensor) -> torch.Tensor:
    r = x.norm(dim=-1)
    modes = torch.logsumexp(torch.stack([-0.5 * ((x[..., 0] - s) / 0.6) ** 2 for s in (2.0, -2.0)]), 0)
    return -0.5 * ((r - 2) / 0.4) ** 2 + modes


def _wave(x: torch.Tensor) -> torch.Tensor:
    w1 = torch.sin(math.pi * x[..., 0] / 2)
    return -0.5 * ((x[..., 1] - w1) / 0.4) ** 2 - 0.5 * (x[..., 0] / 2) ** 2


def _four_modes(x: torch.Tensor) -> torch.Tensor:
    c = torch.tensor([[2.0, 2.0], [-2.0, 2.0], [-2.0, -2.0], [2.0, -2.0]], dtype=x.dtype, device=x.device)
    d2 = ((x[..., None, :] - c) ** 2).sum(-1)  # (..., 4)
    return torch.logsumexp(-0.5 * d2 / 0.5**2, -1)


TARGETS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"ring": _ring, "wave": _wave,
                                                               "four_modes": _four_modes}
"""Unnormalised 2-D log-densities ``log p̃(x)``: a ring with two bright spots (Rezende & Mohamed's U1), a
sine wave under a Gaussian envelope (their U2, made normalisable), and four well-separated modes."""


def target_log_density(name: str, x: torch.Tensor) -> torch.Tensor:
    """``log p̃(x)`` of the target ``name`` (a key of :data:`TARGETS`) at points ``x``: ``(n, 2)`` → ``(n,)``."""
    check_name(name, tuple(TARGETS), "target density")
    check_points(x)
    return TARGETS[name](x)


def check_points(x: object, dim: int = 2) -> torch.Tensor:
    """``x`` if it is a floating ``(n, dim)`` tensor; else an error saying what was got."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"points must be a floating-point tensor shaped (n, {dim}); got {_validate.describe(x)}")
    if x.dim() != 2 or x.shape[1] != dim:
        raise ValueError(f"points must be shaped (n, {dim}); got shape {tuple(x.shape)}")
    return x


def grid(lim: float = 4.0, n: int = 64, *, dtype: torch.dtype = torch.float32,
         device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor, float]:
    """An ``n × n`` grid over ``[-lim, lim]²``: the axis ``(n,)``, the points ``(n*n, 2)`` (row-major,
    ``x`` varying fastest) and the area of one cell."""
    n = _validate.positive_int("n", n, minimum=2)
    axis = torch.linspace(-lim, lim, n, dtype=dtype, device=device)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    cell = float(axis[1] - axis[0]) ** 2
    return axis, torch.stack([xx.reshape(-1), yy.reshape(-1)], 1), cell


def log_normaliser(name: str, *, lim: float = 6.0, n: int = 400) -> float:
    """``log ∫ p̃(x) dx`` of a target, by the midpoint rule on an ``n × n`` grid over ``[-lim, lim]²``."""
    _, pts, cell = grid(lim, n, dtype=torch.float64)
    return float(torch.logsumexp(target_log_density(name, pts), 0) + math.log(cell))
