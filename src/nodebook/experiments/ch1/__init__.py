"""Chapter 1's experiments: convergence order, adaptive steps, torchdiffeq agreement, stiffness.

Each function takes the chapter's :class:`~nodebook.config.Config` (sizes come from ``cfg.budget``) and
returns plain numbers and lists, so the chapter can plot and glue them and ``reproduce`` can save them.
"""

from __future__ import annotations

import torch

from ... import problems
from ...config import Config
from ...measure import fit_order
from ...solvers import SolverError, solve

FIXED_METHODS = ("euler", "midpoint", "rk4")


def rabbits() -> problems.Problem:
    """The chapter's running example: logistic growth of a rabbit population (thousands, years)."""
    return problems.logistic(rate=1.0, capacity=10.0, y0=1.0, t1=8.0)


def convergence(cfg: Config, problem: problems.Problem | None = None,
                methods: tuple[str, ...] = FIXED_METHODS) -> dict:
    """Global error (largest over the run) vs step size for fixed-step methods, with fitted orders.

    The error is the maximum over five equally spaced output times, not only the final one: on the
    logistic curve the final value sits near the stable capacity, which damps errors made earlier and
    would flatter every method.
    """
    p = problem or rabbits()
    y0, t = p.initial(torch.float64), p.times(5)
    exact = p.exact(t)
    span = p.t1 - p.t0
    out: dict = {"n_steps": list(cfg.budget["n_steps"]), "h": [span / n for n in cfg.budget["n_steps"]],
                 "error": {}, "nfe": {}, "order": {}}
    for m in methods:
        errs, nfes = [], []
        for n in out["n_steps"]:
            sol = solve(p.func, y0, t, method=m, options={"step_size": span / n})
            errs.append(float((sol.ys - exact).abs().max()))
            nfes.append(sol.stats.nfe)
        out["error"][m], out["nfe"][m] = errs, nfes
        out["order"][m] = fit_order(out["h"], errs)
    return out


def euler_frames(cfg: Config, problem: problems.Problem | None = None, n_points: int = 161) -> dict:
    """Euler's solution on a fine plotting grid for a range of step sizes (the slider's frames)."""
    p = problem or rabbits()
    y0 = p.initial(torch.float64)
    t_plot = p.times(n_points)
    frames = []
    steps = [2, 4, 8, 16, 32, 64, 128]
    for n in steps:
        h = (p.t1 - p.t0) / n
        # Euler's polyline: the values at its own grid points, joined by straight lines.
        grid = torch.linspace(p.t0, p.t1, n + 1, dtype=torch.float64)
        ys = solve(p.func, y0, grid, method="euler").ys[:, 0]
        frames.append({"n": n, "h": h, "t": grid.tolist(), "y": ys.tolist(),
                       "error": float((ys - p.exact(grid)[:, 0]).abs().max())})
    return {"t": t_plot.tolist(), "exact": p.exact(t_plot)[:, 0].tolist(), "frames": frames}


def adaptive(cfg: Config, problem: problems.Problem | None = None) -> dict:
    """Dormand–Prince across tolerances: NFE, steps, error; plus the step history at one tolerance."""
    p = problem or rabbits()
    y0, t = p.initial(torch.float64), p.times(81)
    exact = p.exact(t)
    rows = []
    for tol in cfg.budget["tolerances"]:
        sol = solve(p.func, y0, t, method="dopri5", rtol=tol, atol=tol)
        rows.append({"tol": tol, **sol.stats.as_dict(), "error": float((sol.ys - exact).abs().max())})
    show_tol = 1e-4
    sol = solve(p.func, y0, t, method="dopri5", rtol=show_tol, atol=show_tol)
    # The solution at each accepted step's start (the same run's dense output) and the exact solution
    # where rejected trial steps started, for drawing the steps on the curve.
    step_t = [s for s, _ in sol.stats.accepted] + [p.t1]
    step_y = solve(p.func, y0, torch.tensor(step_t, dtype=torch.float64), rtol=show_tol, atol=show_tol).ys
    rejected_t = [s for s, _ in sol.stats.rejected]
    rejected_y = p.exact(torch.tensor(rejected_t, dtype=torch.float64))[:, 0].tolist() if rejected_t else []
    return {
        "rows": rows,
        "show_tol": show_tol,
        "t": t.tolist(),
        "y": sol.ys[:, 0].tolist(),
        "exact": exact[:, 0].tolist(),
        "accepted": sol.stats.accepted,
        "rejected": sol.stats.rejected,
        "step_t": step_t,
        "step_y": step_y[:, 0].tolist(),
        "rejected_t": rejected_t,
        "rejected_y": rejected_y,
        "stats": sol.stats.as_dict(),
    }


def torchdiffeq_agreement(cfg: Config, problem: problems.Problem | None = None, n_steps: int = 64,
                          tol: float = 1e-6) -> dict:
    """The same problem through nodebook and torchdiffeq: max differences and NFE."""
    import torchdiffeq

    from ...measure import NFECounter

    p = problem or rabbits()
    y0, t = p.initial(torch.float64), p.times(17)
    h = (p.t1 - p.t0) / n_steps
    pairs = {"euler": "euler", "midpoint": "midpoint", "rk38": "rk4", "rk4": "rk4"}
    fixed = {}
    for ours, theirs in pairs.items():
        a = solve(p.func, y0, t, method=ours, options={"step_size": h}).ys
        b = torchdiffeq.odeint(p.func, y0, t, method=theirs, options={"step_size": h})
        fixed[ours] = {"torchdiffeq_method": theirs, "max_abs_diff": float((a - b).abs().max())}
    exact = p.exact(t)
    ours = solve(p.func, y0, t, method="dopri5", rtol=tol, atol=tol)
    counter = NFECounter(p.func)
    theirs = torchdiffeq.odeint(counter, y0, t, method="dopri5", rtol=tol, atol=tol)
    return {
        "n_steps": n_steps,
        "fixed": fixed,
        "dopri5": {
            "tol": tol,
            "nfe_nodebook": ours.stats.nfe,
            "nfe_torchdiffeq": counter.nfe,
            "error_nodebook": float((ours.ys - exact).abs().max()),
            "error_torchdiffeq": float((theirs - exact).abs().max()),
            "max_abs_diff": float((ours.ys - theirs).abs().max()),
        },
    }


def stiffness(cfg: Config, stiffnesses: tuple[float, ...] = (1e1, 1e2, 1e3, 1e4), tol: float = 1e-6) -> dict:
    """NFE of dopri5 on ``y' = -k (y - cos t)`` as k grows, and the two ways a solve can fail."""
    rows = []
    for k in stiffnesses:
        p = problems.stiff_relaxation(k)
        sol = solve(p.func, p.initial(), p.times(2), rtol=tol, atol=tol, options={"max_num_steps": 100_000})
        err = float((sol.ys[-1] - p.exact(p.times(2))[-1]).abs().max())
        rows.append({"k": k, **sol.stats.as_dict(), "error": err})
    p = problems.stiff_relaxation(1e6)
    try:
        solve(p.func, p.initial(), p.times(2), rtol=tol, atol=tol, options={"max_num_steps": 2000})
        max_steps_error = None
    except SolverError as err:
        max_steps_error = str(err)
    p = problems.blowup()
    try:
        solve(p.func, p.initial(), p.times(2), rtol=tol, atol=tol)
        underflow_error = None
    except SolverError as err:
        underflow_error, blowup_t = str(err), err.t
    return {"rows": rows, "tol": tol, "max_steps_error": max_steps_error, "underflow_error": underflow_error,
            "blowup_t": blowup_t, **nfe_growth(rows)}


def nfe_growth(rows: list[dict]) -> dict:
    """How the NFE grows with the stiffness ``k`` over ``rows``: the log–log slope fitted on all of them
    (``nfe_slope``; 1 would be proportional to ``k``) and the local slope between each pair of neighbours
    (``nfe_local_slopes``: the growth factor per factor of ``k``, as an exponent)."""
    import math

    ks, nfes = [r["k"] for r in rows], [r["nfe"] for r in rows]
    local = [math.log(nfes[i + 1] / nfes[i]) / math.log(ks[i + 1] / ks[i]) for i in range(len(rows) - 1)]
    return {"nfe_slope": fit_order(ks, nfes, finest=None), "nfe_local_slopes": local}


def record(conv: dict, ad: dict, agree: dict, stiff: dict) -> dict:
    """The chapter's results as ``run`` saves them, from its four experiments (what the page checks its
    claims on, in the same shape as ``results/ch1.json``'s metrics)."""
    return {
        "order": conv["order"],
        "convergence": conv,
        "adaptive_rows": ad["rows"],
        "torchdiffeq": agree,
        "stiffness_rows": stiff["rows"],
        "stiffness_tol": stiff["tol"],
    }


def run(cfg: Config) -> dict:
    """Every experiment of the chapter, as saved by ``python -m nodebook reproduce ch1``."""
    return record(convergence(cfg), adaptive(cfg), torchdiffeq_agreement(cfg), stiffness(cfg))
