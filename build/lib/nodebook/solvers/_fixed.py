"""The fixed-step driver: march over a grid, landing exactly on every requested output time."""

from __future__ import annotations

import math
import warnings

import torch

from ._stats import SolverStats
from ._tableau import ButcherTableau, _combine, rk_stages

MAX_GRID_STEPS = 10_000_000
"""The most steps a ``step_size`` may ask for; beyond it the grid alone would fill the memory."""


def make_grid(t_out: list[float], step_size: float | None) -> list[float]:
    """The times the solver steps through.

    Without ``step_size`` the grid is ``t_out`` itself (one step per output interval, as in
    torchdiffeq). With it, the grid is ``t0 + k * step_size`` merged with the output times, so the
    solver lands exactly on each of them and outputs are never interpolated.

    Raises:
        ValueError: ``step_size`` would need more than :data:`MAX_GRID_STEPS` steps.
    """
    if step_size is None:
        return list(t_out)
    t0, t1 = t_out[0], t_out[-1]
    direction = 1.0 if t1 > t0 else -1.0
    needed = abs(t1 - t0) / step_size
    if needed > MAX_GRID_STEPS:
        raise ValueError(
            f"options['step_size']={step_size:g} over the span {abs(t1 - t0):g} would need {math.ceil(needed):,} "
            f"steps, more than the limit of {MAX_GRID_STEPS:,}; use a larger step_size or method='dopri5'")
    n = math.floor(needed + 1e-9)
    grid = [t0 + direction * k * step_size for k in range(n + 1)]
    merged = sorted(set(grid) | set(t_out), reverse=direction < 0)
    # Drop grid points that sit within round-off of an output time: a tiny step adds error, not accuracy.
    # Output times themselves are never dropped, however close together the user put them.
    tol = 1e-9 * max(abs(t0), abs(t1), step_size)
    outs = set(t_out)
    kept: list[float] = []
    for s in merged:
        if kept and abs(s - kept[-1]) <= tol and not (s in outs and kept[-1] in outs):
            if s in outs:
                kept[-1] = s
            continue
        kept.append(s)
    return kept


class FixedStepSolver:
    """Base class: an explicit Runge–Kutta method given by its Butcher tableau.

    Subclasses set ``name``, ``order`` and ``tableau``. Options: ``step_size`` (float > 0).
    """

    name: str = ""
    order: int = 0
    tableau: ButcherTableau
    adaptive = False
    option_names = ("step_size",)

    def __init__(self, step_size: float | None = None):
        self.step_size = step_size

    def integrate(self, func, y0: torch.Tensor, t_out: list[float], stats: SolverStats,
                  f0: torch.Tensor | None = None, t: torch.Tensor | None = None) -> torch.Tensor:
        """Step through the grid; ``t``: the output times, passed when they require grad."""
        grid = make_grid(t_out, self.step_size)
        tg = torch.tensor(grid, dtype=y0.dtype, device=y0.device)
        shift = _grid_shifts(grid, t_out, t, y0)
        ys = [y0]
        y = y0
        j = 1  # index of the next output time
        for i in range(len(grid) - 1):
            dt = grid[i + 1] - grid[i]
            ti = tg[i]
            if shift is not None:  # the same values, but moving with the output times under autograd
                ti, dt = ti + shift[i], dt + (shift[i + 1] - shift[i])
            ks = rk_stages(func, ti, dt, y, self.tableau, f0=f0 if i == 0 else None)
            y = _combine(y, dt, self.tableau.b, ks)
            stats.n_accepted += 1
            if grid[i + 1] == t_out[j]:
                ys.append(y)
                j += 1
        out = torch.stack(ys)
        _warn_if_not_finite(out, t_out, self.name)
        return out


def _grid_shifts(grid: list[float], t_out: list[float], t: torch.Tensor | None,
                 y0: torch.Tensor) -> list[torch.Tensor] | None:
    """Per grid point, zero in value and one in derivative with respect to the time it moves with.

    An output time moves with itself; a grid point between outputs is ``t0 + k * step_size`` and
    moves with ``t0`` (as torchdiffeq's grid does).
    """
    if t is None:
        return None
    zero = [(s - s.detach()).to(y0.dtype) for s in t.unbind()]
    index = {s: j for j, s in enumerate(t_out)}
    return [zero[index.get(s, 0)] for s in grid]


def _warn_if_not_finite(ys: torch.Tensor, t_out: list[float], method: str) -> None:
    finite = torch.isfinite(ys.reshape(len(t_out), -1)).all(dim=1)
    if not bool(finite.all()):
        k = int((~finite).nonzero()[0])
        warnings.warn(
            f"the {method} solution is not finite from t={t_out[k]:g} on (output {k} of {len(t_out)}): "
            "the step is probably too large for this problem (explicit methods blow up when the step "
            "times the fastest rate is too big); try a smaller step_size or an adaptive method",
            RuntimeWarning,
            stacklevel=4,
        )
