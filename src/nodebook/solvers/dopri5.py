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

from ._stats import SolverError, SolverStats
from ._tableau import ButcherTableau, _combine, rk_stages

TABLEAU = ButcherTableau(
    c=(0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0),
    a=(
        (),
        (1 / 5,),
        (3 / 40, 9 / 40),
        (44 / 45, -56 / 15, 32 / 9),
        (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
        (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
        (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
    ),
    b=(35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0),
)
# Fifth- minus fourth-order weights: the local error estimate is dt * sum(E_i k_i).
ERROR = (71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40)
# Coefficients of the continuous extension (Hairer's DOPRI5 code).
DENSE = (
    -12715105075 / 11282082432, 0.0, 87487479700 / 32700410799, -10690763975 / 1880347072,
    701980252875 / 199316789632, -1453857185 / 822651844, 69997945 / 29380423,
)


def _rms(x: torch.Tensor) -> float:
    return float(x.detach().pow(2).mean().sqrt())


class Dopri5:
    """Adaptive Dormand–Prince 5(4) solver.

    Options:
        max_num_steps: attempted steps (accepted + rejected) before giving up (default 10 000).
        first_step: initial step size; chosen automatically when omitted.
        safety, ifactor, dfactor: step-size controller: ``h ← h · min(ifactor, max(dfactor,
            safety · err^(-1/5)))`` with defaults 0.9, 10, 0.2.
        norm: ``norm(scaled_error) -> float``, the size of the error divided elementwise by
            ``atol + rtol·|y|`` (default: RMS over all entries). The adjoint passes its own (seminorm).
    """

    name = "dopri5"
    order = 5
    adaptive = True
    option_names = ("max_num_steps", "first_step", "safety", "ifactor", "dfactor", "norm")

    def __init__(self, rtol: float, atol: float, max_num_steps: int = 10_000, first_step: float | None = None,
                 safety: float = 0.9, ifactor: float = 10.0, dfactor: float = 0.2, norm=None):
        if norm is not None and not callable(norm):
            raise TypeError(f"options['norm'] must be callable as norm(scaled_error) -> float; got {norm!r}")
        self.norm = _rms if norm is None else norm
        self.rtol, self.atol = rtol, atol
        self.max_num_steps = max_num_steps
        self.first_step = first_step
        self.safety, self.ifactor, self.dfactor = safety, ifactor, dfactor

    def _t(self, t: float, y: torch.Tensor) -> torch.Tensor:
        return torch.tensor(t, dtype=y.dtype, device=y.device)

    def _scale(self, *ys: torch.Tensor) -> torch.Tensor:
        mag = ys[0].detach().abs()
        for y in ys[1:]:
            mag = torch.maximum(mag, y.detach().abs())
        return self.atol + self.rtol * mag

    def initial_step(self, func, t0: float, y0: torch.Tensor, f0: torch.Tensor, span: float) -> float:
        """Hairer's starting-step heuristic: make the first Euler step's change small relative to y0."""
        scale = self._scale(y0)
        d0, d1 = self.norm(y0 / scale), self.norm(f0 / scale)
        h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
        h0 = min(h0, span)
        y1 = y0 + h0 * f0
        f1 = func(self._t(t0 + math.copysign(h0, span), y0), y1)
        d2 = self.norm((f1 - f0) / scale) / h0
        if max(d1, d2) <= 1e-15:
            h1 = max(1e-6, h0 * 1e-3)
        else:
            h1 = (0.01 / max(d1, d2)) ** (1.0 / self.order)
        return min(100 * h0, h1, span)

    def integrate(self, func, y0: torch.Tensor, t_out: list[float], stats: SolverStats,
                  f0: torch.Tensor) -> torch.Tensor:
        t0, t_end = t_out[0], t_out[-1]
        direction = 1.0 if t_end > t0 else -1.0
        span = abs(t_end - t0)
        h = self.first_step if self.first_step is not None else self.initial_step(func, t0, y0, f0, span)
        h = min(abs(h), span)
        eps = torch.finfo(y0.dtype).eps
        ys = [y0]
        j = 1
        t, y = t0, y0
        while j < len(t_out):
            if stats.n_accepted + stats.n_rejected >= self.max_num_steps:
                raise SolverError(
                    f"dopri5 stopped after max_num_steps={self.max_num_steps} steps at t={t:.6g} "
                    f"(integrating from {t0:g} to {t_end:g}; last step size {h:.3g}). The problem may be "
                    "stiff: explicit solvers must take tiny steps to stay stable. Try a looser rtol/atol, "
                    "a larger options['max_num_steps'], or an implicit solver.",
                    t=t, stats=stats)
            last = h >= abs(t_end - t)
            dt = direction * (abs(t_end - t) if last else h)
            ks = rk_stages(func, self._t(t, y), dt, y, TABLEAU, f0=f0)
            y1 = _combine(y, dt, TABLEAU.b, ks)
            err = _combine(torch.zeros_like(y), dt, ERROR, ks)
            ratio = self.norm(err / self._scale(y, y1))
            t_new = t_end if last else t + dt
            if ratio <= 1.0:  # False for NaN: a non-finite trial step is rejected
                stats.n_accepted += 1
                stats.accepted.append((t, dt))
                # Fill in every output time this step passed.
                while j < len(t_out) and direction * (t_out[j] - t_new) <= 0:
                    if t_out[j] == t_new:
                        ys.append(y1)
                    else:
                        ys.append(self._dense(y, y1, ks, dt, (t_out[j] - t) / dt))
                    j += 1
                t, y, f0 = t_new, y1, ks[-1]
                factor = 1.0 if ratio == 0 else min(self.ifactor, max(1.0, self.safety * ratio ** -0.2))
                h = abs(dt) * factor if not last else h
            else:
                stats.n_rejected += 1
                stats.rejected.append((t, dt))
                factor = self.dfactor if not math.isfinite(ratio) else max(self.dfactor,
                                                                             self.safety * ratio ** -0.2)
                h = abs(dt) * factor
                if h <= 10 * eps * max(1.0, abs(t)):
                    why = ("func returned NaN or inf on the trial steps" if not math.isfinite(ratio)
                           else "the solution changes faster than any representable step can follow")
                    raise SolverError(
                        f"dopri5 step size underflowed to {h:.3g} at t={t:.6g} (integrating from {t0:g} to "
                        f"{t_end:g}): {why}. The solution may blow up near t={t:.6g} (finite-time "
                        "singularity), or the problem is stiff; check the dynamics, try a smaller time span, "
                        "a looser rtol/atol, or an implicit solver.",
                        t=t, stats=stats)
        return torch.stack(ys)

    @staticmethod
    def _dense(y0: torch.Tensor, y1: torch.Tensor, ks: list[torch.Tensor], dt: float,
               theta: float) -> torch.Tensor:
        """Fourth-order continuous extension at ``t + theta * dt`` (Hairer's ``CONTD5``)."""
        ydiff = y1 - y0
        bspl = dt * ks[0] - ydiff
        r4 = ydiff - dt * ks[-1] - bspl
        r5 = _combine(torch.zeros_like(y0), dt, DENSE, ks)
        th1 = 1.0 - theta
        return y0 + theta * (ydiff + th1 * (bspl + theta * (r4 + th1 * r5)))
