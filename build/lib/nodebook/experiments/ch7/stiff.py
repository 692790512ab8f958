"""(a) Stiffness: Van der Pol's oscillator as μ grows, dopri5 (explicit) against sdirk2 (implicit)."""

from __future__ import annotations

import time

import torch
from torch import nn

from ...config import Config
from ...config import one_cpu_thread as _threads
from ...solvers import SolverError, solve


class VanDerPol(nn.Module):
    """``x' = v``, ``v' = μ (1 − x²) v − x``; state ``y = (x, v)``, shape ``(..., 2)``.

    For large μ the solution creeps along a slow curve and then jumps; on the slow curve the Jacobian has
    one eigenvalue near ``−μ(x² − 1)``: an explicit method's stable step shrinks like ``1/μ``.
    """

    def __init__(self, mu: float):
        super().__init__()
        self.mu = float(mu)

    def forward(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x, v = y[..., 0], y[..., 1]
        return torch.stack([v, self.mu * (1 - x * x) * v - x], -1)


MAX_POINTS = 400


def solve_vdp(mu: float, method: str, *, t1: float, tol: float, max_steps: int, repeat: int = 1,
              dtype: torch.dtype = torch.float64) -> dict:
    """One Van der Pol solve from ``(2, 0)`` over ``[0, t1]``: NFE, steps, best-of-``repeat`` seconds.

    A solve that hits ``max_steps`` is reported with ``failed=True`` and the time it reached. ``step_t``
    and ``step_h`` are the accepted steps' start times and sizes, thinned to at most ``MAX_POINTS``.
    """
    y0 = torch.tensor([2.0, 0.0], dtype=dtype)
    t = torch.tensor([0.0, t1], dtype=dtype)
    best, row = float("inf"), {}
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            sol = solve(VanDerPol(mu), y0, t, method=method, rtol=tol, atol=tol,
                        options={"max_num_steps": max_steps})
            stats, reached, y_end, failed = sol.stats, t1, sol.ys[-1].tolist(), False
        except SolverError as err:
            stats, reached, y_end, failed = err.stats, err.t, None, True
        best = min(best, time.perf_counter() - start)
        every = max(1, len(stats.accepted) // MAX_POINTS)  # thinned for figures and the results file
        row = {"mu": mu, "method": method, "nfe": stats.nfe, "steps": stats.n_accepted,
               "rejected": stats.n_rejected, "failed": failed, "t_reached": reached, "y_end": y_end,
               "step_t": [s[0] for s in stats.accepted[::every]],
               "step_h": [abs(s[1]) for s in stats.accepted[::every]]}
        if failed:
            break
    row["seconds"] = best
    return row


def stiffness_sweep(cfg: Config) -> dict:
    """dopri5 and sdirk2 on Van der Pol for each μ of the budget: NFE, steps, seconds, and their agreement."""
    b = cfg.budget["stiff"]
    rows = []
    with _threads("cpu"):
        for mu in b["mus"]:
            pair = {m: solve_vdp(mu, m, t1=b["t1"], tol=b["tol"], max_steps=b["max_steps"], repeat=b["repeat"])
                    for m in ("dopri5", "sdirk2")}
            if not pair["dopri5"]["failed"] and not pair["sdirk2"]["failed"]:
                diff = max(abs(a - c) for a, c in zip(pair["dopri5"]["y_end"], pair["sdirk2"]["y_end"], strict=True))
            else:
                diff = None
            for m in pair.values():
                m["endpoint_diff"] = diff
            rows += pair.values()
    return {"rows": rows, "t1": b["t1"], "tol": b["tol"], "max_steps": b["max_steps"]}
