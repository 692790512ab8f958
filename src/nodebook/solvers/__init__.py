"""ODE solvers written from scratch, with torchdiffeq's calling convention.

``odeint(func, y0, t, method=..., rtol=..., atol=..., options=...)`` returns the solution at the times
``t``, shaped ``(len(t), *y0.shape)``, exactly like ``torchdiffeq.odeint``, so a chapter can swap the two.
``solve`` does the same and also returns what the solver did (:class:`SolverStats`: NFE, accepted and
rejected steps). Gradients flow through every operation of the solver to ``y0`` and to the parameters
``func`` uses (backpropagation through the solver); times are not differentiated.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from . import _check
from ._stats import SolverError, SolverStats
from .dopri5 import Dopri5
from .euler import Euler
from .implicit import SDIRK2
from .midpoint import Midpoint
from .rk4 import RK4
from .rk38 import RK38

SOLVERS = {cls.name: cls for cls in (Euler, Midpoint, RK4, RK38, Dopri5)}
"""Method name → solver class. Fixed-step: euler, midpoint, rk4, rk38. Adaptive: dopri5."""
SOLVERS[SDIRK2.name] = SDIRK2  # implicit (Newton), for stiff problems: see .implicit

DEFAULT_RTOL = 1e-7
DEFAULT_ATOL = 1e-9


@dataclass
class Solution:
    """The result of :func:`solve`.

    Attributes:
        ys: ``(len(t), *y0.shape)`` solution at the requested times.
        t: the requested times.
        stats: what the solver did.
        method: the method's name.
    """

    ys: torch.Tensor
    t: torch.Tensor
    stats: SolverStats
    method: str


class _Counted:
    """Wraps ``func`` to count its calls into ``stats.nfe``."""

    def __init__(self, func, stats: SolverStats):
        self.func, self.stats = func, stats

    def __call__(self, t, y):
        self.stats.nfe += 1
        return self.func(t, y)


def solve(func, y0: torch.Tensor, t: torch.Tensor, *, method: str | None = None, rtol: float | None = None,
          atol: float | None = None, options: dict | None = None) -> Solution:
    """Solve ``dy/dt = func(t, y)``, ``y(t[0]) = y0`` and report what the solver did.

    Args:
        func: ``func(t, y) -> dy/dt``, ``t`` a 0-d tensor, ``y`` and the result shaped like ``y0``.
        y0: ``(*state_shape)`` initial state, e.g. ``(batch, dim)``; float32 or float64.
        t: ``(n,)`` strictly increasing or decreasing output times, ``n >= 2``, on ``y0``'s device.
        method: a key of :data:`SOLVERS`; default ``"dopri5"``.
        rtol, atol: tolerances of adaptive methods (defaults 1e-7 and 1e-9, as torchdiffeq).
        options: fixed-step methods take ``step_size``; dopri5 takes ``max_num_steps``,
            ``first_step``, ``safety``, ``ifactor``, ``dfactor``.

    Returns:
        A :class:`Solution` with ``ys`` of shape ``(n, *y0.shape)``.

    Raises:
        TypeError, ValueError: bad input; the message says what was expected and what was got.
        SolverError: the adaptive solver could not continue (step size underflow, ``max_num_steps``).
    """
    method = "dopri5" if method is None else method
    if method not in SOLVERS:
        raise ValueError(f"unknown method {method!r}; known methods: {', '.join(sorted(SOLVERS))}")
    _check.check_func(func)
    _check.check_y0(y0)
    t_out = _check.check_t(t, y0)
    cls = SOLVERS[method]
    opts = _check.check_options(options, method, cls.option_names)
    stats = SolverStats()
    counted = _Counted(func, stats)
    f0 = counted(t[0].to(y0.dtype), y0)
    _check.check_output(f0, y0, t_out[0])
    if cls.adaptive:
        rtol = _check.check_tolerance("rtol", DEFAULT_RTOL if rtol is None else rtol, allow_zero=False)
        atol = _check.check_tolerance("atol", DEFAULT_ATOL if atol is None else atol, allow_zero=True)
        ys = cls(rtol=rtol, atol=atol, **opts).integrate(counted, y0, t_out, stats, f0)
    else:
        if rtol is not None or atol is not None:
            raise ValueError(
                f"rtol/atol control adaptive methods only; {method!r} is fixed-step: "
                "set options={'step_size': h} instead (or use method='dopri5')")
        ys = cls(**opts).integrate(counted, y0, t_out, stats, f0)
    return Solution(ys=ys, t=t, stats=stats, method=method)


def odeint(func, y0: torch.Tensor, t: torch.Tensor, *, method: str | None = None, rtol: float | None = None,
           atol: float | None = None, options: dict | None = None) -> torch.Tensor:
    """Solve ``dy/dt = func(t, y)`` from ``y0`` and return ``(len(t), *y0.shape)`` (torchdiffeq's API).

    Same arguments as :func:`solve`, which also returns the solver's statistics.
    """
    return solve(func, y0, t, method=method, rtol=rtol, atol=atol, options=options).ys


__all__ = ["SOLVERS", "Solution", "SolverError", "SolverStats", "odeint", "solve"]
