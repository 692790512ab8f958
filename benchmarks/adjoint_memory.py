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

The problem, the pass and its measurement live in ``nodebook.experiments.ch3`` (``mlp_problem``,
``measure_steps``, ``dopri5_nfe``), which Chapter 3 runs too: the chapter and this script print the same
numbers for the same sizes. The NFE rows also give torchdiffeq's adjoint with its seminorm
(``adjoint_options={"norm": "seminorm"}``), which leaves the parameter-gradient part of the backward state
out of the error estimate.

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
import sys
from pathlib import Path

import torch
import torchdiffeq

from nodebook import results
from nodebook.config import resolve_device
from nodebook.experiments.ch3 import HEADER, dopri5_nfe, format_row, goals, measure_steps, mlp_problem

STEPS, TOLS = (10, 100, 1000), (1e-3, 1e-5, 1e-7)


def format_nfe(row: dict) -> str:
    cells = ", ".join(f"{name} {row[f'{name}_forward_nfe']}/{row[f'{name}_backward_nfe']}"
                      for name in ("nodebook_adjoint", "torchdiffeq_adjoint", "torchdiffeq_seminorm"))
    return f"dopri5 tol={row['tol']:g}: forward/backward NFE {cells}"


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

    func, y0, t = mlp_problem(batch, dim=args.dim, width=args.width, device=device)
    print(f"adjoint memory · MLP dim {args.dim}, width {args.width} · batch {batch} · float32 · "
          f"{results.device_name(device)} · torch {torch.__version__} · torchdiffeq {torchdiffeq.__version__} · "
          f"{torch.get_num_threads()} threads · one forward + backward, median of {args.repeat}")
    print(HEADER)
    print("-" * len(HEADER.splitlines()[0]))
    rows = measure_steps(func, y0, t, args.steps, repeat=args.repeat, device=device,
                         on_row=lambda row: print(format_row(row), flush=True))
    nfe = dopri5_nfe(func, y0, t, args.tols)
    for row in nfe:
        print(format_nfe(row))
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
