"""The memory and time of backprop vs the adjoint on one problem: what ``benchmarks/adjoint_memory.py`` runs too.

:func:`mlp_problem` is the problem, :func:`one_pass` the forward+backward pass, :func:`measure_steps` and
:func:`dopri5_nfe` the measurements, so the chapter and the benchmark print the same numbers.
"""

from __future__ import annotations

import functools
import statistics

import torch

from ... import results
from ...adjoint import odeint_adjoint
from ...config import Config, torch_threads
from ...measure import NFECounter, peak_memory, time_call
from ...models import MLPDynamics
from ...solvers import odeint

METHODS = ("backprop", "nodebook_adjoint", "torchdiffeq_adjoint")
GROWTH_GOAL, TIME_GOAL = 1.1, 1.2
MEMORY_GOAL = {"cpu": 50.0, "cuda": 300.0}  # backprop / adjoint peak memory at the largest step count


def _solvers() -> dict:
    import torchdiffeq  # optional dependency (the "compare" extra): imported only when measured against

    return {"backprop": odeint, "nodebook_adjoint": odeint_adjoint,
            "torchdiffeq_adjoint": torchdiffeq.odeint_adjoint}


def mlp_problem(batch: int, *, dim: int = 64, width: int = 256, device="cpu", dtype=torch.float32,
                seed: int = 0) -> tuple[MLPDynamics, torch.Tensor, torch.Tensor]:
    """The benchmark's problem: ``f(t, y) = W2 tanh(W1 y + b1) + b2``, ``y0: (batch, dim)``, ``t = [0, 1]``.

    Seeded on its own (the caller's random state is left as it was), so every caller gets the same
    weights and inputs for the same sizes.
    """
    dev = torch.device(device)
    with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
        torch.manual_seed(seed)
        func = MLPDynamics(dim, width).to(device=dev, dtype=dtype)
        y0 = torch.randn(batch, dim, device=dev).to(dtype)
    return func, y0, torch.tensor([0.0, 1.0], device=dev, dtype=dtype)


def one_pass(solver, func, y0, t, kwargs: dict):
    """A zero-argument callable: forward solve, loss = sum of squares of ``y(t_N)``, backward."""
    def run():
        ys = solver(func, y0, t, **kwargs)
        ys[-1].pow(2).sum().backward()
    return run


def budget_threads(fn):
    """Run a ``cfg`` experiment with ``cfg.budget['threads']`` torch threads (:func:`~nodebook.config.torch_threads`).

    One thread on a small shared CPU: two threads that must wait for each other on a busy core are
    several times slower than one, and their timings jump from run to run.
    """
    @functools.wraps(fn)
    def wrapper(cfg, *args, **kwargs):
        with torch_threads(cfg.budget.get("threads", 0)):
            return fn(cfg, *args, **kwargs)
    return wrapper


def measure_steps(func, y0, t, steps, *, repeat: int = 3, device="cpu", on_row=None,
                  progress: bool = False) -> list[dict]:
    """Peak memory (MiB) and median time (ms) of one RK4 forward+backward pass, per method and step count.

    Times are medians of ``repeat`` passes taken in ABBA order across the methods, so whatever else the
    machine does hits them alike; memory is :func:`nodebook.peak_memory` of one more pass.
    ``on_row(row)`` is called as each step count finishes (the benchmark prints it). ``progress`` shows a
    ``tqdm`` bar counted in RK4 steps solved, so its ETA weighs the long solves as they are.
    """
    from tqdm.auto import tqdm

    solvers = _solvers()

    def passes(n):
        kw = {"method": "rk4", "options": {"step_size": (float(t[-1]) - float(t[0])) / n}}
        return {name: one_pass(solvers[name], func, y0, t, kw) for name in METHODS}

    for fn in passes(min(steps)).values():  # warm-up: kernels, thread pools, the .grad buffers
        fn()
    rows = []
    bar = tqdm(total=sum(steps) * len(METHODS) * (repeat + 1), desc="memory and time", unit="RK4 step",
               disable=not progress, dynamic_ncols=True)
    for n in sorted(steps):
        fns = passes(n)
        times: dict[str, list[float]] = {name: [] for name in METHODS}
        for r in range(repeat):
            for name in METHODS if r % 2 == 0 else reversed(METHODS):
                times[name].append(time_call(fns[name], repeat=1, warmup=0, device=device))
                bar.update(n)
        row: dict = {"steps": n}
        for name in METHODS:
            row[f"{name}_ms"] = 1e3 * statistics.median(times[name])
            row[f"{name}_mib"] = peak_memory(fns[name], device, warmup=False) / 2**20
            bar.update(n)
        row["times_ms"] = {name: [1e3 * s for s in v] for name, v in times.items()}
        rows.append(row)
        if on_row is not None:
            on_row(row)
    bar.close()
    return rows


def dopri5_nfe(func, y0, t, tols, *, progress: bool = False) -> list[dict]:
    """Calls of ``f`` in the forward and in the backward solve (dopri5, rtol = atol = tol).

    For nodebook's adjoint, torchdiffeq's, and torchdiffeq's with the seminorm of Kidger et al. (2021),
    which leaves the parameter-gradient part of the backward state out of the error estimate.
    """
    solvers = _solvers()
    variants = {"nodebook_adjoint": (solvers["nodebook_adjoint"], {}),
                "torchdiffeq_adjoint": (solvers["torchdiffeq_adjoint"], {}),
                "torchdiffeq_seminorm": (solvers["torchdiffeq_adjoint"],
                                         {"adjoint_options": {"norm": "seminorm"}})}
    from tqdm.auto import tqdm

    counter = NFECounter(func)
    rows = []
    for tol in tqdm(tols, desc="dopri5 NFE", unit="tolerance", disable=not progress, dynamic_ncols=True):
        row: dict = {"tol": tol}
        for name, (solver, extra) in variants.items():
            counter.reset()
            ys = solver(counter, y0, t, method="dopri5", rtol=tol, atol=tol, **extra)
            row[f"{name}_forward_nfe"] = counter.reset()
            ys[-1].pow(2).sum().backward()
            row[f"{name}_backward_nfe"] = counter.reset()
        rows.append(row)
    return rows


def goals(rows: list[dict], device) -> dict:
    """The issue's goals, measured: adjoint memory growth, backprop/adjoint memory, time vs torchdiffeq."""
    first, last = rows[0], rows[-1]
    growth = last["nodebook_adjoint_mib"] / first["nodebook_adjoint_mib"]
    below = last["backprop_mib"] / last["nodebook_adjoint_mib"]
    time_ratio = max(r["nodebook_adjoint_ms"] / r["torchdiffeq_adjoint_ms"] for r in rows)
    memory_goal = MEMORY_GOAL[torch.device(device).type]
    return {
        "adjoint_memory_growth": {"value": growth, "goal": f"<= {GROWTH_GOAL}", "met": growth <= GROWTH_GOAL,
                                  "from_steps": first["steps"], "to_steps": last["steps"]},
        "backprop_over_adjoint_memory": {"value": below, "goal": f">= {memory_goal}",
                                         "met": below >= memory_goal, "steps": last["steps"]},
        "adjoint_time_nodebook_over_torchdiffeq": {"value": time_ratio, "goal": f"<= {TIME_GOAL}",
                                                   "met": time_ratio <= TIME_GOAL, "worst_over_steps": True},
    }


@budget_threads
def memory_time(cfg: Config, progress: bool = False) -> dict:
    """The benchmark's table on the reader's device, at ``cfg.budget``'s batch and step counts."""
    b = cfg.budget
    func, y0, t = mlp_problem(b["batch"], dim=b.get("dim", 64), width=b.get("width", 256), device=cfg.device)
    rows = measure_steps(func, y0, t, b["n_steps"], repeat=b.get("repeat", 3), device=cfg.device,
                         progress=progress)
    return {"rows": rows, "goals": goals(rows, cfg.device), "device_name": results.device_name(cfg.device),
            "threads": torch.get_num_threads(), "batch": b["batch"], "dim": func.dim, "width": func.width}


@budget_threads
def nfe_forward_backward(cfg: Config, progress: bool = False) -> list[dict]:
    """:func:`dopri5_nfe` on the benchmark problem at ``cfg.budget['tolerances']``."""
    b = cfg.budget
    func, y0, t = mlp_problem(b["batch"], dim=b.get("dim", 64), width=b.get("width", 256), device=cfg.device)
    return dopri5_nfe(func, y0, t, b["tolerances"], progress=progress)
