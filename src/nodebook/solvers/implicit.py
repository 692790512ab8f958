"""SDIRK2: an implicit, L-stable, second-order Runge–Kutta method for stiff problems, with Newton's method.

Alexander's two-stage singly diagonally implicit method (γ = 1 − 1/√2)::

    Z₁ = y + γh f(t + γh, Z₁)
    Z₂ = y + (1 − γ)h f(t + γh, Z₁) + γh f(t + h, Z₂),      y_next = Z₂.

Each stage is an implicit equation, solved by a simplified Newton iteration (:mod:`._newton`): the
Jacobian ``J = ∂f/∂y`` is formed once per step by autograd (one backward pass per state entry; by finite
differences when autograd cannot see ``f``, e.g. NumPy inside), refreshed once at the current iterate
when the iteration converges slowly, and both stages share the matrix ``I − γhJ`` (the point of a
*singly* diagonal method), factorised once. The method is L-stable: for ``y' = λy`` with ``hλ → −∞``
the step maps ``y`` to 0, so a fast decaying mode never forces a small step.

Step size: adaptive by default (an embedded first-order estimate ``γh(k₂ − k₁)``, filtered through
``(I − γhJ)⁻¹`` as in Hairer & Wanner §IV.8 so that stiff components do not inflate it), or fixed with
``options={"step_size": h}`` (each output interval in the fewest equal steps of at most ``h``, as the
explicit fixed-step methods). Steps land exactly on the output times (no interpolation). A step whose
Newton iteration fails is retried at a quarter of the size (adaptive) or in halves (fixed, up to
2⁸ pieces); a failure says whether ``f`` returned NaN/inf, Newton did not converge, or the error
stayed too large, with the time and the step. In float32 the relative tolerance is floored at
``32·eps`` (≈ 3.8e-6): below it Newton's iteration and the error estimate are round-off.

Gradients: through :func:`nodebook.odeint` to ``y0``, the parameters and the times ``t``. Newton's
iterations keep no graph; one final Newton step from the converged stage carries it, so the gradient
is the implicit function theorem's, ``dZ = (I − γhJ)⁻¹(d rhs + γh ∂f/∂θ dθ)``, whatever the iterations.

Adjoint on a stiff problem: :func:`nodebook.odeint_adjoint` rebuilds ``z`` backwards in time, and
backwards in time a stiff decaying mode is a fast *growing* one: the backward solve then needs many
more steps than the forward one, whatever the method. Prefer backpropagation through the solver
(``nodebook.odeint(..., method="sdirk2")``): an implicit solve takes few steps, so its graph is small.
If memory forces the adjoint, give it an implicit backward solver (``adjoint_method="sdirk2"``: an
explicit one is limited by stability, not accuracy) and output times close enough that each backward
interval restarts ``z`` from the stored forward solution before it drifts.

The whole state is one Newton unknown (a ``numel(y) × numel(y)`` Jacobian): meant for small stiff systems.
References: Alexander (1977); Hairer & Wanner, *Solving ODEs II*, §IV.6 and §IV.8.
"""

from __future__ import annotations

import math

import torch

from ._fixed import steps_per_interval
from ._newton import JACOBIANS, Failure, attach, iterate
from ._newton import jacobian as _jacobian
from ._stats import SolverError, SolverStats

GAMMA = 1.0 - 1.0 / math.sqrt(2.0)
MAX_HALVINGS = 8  # a fixed step whose Newton iteration fails is split in halves at most this many times


def _rms(x: torch.Tensor) -> float:
    return float(x.detach().pow(2).mean().sqrt()) if x.numel() else 0.0


def jacobian(func, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``∂f/∂y`` at ``(t, y)`` as a ``(numel, numel)`` matrix (autograd; finite differences as a fallback)."""
    return _jacobian(func, t, y)[0]


class _Clock:
    """Times of the output interval ``[a, b]`` as tensors; with ``shift`` they move with ``t[k]``, ``t[k+1]``."""

    def __init__(self, a: float, b: float, shift, k: int, like: torch.Tensor):
        self.a, self.dtype, self.device = a, like.dtype, like.device
        self.base = None if shift is None else shift[k]
        self.stretch = None if shift is None else (shift[k + 1] - shift[k]) / (b - a)

    def time(self, s: float) -> torch.Tensor:
        tt = torch.tensor(s, dtype=self.dtype, device=self.device)
        return tt if self.base is None else tt + self.base + (s - self.a) * self.stretch

    def length(self, dt: float):
        return dt if self.base is None else dt * (1.0 + self.stretch)


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"options[{name!r}] must be a positive int; got {value!r}")
    return value


class SDIRK2:
    """Adaptive (or fixed-step) L-stable SDIRK of order 2 with simplified Newton iterations.

    Options:
        step_size: a fixed step instead of error control (rtol/atol then only set Newton's tolerance).
        max_num_steps: attempted steps before giving up (default 10 000).
        first_step: initial step size of the adaptive mode (default ``0.01 · span``, then adapted).
        newton_max_iter: Newton iterations per stage before the step counts as failed (default 10).
        newton_tol: in (0, 1]; Newton stops when its update (or the remaining error its contraction rate
            predicts) is below this fraction of the error tolerance ``atol + rtol·|y|`` (default 0.01).
        norm: ``norm(scaled_error) -> float`` for the error control (default RMS over all entries).
        jacobian: ``"auto"`` (autograd; finite differences when ``f``'s output is not attached to ``y``),
            ``"autograd"`` (a clear error instead) or ``"finite_difference"``.
    """

    name = "sdirk2"
    order = 2
    adaptive = True
    option_names = ("step_size", "max_num_steps", "first_step", "newton_max_iter", "newton_tol", "norm",
                    "jacobian")

    def __init__(self, rtol: float, atol: float, step_size: float | None = None, max_num_steps: int = 10_000,
                 first_step: float | None = None, newton_max_iter: int = 10, newton_tol: float = 0.01,
                 norm=None, jacobian: str = "auto"):
        self.newton_max_iter = _positive_int("newton_max_iter", newton_max_iter)
        if isinstance(newton_tol, bool) or not isinstance(newton_tol, (int, float)):
            raise TypeError(f"options['newton_tol'] must be a number in (0, 1]; got {type(newton_tol).__name__}")
        if not (0 < newton_tol <= 1):
            raise ValueError(f"options['newton_tol'] must be in (0, 1] (a fraction of the error tolerance); "
                             f"got {newton_tol!r}")
        if norm is not None and not callable(norm):
            raise TypeError(f"options['norm'] must be callable as norm(scaled_error) -> float; got {norm!r}")
        if jacobian not in JACOBIANS:
            raise ValueError(f"options['jacobian'] must be one of {', '.join(JACOBIANS)}; got {jacobian!r}")
        self.rtol, self.atol = rtol, atol
        self.step_size, self.max_num_steps, self.first_step = step_size, max_num_steps, first_step
        self.newton_tol, self.jacobian = float(newton_tol), jacobian
        self.norm = norm if norm is not None else _rms

    def _scale(self, y: torch.Tensor) -> torch.Tensor:
        return self.atol + self._rtol * y.detach().abs()

    def _step(self, func, clock: _Clock, tc: float, dt: float, y: torch.Tensor):
        """One SDIRK2 step from ``tc``: ``(y_next, scaled error, None)`` or ``(None, None, Failure)``."""
        gh, hx = GAMMA * dt, clock.length(dt)
        jac, _ = _jacobian(func, clock.time(tc).detach(), y, self.jacobian)
        eye = torch.eye(jac.shape[0], dtype=y.dtype, device=y.device)
        lu = torch.linalg.lu_factor(eye - gh * jac)
        scale = self._scale(y)
        tol = self.newton_tol * scale + 16 * self._eps * y.detach().abs()
        zs, rhs, guess = [], y, y
        for c in (GAMMA, 1.0):
            ts = clock.time(tc + c * dt)

            def refresh(z, ts=ts):
                return torch.linalg.lu_factor(eye - gh * _jacobian(func, ts.detach(), z, self.jacobian)[0])

            z, lu, fail = iterate(func, ts.detach(), rhs, gh, lu, guess, tol, self.newton_max_iter, self.norm,
                                  refresh)
            if fail is not None:
                return None, None, fail
            if self._graph:
                z = attach(func, ts, rhs, gh, GAMMA * hx, z, self.jacobian)
            zs.append(z)
            if c == GAMMA:  # stage 2: rhs = y + (1 - γ)h k₁ with k₁ = (Z₁ - y)/(γh); guess y + h k₁
                k1 = (z - y) / (GAMMA * hx)
                rhs, guess = y + (1.0 - GAMMA) * hx * k1, (y + dt * k1).detach()
        if self.step_size is not None:
            return zs[1], 0.0, None
        with torch.no_grad():
            diff = (zs[1] - rhs) - (zs[0] - y)  # γh(k₂ - k₁)
            est = torch.linalg.lu_solve(*lu, diff.reshape(-1, 1)).view(y.shape)
            ratio = self.norm(est / torch.maximum(scale, self._scale(zs[1])))
        return zs[1], ratio, None

    def _count(self, stats: SolverStats, tc: float, h: float) -> None:
        if stats.n_accepted + stats.n_rejected >= self.max_num_steps:
            raise SolverError(
                f"sdirk2 stopped after max_num_steps={self.max_num_steps} steps at t={tc:.6g} (integrating from "
                f"{self._t0:g} to {self._t1:g}; last step size {h:.3g}); raise options['max_num_steps'] or "
                "loosen rtol/atol", t=tc, stats=stats)

    def integrate(self, func, y0: torch.Tensor, t_out: list[float], stats: SolverStats,
                  f0: torch.Tensor | None = None, t: torch.Tensor | None = None) -> torch.Tensor:
        """Solve over ``t_out`` (floats); ``t``: the output times when they require grad."""
        self._eps = torch.finfo(y0.dtype).eps
        self._rtol = max(self.rtol, 32 * self._eps)
        self._t0, self._t1 = t_out[0], t_out[-1]
        self._graph = torch.is_grad_enabled() and (
            t is not None or y0.requires_grad or (f0 is not None and f0.requires_grad))
        shift = None if t is None else [(s - s.detach()).to(y0.dtype) for s in t.unbind()]
        span = abs(t_out[-1] - t_out[0])
        fixed = self.step_size is not None
        counts = steps_per_interval(t_out, self.step_size) if fixed else None
        h = self.first_step if self.first_step is not None else 0.01 * span
        ys, y = [y0], y0
        for k in range(len(t_out) - 1):
            clock = _Clock(t_out[k], t_out[k + 1], shift, k, y0)
            if fixed:
                dt = (t_out[k + 1] - t_out[k]) / counts[k]
                for i in range(counts[k]):
                    y = self._fixed_step(func, clock, t_out[k] + i * dt, dt, y, stats)
            else:
                y, h = self._adaptive(func, clock, t_out[k], t_out[k + 1], y, min(h, span), stats, span)
            ys.append(y)
        return torch.stack(ys)

    def _fixed_step(self, func, clock: _Clock, s0: float, dt: float, y: torch.Tensor, stats: SolverStats):
        """The planned step ``[s0, s0 + dt]``, in halves (then quarters, ...) while Newton fails."""
        parts, done = 1, 0
        while done < parts:
            h = dt / parts
            self._count(stats, s0 + done * h, abs(h))
            y1, _, fail = self._step(func, clock, s0 + done * h, h, y)
            if fail is None:
                stats.n_accepted += 1
                stats.accepted.append((s0 + done * h, h))
                y, done = y1, done + 1
                continue
            stats.n_rejected += 1
            stats.rejected.append((s0 + done * h, h))
            if parts >= 2 ** MAX_HALVINGS:
                raise SolverError(
                    f"sdirk2 could not take the fixed step {abs(dt):.3g} at t={s0:.6g}: {fail.detail}, at "
                    f"t={s0 + done * h:.6g} even after halving the step {MAX_HALVINGS} times (to {abs(h):.3g}). "
                    "The solution may blow up here (the implicit equation may have no solution near y); use a "
                    "smaller options['step_size'], or leave it out for adaptive steps.", t=s0 + done * h, stats=stats)
            parts, done = 2 * parts, 2 * done
        return y

    def _adaptive(self, func, clock: _Clock, a: float, b: float, y: torch.Tensor, h: float,
                  stats: SolverStats, span: float):
        """Error-controlled steps from ``a`` to ``b``; returns ``(y(b), next step size)``."""
        direction = 1.0 if b > a else -1.0
        tc, why = a, None
        while direction * (b - tc) > 0:
            self._count(stats, tc, h)
            remaining = abs(b - tc)
            last = h * (1 + 1e-6) >= remaining
            dt = direction * (remaining if last else h)
            y1, ratio, fail = self._step(func, clock, tc, dt, y)
            if fail is None and ratio <= 1.0:
                stats.n_accepted += 1
                stats.accepted.append((tc, dt))
                tc, y = (b if last else tc + dt), y1
                factor = 5.0 if ratio == 0 else min(5.0, max(0.2, 0.9 * ratio ** -0.5))
                h = abs(dt) * factor if not last or factor < 1 else max(h, abs(dt) * factor)
                continue
            stats.n_rejected += 1
            stats.rejected.append((tc, dt))
            if fail is not None:
                why, h = fail, abs(dt) / 4
            elif not math.isfinite(ratio):
                why, h = Failure("nan", "the error estimate was NaN or inf"), abs(dt) / 5
            else:
                why = Failure("error", f"the error estimate stayed above the tolerance (last ratio {ratio:.3g})")
                h = abs(dt) * max(0.2, 0.9 * ratio ** -0.5)
            if h <= 10 * self._eps * max(abs(tc), self._eps * span):
                raise SolverError(
                    f"sdirk2 step size underflowed to {h:.3g} at t={tc:.6g} (integrating from {self._t0:g} to "
                    f"{self._t1:g}; last step tried {abs(dt):.3g}): {why.detail}. The solution may blow up near "
                    f"t={tc:.6g}, or func misbehaves there.", t=tc, stats=stats)
        return y, h
