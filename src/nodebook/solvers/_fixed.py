"""The fixed-step driver: march over a grid, landing exactly on every requested output time."""

from __future__ import annotations

import math
import warnings

import torch

from ._stats import SolverStats
from ._tableau import ButcherTableau, _combine, rk_stages

MAX_GRID_STEPS = 10_000_000
"""The most steps a ``step_size`` may ask for; beyond it the grid alone would fill the memory."""

_F32 = torch.finfo(torch.float32).eps


def steps_per_interval(t_out: list[float], step_size: float | None) -> list[int]:
    """How many equal steps each output interval ``[t_out[k-1], t_out[k]]`` is split into.

    Without ``step_size``: one per interval (as torchdiffeq). With it: the fewest equal steps no longer
    than ``step_size``, give or take round-off of the times. A gap that exceeds ``step_size`` only by
    round-off (float32 times against a step computed in float64, say) is one step, not a step plus a
    sliver: the slack is 64 ulps of the largest time in the dtype the times are exact in.

    Raises:
        ValueError: ``step_size`` would need more than :data:`MAX_GRID_STEPS` steps.
    """
    if step_size is None:
        return [1] * (len(t_out) - 1)
    t0, t1 = t_out[0], t_out[-1]
    needed = abs(t1 - t0) / step_size
    if needed > MAX_GRID_STEPS:
        raise ValueError(
            f"options['step_size']={step_size:g} over the span {abs(t1 - t0):g} would need {math.ceil(needed):,} "
            f"steps, more than the limit of {MAX_GRID_STEPS:,}; use a larger step_size or method='dopri5'")
    times = torch.tensor(t_out, dtype=torch.float64)
    as_f32 = bool((times.float().double() == times).all())
    eps = _F32 if as_f32 else torch.finfo(torch.float64).eps
    slack = 64 * eps * max(abs(t0), abs(t1), step_size)
    return [max(1, math.ceil((abs(b - a) - slack) / step_size)) for a, b in zip(t_out[:-1], t_out[1:], strict=True)]


def make_grid(t_out: list[float], step_size: float | None) -> list[float]:
    """The times the solver steps through: each output interval split into equal steps.

    Every output time is on the grid exactly (outputs are never interpolated), and no step is a
    round-off sliver. See :func:`steps_per_interval`.
    """
    grid = [t_out[0]]
    for a, b, n in zip(t_out[:-1], t_out[1:], steps_per_interval(t_out, step_size), strict=True):
        grid += [a + i * ((b - a) / n) for i in range(1, n)] + [b]
    return grid


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
        """Step through each output interval in equal steps; ``t``: the output times when they require grad.

        With ``t`` the step times carry its graph: inside ``[t_{k-1}, t_k]`` the i-th of n steps starts at
        ``t_{k-1} + (i/n)(t_k - t_{k-1})``, so it moves with both ends, and the result is differentiable
        in every output time (the number of steps, chosen in floats, is a constant).
        """
        counts = steps_per_interval(t_out, self.step_size)
        shift = None if t is None else [(s - s.detach()).to(y0.dtype) for s in t.unbind()]
        ys = [y0]
        y = y0
        for k, n in enumerate(counts):
            a, b = t_out[k], t_out[k + 1]
            dt = (b - a) / n
            ta = torch.tensor(a, dtype=y0.dtype, device=y0.device)
            if shift is not None:  # the same values, moving with the output times under autograd
                ta, dt = ta + shift[k], (b - a + (shift[k + 1] - shift[k])) / n
            stage_times = _stage_times(a, dt, n, self.tableau.c, y0) if shift is None else None
            for i in range(n):
                first = f0 if k == i == 0 else None
                if stage_times is None:
                    ks = rk_stages(func, ta if i == 0 else ta + i * dt, dt, y, self.tableau, f0=first)
                else:
                    ks = _stages_at(func, stage_times[i], dt, y, self.tableau, first)
                y = _combine(y, dt, self.tableau.b, ks)
            stats.n_accepted += n
            ys.append(y)
        out = torch.stack(ys)
        _warn_if_not_finite(out, t_out, self.name)
        return out


def _stage_times(a: float, dt: float, n: int, nodes: tuple[float, ...], like: torch.Tensor) -> list[tuple]:
    """Every stage time of ``n`` steps of size ``dt`` from ``a``, as 0-d tensors made in one call.

    Step ``i``'s stage ``s`` is at ``a + (i + c_s)·dt``, computed in float64 and rounded once to ``like``'s
    dtype; stages sharing a node (RK4's two midpoints) share one tensor.
    """
    distinct = sorted(set(nodes))
    flat = torch.tensor([[a + (i + c) * dt for c in distinct] for i in range(n)],
                        dtype=like.dtype, device=like.device).view(-1).unbind()
    at = [distinct.index(c) for c in nodes]
    width = len(distinct)
    return [tuple(flat[i * width + j] for j in at) for i in range(n)]


def _stages_at(func, times: tuple, dt: float, y: torch.Tensor, tab: ButcherTableau,
               f0: torch.Tensor | None) -> list[torch.Tensor]:
    """The stage slopes of one explicit step whose stage times are given (see :func:`_stage_times`)."""
    ks = [func(times[0], y) if f0 is None else f0]
    for i in range(1, len(tab.c)):
        ks.append(func(times[i], _combine(y, dt, tab.a[i], ks)))
    return ks


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
