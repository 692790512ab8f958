"""SDIRK2: an implicit, L-stable, second-order Runge–Kutta method for stiff problems, with Newton's method.

Alexander's two-stage singly diagonally implicit method (γ = 1 − 1/√2)::

    Z₁ = y + γh f(t + γh, Z₁)
    Z₂ = y + (1 − γ)h f(t + γh, Z₁) + γh f(t + h, Z₂),      y_next = Z₂.

Each stage is an implicit equation, solved by a simplified Newton iteration: the Jacobian ``J = ∂f/∂y``
is formed once per step by autograd (``torch.autograd.functional.jacobian``, one evaluation of ``f``
plus one backward pass per state entry), and both stages share the same matrix ``I − γhJ`` (that is the
point of a *singly* diagonal method), factorised once. The method is L-stable: for ``y' = λy`` with
``hλ → −∞`` the step maps ``y`` to 0, so a fast decaying mode never forces a small step, which is what
makes explicit methods crawl on stiff problems.

Step size: adaptive by default (an embedded first-order estimate ``γh(k₂ − k₁)``, filtered through
``(I − γhJ)⁻¹`` as in Hairer & Wanner §IV.8 so that stiff components do not inflate it), or fixed with
``options={"step_size": h}``. Steps land exactly on the output times (no interpolation).

When Newton does not converge the adaptive solver retries with a quarter of the step; a fixed step
cannot shrink, so it raises :class:`SolverError` at once, saying where and how far the residual got.
The whole state is one Newton unknown, so the Jacobian is ``numel(y) × numel(y)``: meant for the small
stiff systems of the book, not for a batch of thousands of neural-ODE states.
References: Alexander (1977); Hairer & Wanner, *Solving ODEs II*, §IV.6 and §IV.8.
"""

from __future__ import annotations

import math

import torch

from ._stats import SolverError, SolverStats

GAMMA = 1.0 - 1.0 / math.sqrt(2.0)


def _rms(x: torch.Tensor) -> float:
    return float(x.detach().pow(2).mean().sqrt())


def jacobian(func, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``∂f/∂y`` at ``(t, y)`` as a ``(numel, numel)`` matrix: one evaluation, one backward pass per row.

    (``torch.autograd.functional.jacobian`` does the same; its vectorised mode was ~40 ms per call here
    on a 2-D state, against well under a millisecond for this loop.)
    """
    with torch.enable_grad():
        v = y.detach().requires_grad_(True)
        f = func(t, v).reshape(-1)
        if not f.requires_grad:  # f does not depend on y
            return torch.zeros(f.numel(), f.numel(), dtype=y.dtype, device=y.device)
        rows = [torch.autograd.grad(f[i], v, retain_graph=i < f.numel() - 1, allow_unused=True)[0]
                for i in range(f.numel())]
    return torch.stack([torch.zeros_like(v) if r is None else r for r in rows]).reshape(f.numel(), -1)


class SDIRK2:
    """Adaptive (or fixed-step) L-stable SDIRK of order 2 with simplified Newton iterations.

    Options:
        step_size: a fixed step instead of error control (rtol/atol then only set Newton's tolerance).
        max_num_steps: attempted steps before giving up (default 10 000).
        first_step: initial step size of the adaptive mode (default ``0.01 · span``, then adapted).
        newton_max_iter: Newton iterations per stage before the step counts as failed (default 8).
        newton_tol: Newton stops when the scaled update's RMS is below it (default 0.01: 1% of the
            error tolerance, so the iteration error is far below the local error).
        norm: ``norm(scaled_error) -> float`` for the error control (default RMS over all entries).
    """

    name = "sdirk2"
    order = 2
    adaptive = True
    option_names = ("step_size", "max_num_steps", "first_step", "newton_max_iter", "newton_tol", "norm")

    def __init__(self, rtol: float, atol: float, step_size: float | None = None, max_num_steps: int = 10_000,
                 first_step: float | None = None, newton_max_iter: int = 8, newton_tol: float = 0.01,
                 norm=None):
        self.rtol, self.atol = rtol, atol
        self.step_size, self.max_num_steps, self.first_step = step_size, max_num_steps, first_step
        self.newton_max_iter, self.newton_tol = newton_max_iter, newton_tol
        self.norm = norm if norm is not None else _rms

    def _scale(self, y: torch.Tensor) -> torch.Tensor:
        return self.atol + self.rtol * y.detach().abs()

    def _stage(self, func, t: torch.Tensor, rhs: torch.Tensor, gh: float, lu, guess: torch.Tensor,
               scale: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor, float]:
        """Solve ``Z = rhs + gh·f(t, Z)`` by simplified Newton; ``(Z, f(t, Z), last update)`` or ``Z=None``."""
        z, shape = guess, rhs.shape
        update = math.inf
        for _ in range(self.newton_max_iter):
            fz = func(t, z)
            residual = (z - rhs - gh * fz).reshape(-1, 1)
            delta = torch.linalg.lu_solve(*lu, residual).view(shape)
            z = z - delta
            update = self.norm(delta / scale)
            if not math.isfinite(update):
                return None, fz, update
            if update <= self.newton_tol:
                # f(t, Z) from the stage equation itself, (Z - rhs) / gh: no extra evaluation, and on a stiff
                # problem more accurate than evaluating f at a Z that is converged only to the tolerance.
                return z, (z - rhs) / gh, update
        return None, fz, update

    def _step(self, func, t: float, y: torch.Tensor, h: float, stats: SolverStats):
        """One SDIRK2 step; returns ``(y_next, scaled error)`` or ``(None, Newton's last update)``."""
        tt = torch.tensor(t, dtype=y.dtype, device=y.device)
        jac = jacobian(func, tt, y)
        n = y.numel()
        eye = torch.eye(n, dtype=y.dtype, device=y.device)
        lu = torch.linalg.lu_factor(eye - GAMMA * h * jac)
        scale = self._scale(y)
        t1 = torch.tensor(t + GAMMA * h, dtype=y.dtype, device=y.device)
        z1, k1, upd = self._stage(func, t1, y, GAMMA * h, lu, y, scale)
        if z1 is None:
            return None, upd
        rhs2 = y + (1.0 - GAMMA) * h * k1
        t2 = torch.tensor(t + h, dtype=y.dtype, device=y.device)
        z2, k2, upd = self._stage(func, t2, rhs2, GAMMA * h, lu, z1, scale)
        if z2 is None:
            return None, upd
        if self.step_size is not None:
            return z2, 0.0
        est = torch.linalg.lu_solve(*lu, (GAMMA * h * (k2 - k1)).reshape(-1, 1)).view(y.shape)
        return z2, self.norm(est / torch.maximum(scale, self._scale(z2)))

    def integrate(self, func, y0: torch.Tensor, t_out: list[float], stats: SolverStats,
                  f0: torch.Tensor | None = None, t: torch.Tensor | None = None) -> torch.Tensor:
        if t is not None:
            raise ValueError("sdirk2 does not differentiate with respect to the times t; got t with "
                             "requires_grad=True (pass t.detach(), or use an explicit method)")
        t0, t_end = t_out[0], t_out[-1]
        direction = 1.0 if t_end > t0 else -1.0
        span = abs(t_end - t0)
        fixed = self.step_size is not None
        h = self.step_size if fixed else (self.first_step if self.first_step is not None else 0.01 * span)
        eps = torch.finfo(y0.dtype).eps
        ys, t, y = [y0], t0, y0
        for target in t_out[1:]:
            while direction * (target - t) > 0:
                if stats.n_accepted + stats.n_rejected >= self.max_num_steps:
                    raise SolverError(
                        f"sdirk2 stopped after max_num_steps={self.max_num_steps} steps at t={t:.6g} "
                        f"(integrating from {t0:g} to {t_end:g}; last step size {h:.3g}); "
                        "raise options['max_num_steps'] or loosen rtol/atol", t=t, stats=stats)
                remaining = abs(target - t)
                last = h >= remaining * (1 - 1e-12)
                dt = direction * (remaining if last else h)
                y1, ratio = self._step(func, t, y, dt, stats)
                if y1 is None:  # Newton failed
                    if fixed:
                        raise SolverError(
                            f"sdirk2: Newton's iteration did not converge at t={t:.6g} with the fixed step "
                            f"{abs(dt):.3g} (last scaled update {ratio:.3g} after {self.newton_max_iter} "
                            "iterations; the implicit equation may have no solution near y). Use a smaller "
                            "options['step_size'], or leave it out for adaptive steps.", t=t, stats=stats)
                    stats.n_rejected += 1
                    stats.rejected.append((t, dt))
                    h = abs(dt) / 4
                elif fixed or ratio <= 1.0:
                    stats.n_accepted += 1
                    stats.accepted.append((t, dt))
                    t, y = (target if last else t + dt), y1
                    if not fixed:
                        factor = 5.0 if ratio == 0 else min(5.0, max(0.2, 0.9 * ratio ** -0.5))
                        h = abs(dt) * factor if not last or factor < 1 else max(h, abs(dt) * factor)
                    continue
                else:
                    stats.n_rejected += 1
                    stats.rejected.append((t, dt))
                    h = abs(dt) * max(0.2, 0.9 * ratio ** -0.5)
                if h <= 10 * eps * max(1.0, abs(t)):
                    raise SolverError(
                        f"sdirk2 step size underflowed to {h:.3g} at t={t:.6g} (integrating from {t0:g} to "
                        f"{t_end:g}): Newton's iteration kept failing or the error stayed too large. The "
                        "solution may blow up near this time, or func may not be differentiable in y.",
                        t=t, stats=stats)
            ys.append(y)
        return torch.stack(ys)
