"""Dormand–Prince 5(4): an adaptive Runge–Kutta pair with error control and dense output.

Each step computes seven slopes; the fifth-order combination advances the solution and the difference
to the embedded fourth-order one estimates the local error. The last slope is the first of the next
step ("first same as last"), so an accepted step costs six evaluations. Output times between steps are
filled in by the pair's fourth-order continuous extension, so they do not shorten the steps.
References: Dormand & Prince (1980); Hairer, Nørsett & Wanner, *Solving ODEs I*, §II.4–II.6.
"""

from __future__ import annotations

import math

import torch

from ._dopri5_parts import DENSE, ERROR, TABLEAU, _dense_const, _stages, _time_shifts
from ._stats import SolverError, SolverStats
from ._tableau import _combine, _weighted_sum, rk_stages


def rms(x: torch.Tensor) -> float:
    """Root mean square of ``x`` (0 for an empty tensor: nothing to be wrong about)."""
    return float(x.detach().pow(2).mean().sqrt()) if x.numel() else 0.0


class Dopri5:
    """Adaptive Dormand–Prince 5(4) solver.

    Options:
        max_num_steps: attempted steps (accepted + rejected) before giving up (default 10 000).
        first_step: initial step size; chosen automatically when omitted.
        safety, ifactor, dfactor: step-size controller, after every trial step, accepted or not:
            ``h ← h · min(ifactor, max(dfactor, safety · err^(-1/5)))`` with defaults 0.9, 10, 0.2
            (``err = 0`` grows the step by ``ifactor``).
        norm: ``norm(scaled_error) -> float`` of the error divided elementwise by ``atol + rtol·|y|``
            (default: RMS over all entries; tuple states: the largest part's RMS). The adjoint passes its own.
    """

    name = "dopri5"
    order = 5
    adaptive = True
    option_names = ("max_num_steps", "first_step", "safety", "ifactor", "dfactor", "norm")

    def __init__(self, rtol: float, atol: float, max_num_steps: int = 10_000, first_step: float | None = None,
                 safety: float = 0.9, ifactor: float = 10.0, dfactor: float = 0.2, norm=None):
        if norm is not None and not callable(norm):
            raise TypeError(f"options['norm'] must be callable as norm(scaled_error) -> float; got {norm!r}")
        self.rtol, self.atol = rtol, atol
        self.max_num_steps = max_num_steps
        self.first_step = first_step
        self.safety, self.ifactor, self.dfactor = safety, ifactor, dfactor
        self.norm = rms if norm is None else norm  # tuple states pass the max of each part's RMS

    def _t(self, t: float, y: torch.Tensor) -> torch.Tensor:
        return torch.tensor(t, dtype=y.dtype, device=y.device)

    def _scale(self, *ys: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            mag = ys[0].abs()
            for y in ys[1:]:
                mag = torch.maximum(mag, y.abs(), out=mag)
            return mag.mul_(self.rtol).add_(self.atol)

    def initial_step(self, func, t0: float, y0: torch.Tensor, f0: torch.Tensor, span: float,
                     direction: float = 1.0) -> float:
        """Hairer's starting-step heuristic: make the first Euler step's change small relative to y0.

        The probe evaluation lies in the direction of integration, so ``f`` is never asked about times
        outside the requested interval.
        """
        scale = self._scale(y0)
        y0, f0 = y0.detach(), f0.detach()
        d0, d1 = self.norm(y0 / scale), self.norm(f0 / scale)
        h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
        h0 = min(h0, span)
        f1 = func(self._t(t0 + direction * h0, y0), y0 + direction * h0 * f0)
        d2 = self.norm((f1 - f0) / scale) / h0
        if not math.isfinite(d2):  # f misbehaves near t0: start small, the error control takes over
            return h0
        if max(d1, d2) <= 1e-15:
            h1 = max(1e-6, h0 * 1e-3)
        else:
            h1 = (0.01 / max(d1, d2)) ** (1.0 / self.order)
        return min(100 * h0, h1, span)

    def step_factor(self, ratio: float) -> float:
        """The next step over this one: ``min(ifactor, max(dfactor, safety · err^(-1/5)))``.

        The same formula after an accepted step and a rejected one, so a step that barely passed
        (``err`` above ``safety^5 ≈ 0.59``) is followed by a slightly smaller one. (torchdiffeq never
        shrinks after an accepted step.) ``err = 0`` (a solution the pair integrates exactly, e.g. a
        constant) grows the step by ``ifactor``; a non-finite ``err`` shrinks it by ``dfactor``.
        """
        if ratio == 0:
            return self.ifactor
        if not math.isfinite(ratio):
            return self.dfactor
        return min(self.ifactor, max(self.dfactor, self.safety * ratio ** -0.2))

    def integrate(self, func, y0: torch.Tensor, t_out: list[float], stats: SolverStats,
                  f0: torch.Tensor, t: torch.Tensor | None = None) -> torch.Tensor:
        """Solve from ``t_out[0]`` through ``t_out[-1]``; ``t``: the output times when they require grad."""
        t0, t_end = t_out[0], t_out[-1]
        direction = 1.0 if t_end > t0 else -1.0
        span = abs(t_end - t0)
        shift = _time_shifts(t, y0)
        h = self.first_step if self.first_step is not None else self.initial_step(
            func, t0, y0, f0, span, direction)
        h = min(abs(h), span)
        if not (math.isfinite(h) and h > 0):
            raise SolverError(
                f"dopri5 could not choose a first step: got h={h} for y0 {tuple(y0.shape)} {y0.dtype} "
                f"(integrating from {t0:g} to {t_end:g}); pass options={{'first_step': h}}", t=t0, stats=stats)
        eps = torch.finfo(y0.dtype).eps
        # A step that ends within this of t_end ends at t_end: no sliver step of a few ulps after it.
        slack = 64 * eps * max(abs(t0), abs(t_end), span)
        ys = [y0.unsqueeze(0)]
        j = 1
        tc, y = t0, y0
        while j < len(t_out):
            if stats.n_accepted + stats.n_rejected >= self.max_num_steps:
                raise SolverError(
                    f"dopri5 stopped after max_num_steps={self.max_num_steps} steps at t={tc:.6g} "
                    f"(integrating from {t0:g} to {t_end:g}; last step size {h:.3g}). The problem may be "
                    "stiff: explicit solvers must take tiny steps to stay stable. Try a looser rtol/atol, "
                    "a larger options['max_num_steps'], or an implicit solver.",
                    t=tc, stats=stats)
            last = h + slack >= abs(t_end - tc)
            dt = direction * (abs(t_end - tc) if last else h)
            if shift is None:  # the common case: stage times are constants, made in one call
                dtx = dt
                ks, y1 = _stages(func, y, f0, dt, torch.tensor([tc + c * dt for c in TABLEAU.c[1:]],
                                                               dtype=y.dtype, device=y.device).unbind())
            else:  # differentiable times: every stage time carries t's graph
                dtx = dt if not last else dt + (shift[-1] - shift[0])
                ks = rk_stages(func, self._t(tc, y) + shift[0], dtx, y, TABLEAU, f0=f0)
                y1 = _combine(y, dtx, TABLEAU.b, ks)
            with torch.no_grad():  # step-size control only: no graph, in-place on fresh tensors
                err = _weighted_sum(ERROR, ks).mul_(dt)
                ratio = self.norm(err.div_(self._scale(y, y1)))
            t_new = t_end if last else tc + dt
            if ratio <= 1.0:  # False for NaN: a non-finite trial step is rejected
                stats.n_accepted += 1
                stats.accepted.append((tc, dt))
                # Fill in every output time this step passed.
                j0 = j
                while j < len(t_out) and direction * (t_out[j] - t_new) <= 0:
                    j += 1
                if j > j0:
                    ys.append(self._outputs(y, y1, ks, dt, dtx, tc, t_new, t_out[j0:j], shift, j0, last))
                tc, y, f0 = t_new, y1, ks[-1]
            else:
                stats.n_rejected += 1
                stats.rejected.append((tc, dt))
            factor = self.step_factor(ratio)
            h = abs(dt) * factor
            if ratio > 1.0 or not math.isfinite(ratio):
                if h <= 10 * eps * max(1.0, abs(tc)):
                    why = ("func returned NaN or inf on the trial steps" if not math.isfinite(ratio)
                           else "the solution changes faster than any representable step can follow")
                    raise SolverError(
                        f"dopri5 step size underflowed to {h:.3g} at t={tc:.6g} (integrating from {t0:g} to "
                        f"{t_end:g}): {why}. The solution may blow up near t={tc:.6g} (finite-time "
                        "singularity), or the problem is stiff; check the dynamics, try a smaller time span, "
                        "a looser rtol/atol, or an implicit solver.",
                        t=tc, stats=stats)
        return torch.cat(ys)

    def _outputs(self, y, y1, ks, dt, dtx, tc, t_new, times, shift, j0, last) -> torch.Tensor:
        """``(len(times), *y.shape)``: the solution at the output times one accepted step passed.

        The step's end is ``y1`` itself; times inside it come from one batched evaluation of the
        continuous extension (its coefficients computed once per step, not once per output time).
        """
        exact = times[-1] == t_new
        inner = times[:-1] if exact else times
        out = []
        if inner and shift is None:
            out.append(_dense_const(y, y1, ks, dt, [(tj - tc) / dt for tj in inner]))
        elif inner:  # differentiable times: each theta carries its time's graph
            theta = torch.stack([(tj - tc + (shift[j0 + i] - shift[0])) / dtx for i, tj in enumerate(inner)])
            out.append(self._dense(y, y1, ks, dtx, theta.view(-1, *([1] * y.dim()))))
        if exact:
            j = j0 + len(times) - 1
            out.append((y1 if (shift is None or last) else y1 + (shift[j] - shift[0]) * ks[-1]).unsqueeze(0))
        return out[0] if len(out) == 1 else torch.cat(out)

    @staticmethod
    def _dense(y0: torch.Tensor, y1: torch.Tensor, ks: list[torch.Tensor], dt, theta) -> torch.Tensor:
        """Fourth-order continuous extension at ``t + theta * dt`` (Hairer's ``CONTD5``).

        ``theta``: a float, or a tensor shaped ``(m, 1, ..., 1)`` for ``m`` times at once (then the
        result is ``(m, *y0.shape)``).
        """
        ydiff = y1 - y0
        bspl = dt * ks[0] - ydiff
        r4 = ydiff - dt * ks[-1] - bspl
        r5 = dt * _weighted_sum(DENSE, ks)
        th1 = 1.0 - theta
        return y0 + theta * (ydiff + th1 * (bspl + theta * (r4 + th1 * r5)))
