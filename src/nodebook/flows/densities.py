"""Two-dimensional densities to fit: samplers of the classic toy sets, and unnormalised target densities.

* :func:`sample_toy` draws from the toy sets of the FFJORD paper's code (``8gaussians``, ``pinwheel``,
  ``checkerboard``, ``2spirals``, ``moons``, ``circles``, ``swissroll``, ``rings``), the same points as
  that code for the same NumPy seed (see :mod:`.toys`), from a private generator.
* :func:`target_log_density` evaluates an unnormalised log-density ``log p̃(x)`` (``TARGETS``), the kind of
  target a flow is fitted to by minimising ``KL(q‖p)`` when there are no samples, only a formula
  (Rezende & Mohamed's energy functions; the wave gets a Gaussian envelope so it is normalisable).
* :func:`log_normaliser` integrates ``p̃`` on a grid, so a fitted ``KL(q‖p)`` can be reported in nats.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from .. import _validate
from .toys import SAMPLERS, check_name

TOY_DENSITIES = ("8gaussians", "pinwheel", "checkerboard", "2spirals", "moons", "circles", "swissroll", "rings")
"""Names accepted by :func:`sample_toy`."""


def sample_toy(name: str, n: int, *, seed: int = 0, dtype: torch.dtype = torch.float32,
               device: torch.device | str | None = None) -> torch.Tensor:
    """``n`` points from the toy density ``name`` (one of :data:`TOY_DENSITIES`), as FFJORD's code draws them.

    Args:
        name: e.g. ``"8gaussians"``; an unknown name raises a ``ValueError`` listing the valid ones.
        n: number of points.
        seed: seed of a private ``numpy.random.RandomState`` (the global random state is not touched);
            FFJORD's ``inf_train_gen(name, np.random.RandomState(seed), n)`` after ``np.random.seed(seed)``
            gives the same points.
        dtype, device: of the result (drawn on the CPU in float64, then converted).

    Returns:
        ``(n, 2)`` points, roughly within ``[-4, 4]²``.
    """
    check_name(name, TOY_DENSITIES, "toy density")
    n = _validate.positive_int("n", n)
    x = SAMPLERS[name](n, np.random.RandomState(_validate.seed(seed) % 2**32))
    return torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64)).to(device=device, dtype=dtype)


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
