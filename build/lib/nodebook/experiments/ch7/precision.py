"""(e) Precision: error against tolerance in float32 and float64, where float32 stops improving."""

from __future__ import annotations

import torch

from ... import problems
from ...config import Config
from ...config import one_cpu_thread as _threads
from ...solvers import SolverError, solve


def error_vs_tolerance(tols: list[float], *, t1: float = 10.0) -> list[dict]:
    """dopri5 on the harmonic oscillator (exact ``cos t``) in both precisions: max error and NFE per tolerance."""
    p = problems.harmonic(t1=t1)
    rows = []
    for dtype in (torch.float32, torch.float64):
        t = torch.linspace(0.0, t1, 11, dtype=dtype)
        exact = p.exact(t.double())
        for tol in tols:
            try:
                sol = solve(p.func, p.initial(dtype), t, rtol=tol, atol=tol, options={"max_num_steps": 20_000})
                err, nfe = float((sol.ys.double() - exact).abs().max()), sol.stats.nfe
            except SolverError as e:
                err, nfe = None, e.stats.nfe
            rows.append({"dtype": str(dtype).replace("torch.", ""), "tol": tol, "error": err, "nfe": nfe})
    return rows


def floor_tolerance(rows: list[dict], dtype: str = "float32", factor: float = 2.0) -> float | None:
    """The loosest tolerance from which tightening further never lowers ``dtype``'s error by ``factor``."""
    mine = sorted((r for r in rows if r["dtype"] == dtype), key=lambda r: -r["tol"])
    errs = [r["error"] if r["error"] is not None else float("inf") for r in mine]
    for i, r in enumerate(mine):
        if all(e * factor >= errs[i] for e in errs[i + 1:]):
            return r["tol"]
    return None


def precision_sweep(cfg: Config) -> dict:
    b = cfg.budget["precision"]
    with _threads("cpu"):
        rows = error_vs_tolerance(b["tols"], t1=b["t1"])
    return {"rows": rows, "float32_floor_tol": floor_tolerance(rows, "float32"),
            "float64_floor_tol": floor_tolerance(rows, "float64"), "eps32": torch.finfo(torch.float32).eps}
