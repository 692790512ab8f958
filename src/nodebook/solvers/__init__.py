"""ODE solvers written from scratch, with torchdiffeq's calling convention.

``odeint(func, y0, t, method=..., rtol=..., atol=..., options=...)`` returns the solution at the times
``t``, shaped ``(len(t), *y0.shape)``, exactly like ``torchdiffeq.odeint``, so a chapter can swap the two.
``solve`` does the same and also returns what the solver did (:class:`SolverStats`: NFE, accepted and
rejected steps). Gradients flow through every operation of the solver to ``y0``, to the parameters
``func`` uses and to the times ``t`` when they require grad (backpropagation through the solver: every
stage's time carries its graph, while the step sizes the error control picks are constants).
``y0`` may be a tuple of tensors, as in torchdiffeq: ``func`` then gets and returns tuples, and the
output is a tuple of ``(len(t), *y0[i].shape)`` tensors.

Modules: ``euler``, ``midpoint``, ``rk4``, ``rk38`` (fixed-step Runge-Kutta, on ``_fixed`` and ``_tableau``),
``dopri5`` (adaptive Dormand-Prince, its coefficients in ``_dopri5_parts``), ``implicit`` (SDIRK2, with
``_newton``); ``_stats`` (what a solve did), ``_check`` (argument checks), ``_tuple`` (tuple states).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from . import _check, _tuple
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
        ys: ``(len(t), *y0.shape)`` solution at the requested times (a tuple for a tuple ``y0``).
        t: the requested times.
        stats: what the solver did.
        method: the method's name.
    """

    ys: torch.Tensor | tuple[torch.Tensor, ...]
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


def solve(func, y0: torch.Tensor | tuple[torch.Tensor, ...], t: torch.Tensor, *, method: str | None = None,
          rtol: float | None = None, atol: float | None = None, options: dict | None = None) -> Solution:
    """Solve ``dy/dt = func(t, y)``, ``y(t[0]) = y0`` and report what the solver did.

    Args:
        func: ``func(t, y) -> dy/dt``, ``t`` a 0-d tensor, ``y`` and the result shaped like ``y0``.
        y0: ``(*state_shape)`` initial state, e.g. ``(batch, dim)``; float32 or float64. Or a tuple of
            such tensors (one dtype and device): ``func`` then gets and returns tuples.
        t: ``(n,)`` strictly increasing or decreasing output times on ``y0``'s device (``n = 1``
            returns ``y0``). Differentiable when it requires grad.
        method: a key of :data:`SOLVERS`; default ``"dopri5"``.
        rtol, atol: tolerances of adaptive methods (defaults 1e-7 and 1e-9, as torchdiffeq).
        options: fixed-step methods take ``step_size`` (at most ``MAX_GRID_STEPS`` steps); dopri5 takes
            ``max_num_steps``, ``first_step``, ``safety`` in (0, 1], ``ifactor`` >= 1, ``dfactor`` in (0, 1].

    Returns:
        A :class:`Solution` with ``ys`` of shape ``(n, *y0.shape)`` (a tuple of them for a tuple ``y0``).

    Raises:
        TypeError, ValueError: bad input; the message says what was expected and what was got.
        SolverError: the adaptive solver could not continue (step size underflow, ``max_num_steps``).
    """
    method = "dopri5" if method is None else method
    if method not in SOLVERS:
        raise ValueError(f"unknown method {method!r}; known methods: {', '.join(sorted(SOLVERS))}")
    _check.check_func(func)
    packed = _tuple.Packed(y0) if isinstance(y0, tuple) else None
    if packed is not None:
        func, y0 = packed.wrap(func), packed.flat
    _check.check_y0(y0)
    t_out = _check.check_t(t, y0)
    _check.check_time_precision(t_out, t, y0)
    cls = SOLVERS[method]
    opts = _check.check_options(options, method, cls.option_names)
    if cls.adaptive:
        rtol = _check.check_tolerance("rtol", DEFAULT_RTOL if rtol is None else rtol, allow_zero=False)
        atol = _check.check_tolerance("atol", DEFAULT_ATOL if atol is None else atol, allow_zero=True)
        norm = opts.pop("norm", None) or (None if packed is None else packed.norm)  # the adjoint passes its own
        solver = cls(rtol=rtol, atol=atol, norm=norm, **opts)
    else:
        if rtol is not None or atol is not None:
            raise ValueError(
                f"rtol/atol control adaptive methods only; {method!r} is fixed-step: "
                "set options={'step_size': h} instead (or use method='dopri5')")
        solver = cls(**opts)
    stats = SolverStats()
    if len(t_out) == 1:  # nothing to integrate, as in torchdiffeq
        ys = y0.unsqueeze(0)
    else:
        counted = _Counted(func, stats)
        f0 = counted(t[0].to(y0.dtype), y0)
        _check.check_output(f0, y0, t_out[0])
        t_grad = t if (t.requires_grad and torch.is_grad_enabled()) else None
        ys = solver.integrate(counted, y0, t_out, stats, f0, t=t_grad)
    return Solution(ys=ys if packed is None else packed.split(ys), t=t, stats=stats, method=method)


def odeint(func, y0: torch.Tensor | tuple[torch.Tensor, ...], t: torch.Tensor, *, method: str | None = None,
           rtol: float | None = None, atol: float | None = None,
           options: dict | None = None) -> torch.Tensor | tuple[torch.Tensor, ...]:
    """Solve ``dy/dt = func(t, y)`` from ``y0`` and return ``(len(t), *y0.shape)`` (torchdiffeq's API).

    Same arguments as :func:`solve`, which also returns the solver's statistics.
    """
    return solve(func, y0, t, method=method, rtol=rtol, atol=atol, options=options).ys


__all__ = ["SOLVERS", "Solution", "SolverError", "SolverStats", "odeint", "solve"]
