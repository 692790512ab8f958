"""Memory and time of one forward+backward pass: backprop through the solver vs two adjoint methods.

The problem: MLP dynamics ``f(t, y) = W2 tanh(W1 y + b1) + b2`` (dim 64, width 256), a batch of initial
states (128 on CPU, 1024 on GPU), integrated over ``[0, 1]``; loss = sum of squares of ``y(1)``. Each
pass is compared three ways: backprop through ``nodebook.odeint`` (autograd records every step),
``nodebook.odeint_adjoint`` (from scratch, Chapter 3) and ``torchdiffeq.odeint_adjoint``, with RK4 at 10,
100 and 1000 fixed steps. Then Dormand–Prince 5(4) at rtol = atol in {1e-3, 1e-5, 1e-7}: function
evaluations of the forward and of the backward solve, for both adjoints.

Peak memory is ``nodebook.peak_memory`` (the helper the chapter uses): the most bytes of tensors alive at
once during the pass beyond the model and inputs — ``torch.cuda.max_memory_allocated`` on a GPU, the
profiler's allocation record on CPU. Times are medians of repeats interleaved ABBA across the three
methods, so whatever else the machine does hits them alike. Backward NFE counts calls of ``f`` during
``backward()`` (``nodebook.NFECounter``): one per augmented-dynamics evaluation, for both libraries.

Note: torchdiffeq's ``"rk4"`` is Kutta's 3/8 rule, nodebook's the classical one: four evaluations per
step both, so their costs compare.

Usage::

    python benchmarks/adjoint_memory.py [--device cpu|cuda] [--batch N] [--threads N] [--repeat 3]

writes ``results/adjoint_memory_<cpu|gpu>.json``. Goals (issue 4): the adjoint's peak memory grows
<= 1.1x from 10 to 1000 steps; at 1000 steps it is >= 50x (CPU, batch 128) or >= 300x (GPU, batch 1024)
below backprop's; nodebook's adjoint time <= 1.2x torchdiffeq's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
from pathlib import Path

import torch
import torchdiffeq
from torch import nn

import nodebook as nb
from nodebook import results
from nodebook.config import resolve_device

METHODS = {"backprop": nb.odeint, "nodebook_adjoint": nb.odeint_adjoint,
           "torchdiffeq_adjoint": torchdiffeq.odeint_adjoint}
STEPS, TOLS = (10, 100, 1000), (1e-3, 1e-5, 1e-7)
GROWTH_GOAL, TIME_GOAL = 1.1, 1.2
MEMORY_GOAL = {"cpu": 50.0, "cuda": 300.0}


class MLPDynamics(nn.Module):
    def __init__(self, dim: int, width: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, width), nn.Tanh(), nn.Linear(width, dim))

    def forward(self, t, y):
        return self.net(y)


def one_pass(odeint, func, y0, t, kwargs):
    """A zero-argument callable: forward solve, loss, backward (gradients accumulate into .grad)."""
    def run():
        ys = odeint(func, y0, t, **kwargs)
        ys[-1].pow(2).sum().backward()
    return run


def fixed_steps(func, y0, t, steps, repeat, device) -> list[dict]:
    def passes(n):
        return {name: one_pass(odeint, func, y0, t, {"method": "rk4", "options": {"step_size": 1 / n}})
                for name, odeint in METHODS.items()}

    for fn in passes(steps[0]).values():  # warm-up: kernels, thread pools, and the .grad buffers
        fn()
    rows = []
    for n in steps:
        fns = passes(n)
        times: dict[str, list[float]] = {name: [] for name in fns}
        for r in range(repeat):  # ABBA order
            for name in fns if r % 2 == 0 else reversed(fns):
                times[name].append(nb.time_call(fns[name], repeat=1, warmup=0, device=device))
        row = {"steps": n}
        for name, fn in fns.items():
            row[f"{name}_ms"] = 1e3 * statistics.median(times[name])
            row[f"{name}_mib"] = nb.peak_memory(fn, device, warmup=False) / 2**20
        row["times_ms"] = {name: [1e3 * s for s in v] for name, v in times.items()}
        rows.append(row)
        print(format_row(row), flush=True)
    return rows


def dopri5_nfe(func, y0, t, tols) -> list[dict]:
    counter = nb.NFECounter(func)
    rows = []
    for tol in tols:
        kw = {"method": "dopri5", "rtol": tol, "atol": tol}
        row = {"tol": tol}
        for name in ("nodebook_adjoint", "torchdiffeq_adjoint"):
            counter.reset()
            ys = METHODS[name](counter, y0, t, **kw)
            row[f"{name}_forward_nfe"] = counter.reset()
            ys[-1].pow(2).sum().backward()
            row[f"{name}_backward_nfe"] = counter.reset()
        rows.append(row)
        print(f"dopri5 tol={tol:g}: forward/backward NFE nodebook {row['nodebook_adjoint_forward_nfe']}/"
              f"{row['nodebook_adjoint_backward_nfe']}, torchdiffeq {row['torchdiffeq_adjoint_forward_nfe']}/"
              f"{row['torchdiffeq_adjoint_backward_nfe']}", flush=True)
    return rows


HEADER = (f"{'RK4 steps':>9} | {'backprop':>19} | {'nodebook adjoint':>19} | {'torchdiffeq adjoint':>19} | "
          f"{'backprop/adjoint':>16} | {'time nb/tdq':>11}\n{'':>9} | " + " | ".join([f"{'MiB':>8} {'ms':>10}"] * 3)
          + f" | {'memory':>16} | {'':>11}")


def format_row(r: dict) -> str:
    cells = " | ".join(f"{r[f'{m}_mib']:>8.2f} {r[f'{m}_ms']:>10.1f}" for m in METHODS)
    return (f"{r['steps']:>9} | {cells} | {r['backprop_mib'] / r['nodebook_adjoint_mib']:>15.1f}x | "
            f"{r['nodebook_adjoint_ms'] / r['torchdiffeq_adjoint_ms']:>11.3f}")


def goals(rows: list[dict], device: torch.device) -> dict:
    first, last = rows[0], rows[-1]
    growth = last["nodebook_adjoint_mib"] / first["nodebook_adjoint_mib"]
    below = last["backprop_mib"] / last["nodebook_adjoint_mib"]
    time_ratio = max(r["nodebook_adjoint_ms"] / r["torchdiffeq_adjoint_ms"] for r in rows)
    memory_goal = MEMORY_GOAL[device.type]
    return {
        "adjoint_memory_growth": {"value": growth, "goal": f"<= {GROWTH_GOAL}", "met": growth <= GROWTH_GOAL,
                                  "from_steps": first["steps"], "to_steps": last["steps"]},
        "backprop_over_adjoint_memory": {"value": below, "goal": f">= {memory_goal}", "met": below >= memory_goal,
                                         "steps": last["steps"]},
        "adjoint_time_nodebook_over_torchdiffeq": {"value": time_ratio, "goal": f"<= {TIME_GOAL}",
                                                   "met": time_ratio <= TIME_GOAL, "worst_over_steps": True},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    parser.add_argument("--batch", type=int, default=None, help="default: 128 on CPU, 1024 on GPU")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--steps", type=int, nargs="+", default=list(STEPS))
    parser.add_argument("--tols", type=float, nargs="+", default=list(TOLS))
    parser.add_argument("--repeat", type=int, default=3, help="timed passes per method and step count (median)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads; default 1 on CPU (stable timings on a shared machine), torch's "
                             "own default on CUDA; 0 = torch's default")
    parser.add_argument("--out", type=Path, default=None, help="default: results/adjoint_memory_<cpu|gpu>.json")
    args = parser.parse_args(argv)
    device = resolve_device(args.device)
    batch = args.batch if args.batch is not None else (1024 if device.type == "cuda" else 128)
    if batch < 1 or args.repeat < 1 or len(args.steps) < 2:
        parser.error(f"need batch >= 1, repeat >= 1 and two or more step counts; got {batch}, {args.repeat}, "
                     f"{args.steps}")
    threads = args.threads if args.threads is not None else (1 if device.type == "cpu" else 0)
    if threads > 0:
        torch.set_num_threads(threads)
    out = args.out or results.results_dir() / f"adjoint_memory_{'gpu' if device.type == 'cuda' else 'cpu'}.json"

    torch.manual_seed(0)
    func = MLPDynamics(args.dim, args.width).to(device)
    y0 = torch.randn(batch, args.dim, device=device)
    t = torch.tensor([0.0, 1.0], device=device)
    print(f"adjoint memory · MLP dim {args.dim}, width {args.width} · batch {batch} · float32 · "
          f"{results.device_name(device)} · torch {torch.__version__} · torchdiffeq {torchdiffeq.__version__} · "
          f"{torch.get_num_threads()} threads · one forward + backward, median of {args.repeat}")
    print(HEADER)
    print("-" * len(HEADER.splitlines()[0]))
    rows = fixed_steps(func, y0, t, sorted(args.steps), args.repeat, device)
    nfe = dopri5_nfe(func, y0, t, args.tols)
    met = goals(rows, device)
    for name, g in met.items():
        print(f"{name}: {g['value']:.3f} (goal {g['goal']}) {'met' if g['met'] else 'NOT met'}")

    record = {
        "benchmark": "adjoint_memory",
        "problem": {"dynamics": "Linear(dim,width)-Tanh-Linear(width,dim)", "dim": args.dim, "width": args.width,
                    "batch": batch, "dtype": "float32", "t": [0.0, 1.0],
                    "pass": "forward solve + backward (loss = sum of squares of y(1))",
                    "memory": "nodebook.peak_memory: peak tensor bytes beyond model and inputs"},
        "device": str(device), "device_name": results.device_name(device), "threads": torch.get_num_threads(),
        "torch": torch.__version__, "torchdiffeq": torchdiffeq.__version__, "python": platform.python_version(),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git_commit": results.git_commit(), "repeat": args.repeat,
        "rk4": rows, "dopri5_nfe": nfe, "goals": met,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results.to_jsonable(record), indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
