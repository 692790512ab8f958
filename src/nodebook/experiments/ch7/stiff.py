"""(a) Stiffness: Van der Pol's oscillator as μ grows, dopri5 (explicit) against sdirk2 (implicit).

The sweep runs in *slow time* τ = t/μ (Hairer and Wanner's VDPOL form, ε = 1/μ²), where one relaxation
cycle lasts about (3 − 2 ln 2) ≈ 1.61 whatever μ: a window of τ ∈ [0, 2] from (2, 0) always holds the first
relaxation jump (near τ ≈ 0.81), so the solvers are compared on a solution that creeps *and* jumps. In
real time t the same window would be [0, 2μ]; a window of fixed length in t (say [0, 1]) sees, for large
μ, a solution that barely moves, which says nothing about what a stiff solver must do at the jump.
"""

from __future__ import annotations

import time

import torch
from torch import nn

from ...config import Config
from ...config import one_cpu_thread as _threads
from ...solvers import SolverError, solve


class VanDerPol(nn.Module):
    """``x' = v``, ``v' = μ (1 − x²) v − x`` in real time; state ``y = (x, v)``, shape ``(..., 2)``.

    With ``slow_time=True`` the same oscillator in τ = t/μ with ``v = dx/dτ``:
    ``x' = v``, ``v' = μ² ((1 − x²) v − x)``. For large μ the solution creeps along a slow curve and then
    jumps; on the slow curve the Jacobian has one eigenvalue near ``−μ(x² − 1)`` (real time) or
    ``−μ²(x² − 1)`` (slow time): an explicit method's stable step shrinks like its inverse.
    """

    def __init__(self, mu: float, slow_time: bool = False):
        super().__init__()
        if not float(mu) > 0:
            raise ValueError(f"VanDerPol expects mu > 0; got mu={mu!r}")
        self.mu, self.slow_time = float(mu), bool(slow_time)

    def forward(self, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x, v = y[..., 0], y[..., 1]
        if self.slow_time:
            return torch.stack([v, self.mu * self.mu * ((1 - x * x) * v - x)], -1)
        return torch.stack([v, self.mu * (1 - x * x) * v - x], -1)


MAX_POINTS = 400
PATH_POINTS = 201


def count_jumps(x: list[float]) -> int:
    """Relaxation jumps in a sampled path ``x``: sign changes of ``x`` (each jump crosses 0 from ≈ ±1 to ≈ ∓2)."""
    signs = [v > 0 for v in x if v != 0]
    return sum(a != b for a, b in zip(signs, signs[1:], strict=False))


def solve_vdp(mu: float, method: str, *, t1: float, tol: float, max_steps: int, repeat: int = 1,
              slow_time: bool = True, dtype: torch.dtype = torch.float64) -> dict:
    """One Van der Pol solve from ``(2, 0)`` over ``[0, t1]``: NFE, steps, best-of-``repeat`` seconds.

    A solve that hits ``max_steps`` is reported with ``failed=True`` and the time it reached. ``step_t``
    and ``step_h`` are the accepted steps' start times and sizes, thinned to at most ``MAX_POINTS``;
    ``path_x`` is ``x`` at ``PATH_POINTS`` equally spaced times and ``jumps`` the relaxation jumps in it.
    """
    y0 = torch.tensor([2.0, 0.0], dtype=dtype)
    t = torch.linspace(0.0, t1, PATH_POINTS, dtype=dtype)
    best, row = float("inf"), {}
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            sol = solve(VanDerPol(mu, slow_time), y0, t, method=method, rtol=tol, atol=tol,
                        options={"max_num_steps": max_steps})
            stats, reached, failed = sol.stats, t1, False
            path = sol.ys[:, 0].tolist()
        except SolverError as err:
            stats, reached, failed, path = err.stats, err.t, True, None
        best = min(best, time.perf_counter() - start)
        every = max(1, -(-len(stats.accepted) // MAX_POINTS))  # thinned (ceil) for figures and the results file
        row = {"mu": mu, "method": method, "tol": tol, "nfe": stats.nfe, "steps": stats.n_accepted,
               "rejected": stats.n_rejected, "failed": failed, "t_reached": reached,
               "y_end": None if path is None else sol.ys[-1].tolist(),
               "path_x": path, "jumps": None if path is None else count_jumps(path),
               "step_t": [s[0] for s in stats.accepted[::every]],
               "step_h": [abs(s[1]) for s in stats.accepted[::every]]}
        if failed:
            break
    row["seconds"] = best
    return row


def _pair(mu: float, b: dict, tol: float) -> list[dict]:
    pair = {m: solve_vdp(mu, m, t1=b["t1"], tol=tol, max_steps=b["max_steps"], repeat=b["repeat"])
            for m in ("dopri5", "sdirk2")}
    d, s = pair["dopri5"], pair["sdirk2"]
    diff = None if d["failed"] or s["failed"] else max(abs(a - c) for a, c in zip(d["y_end"], s["y_end"], strict=True))
    for m in pair.values():
        m["endpoint_diff"] = diff
    return list(pair.values())


def stiffness_sweep(cfg: Config) -> dict:
    """dopri5 and sdirk2 on Van der Pol (slow time) for each μ of the budget at one tolerance, then a
    tolerance sweep at the budget's ``tol_mus``: NFE, steps, seconds, jumps, and their agreement."""
    b = cfg.budget["stiff"]
    with _threads("cpu"):
        rows = [r for mu in b["mus"] for r in _pair(mu, b, b["tol"])]
        sweep = [r for mu in b.get("tol_mus", []) for tol in b.get("tols", []) for r in _pair(mu, b, tol)]
    for r in rows + sweep:  # the step-size lists are for the slider; the tolerance sweep needs none
        if r in sweep:
            r.pop("step_t"), r.pop("step_h"), r.pop("path_x")
    return {"rows": rows, "tol_rows": sweep, "t1": b["t1"], "tol": b["tol"], "max_steps": b["max_steps"],
            "time": "slow (tau = t / mu)"}
