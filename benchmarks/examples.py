"""A training iteration of torchdiffeq's example scripts against the book's equivalent, side by side.

Readers come to the book from torchdiffeq's ``examples/``; this measures what one training iteration
costs there and here, for the same model sizes, batch, solver, tolerance and data:

* ``ode_demo``: fit ``dy/dt = MLP(y³)`` (2→50→2, tanh) to a spiral; batch 20 windows of 10 points,
  dopri5 at torchdiffeq's default tolerances (rtol 1e-7, atol 1e-9), RMSprop 1e-3, L1 loss.
* ``latent_ode``: 1000 noisy spirals of 100 points, tanh RNN encoder (25 units) run backwards, latent
  ODE (4 → 20 → 20 → 4, ELU) by dopri5 at default tolerances, decoder 4 → 20 → 2, ELBO, Adam 1e-2.
* ``cnf``: Chen et al.'s hypernetwork CNF (width 64, hypernetwork 32) on 512 ``make_circles`` points,
  dopri5 at 1e-5 from t = 10 to 0, exact divergence, base N(0, 0.1 I), Adam 1e-3.

The reference side is written here from torchdiffeq's published example settings (its code is not
vendored) and solved with ``torchdiffeq.odeint``; the book's side uses ``nodebook``: its solver, and for
the CNF the closed-form divergence of :class:`nodebook.flows.HyperDynamics` (the example takes one
backward pass per dimension). Both sides start from the same weights and see the same batches; their
iterations are interleaved (A, B, A, B, ...) so that machine load hits both alike, and the median of the
timed iterations (after warm-up) is reported with the mean loss of the last ten and the 1-minute load
average before and after.

Algorithm or implementation: ``ratio`` is the book's step against the example's; where the book's step
is a different algorithm for the same model (the CNF's closed-form divergence; the latent ODE's encoder
reading its output layer once instead of at every step), a third side runs the example's own algorithm
on the book's code and ``ratio_same_algorithm`` gives that ratio too (equal to ``ratio`` otherwise).
For the latent ODE, ``network_floor_ratio`` is the book's step with its solve replaced by the network
evaluated as often as torchdiffeq's solve did, with no solver around it: the encoder, decoder, loss and
network cost that no solver can remove, so the lowest ``ratio`` any solver could reach.

Usage::

    python benchmarks/examples.py [--iters 20] [--warmup 3] [--device cpu|cuda] [--threads 1]
                                  [--only ode_demo,latent_ode,cnf] [--out results/bench_examples.json]

Goal (issue 16): book / torchdiffeq time per iteration <= 0.5 on CPU (<= 0.2 on a GPU), same loss.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torchdiffeq

from nodebook import results
from nodebook.config import resolve_device

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _example_cases import cnf_case, latent_ode_case, ode_demo_case  # noqa: E402

CASES = {"ode_demo": ode_demo_case, "latent_ode": latent_ode_case, "cnf": cnf_case}
SIDES = ("torchdiffeq", "nodebook", "nodebook_same", "network_floor")
GOAL_CPU, GOAL_GPU = 0.5, 0.2


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def compare(name: str, *, iters: int, warmup: int, device: torch.device, seed: int = 0) -> dict:
    """Interleaved training iterations of the reference and the book's step for one example."""
    steps = CASES[name](device=device, seed=seed)
    sides = [s for s in SIDES if s in steps]
    times: dict[str, list[float]] = {s: [] for s in sides}
    losses: dict[str, list[float]] = {s: [] for s in sides}
    nfe: dict[str, list[int]] = {s: [] for s in sides}
    load_before = os.getloadavg()
    for i in range(warmup + iters):
        for side in (sides if i % 2 == 0 else sides[::-1]):
            _sync(device)
            start = time.perf_counter()
            loss, n = steps[side](i)
            _sync(device)
            elapsed = time.perf_counter() - start
            losses[side].append(loss)
            nfe[side].append(n)
            if i >= warmup:
                times[side].append(elapsed)
    med = {k: statistics.median(v) for k, v in times.items()}
    last = {k: float(np.mean(v[-10:])) for k, v in losses.items()}
    row = {
        "example": name, "settings": steps["settings"], "iters": iters, "warmup": warmup,
        "load_average_1min": [load_before[0], os.getloadavg()[0]],
        "torchdiffeq_ms": 1e3 * med["torchdiffeq"], "nodebook_ms": 1e3 * med["nodebook"],
        "ratio": med["nodebook"] / med["torchdiffeq"],
        "torchdiffeq_nfe": float(np.mean(nfe["torchdiffeq"])), "nodebook_nfe": float(np.mean(nfe["nodebook"])),
        "torchdiffeq_loss_last10": last["torchdiffeq"], "nodebook_loss_last10": last["nodebook"],
    }
    if "nodebook_same" in sides:  # the example's own algorithm on the book's code: the solver's share
        row.update({"same_algorithm": steps["same_algorithm"], "nodebook_same_ms": 1e3 * med["nodebook_same"],
                    "ratio_same_algorithm": med["nodebook_same"] / med["torchdiffeq"],
                    "nodebook_same_nfe": float(np.mean(nfe["nodebook_same"])),
                    "nodebook_same_loss_last10": last["nodebook_same"]})
    else:
        row.update({"same_algorithm": "yes: the book's step is the example's algorithm",
                    "ratio_same_algorithm": row["ratio"]})
    if "network_floor" in sides:  # the book's step with no solver: the lowest ratio a solver could reach
        row.update({"network_floor_ms": 1e3 * med["network_floor"],
                    "network_floor_ratio": med["network_floor"] / med["torchdiffeq"]})
        del losses["network_floor"]  # a step without a solve: its loss is not a result
    row.update({"times_ms": {k: [1e3 * x for x in v] for k, v in times.items()}, "losses": losses})
    return row


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--device", default=None)
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--only", default=",".join(CASES))
    ap.add_argument("--out", default=None, help="default: results/bench_examples[_cuda].json")
    args = ap.parse_args(argv)
    device = resolve_device(args.device)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in CASES]
    if unknown:
        ap.error(f"unknown example(s) {unknown}; valid: {', '.join(CASES)}")
    if args.iters < 10 or args.warmup < 1:
        ap.error(f"--iters must be >= 10 and --warmup >= 1; got {args.iters} and {args.warmup}")
    if args.threads and device.type == "cpu":
        torch.set_num_threads(args.threads)
    rows = []
    for name in names:
        row = compare(name, iters=args.iters, warmup=args.warmup, device=device)
        rows.append(row)
        print(f"{name:>10}: torchdiffeq {row['torchdiffeq_ms']:8.1f} ms  nodebook {row['nodebook_ms']:8.1f} ms"
              f"  ratio {row['ratio']:.2f}  NFE {row['torchdiffeq_nfe']:.0f}/{row['nodebook_nfe']:.0f}"
              f"  loss(last 10) {row['torchdiffeq_loss_last10']:.4f}/{row['nodebook_loss_last10']:.4f}"
              f"  same-algorithm ratio {row['ratio_same_algorithm']:.2f}"
              + (f"  network alone {row['network_floor_ratio']:.2f}" if "network_floor_ratio" in row else "")
              + f"  load {row['load_average_1min'][0]:.1f}-{row['load_average_1min'][1]:.1f}", flush=True)
    goal = GOAL_GPU if device.type == "cuda" else GOAL_CPU
    record = {
        "benchmark": "examples", "device": device.type, "device_name": results.device_name(device),
        "threads": torch.get_num_threads(), "processes": 1, "cpu_count": os.cpu_count(),
        "torch": torch.__version__, "torchdiffeq": torchdiffeq.__version__,
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "git_commit": results.git_commit(),
        "goal_ratio": goal, "rows": rows,
    }
    default = "bench_examples.json" if device.type == "cpu" else "bench_examples_cuda.json"
    out = Path(args.out) if args.out else results.results_dir() / default
    out.write_text(json.dumps(results.to_jsonable(record), indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
