"""(d) When the GPU loses: one solver step of an MLP field against batch size and width, per device.

One RK4 step is four evaluations of the field. For a small batch each evaluation is a handful of tiny
matrix products, and the time is the fixed cost of launching them (Python, the dispatcher, on a GPU the
kernel launch): the same whatever the size. Only when the arithmetic outgrows that fixed cost does the
time grow with the size, and only then can more parallel hardware (a second CPU thread, a GPU) pay.
"""

from __future__ import annotations

import statistics
import time

import torch

from ...config import Config, seeded, torch_threads
from ...measure import synchronize
from ...solvers import odeint
from .adjoints import MLPField


def step_seconds(field, y0: torch.Tensor, *, repeat: int, h: float = 0.1) -> float:
    """Median seconds of one RK4 step ``odeint(field, y0, [0, h], method="rk4")`` without autograd."""
    t = torch.tensor([0.0, h], dtype=y0.dtype, device=y0.device)
    times = []
    with torch.no_grad():
        for i in range(repeat + 2):
            synchronize(y0.device)
            start = time.perf_counter()
            odeint(field, y0, t, method="rk4")
            synchronize(y0.device)
            if i >= 2:  # two warm-up steps (allocator, lazy initialisation, kernel caches)
                times.append(time.perf_counter() - start)
    return statistics.median(times)


def _targets() -> list[tuple[str, str, int | None]]:
    """(label, device, threads): CPU on one thread, CPU on all, and CUDA when present."""
    out = [("cpu, 1 thread", "cpu", 1), (f"cpu, {torch.get_num_threads()} threads", "cpu", None)]
    if torch.cuda.is_available():
        out.append((f"cuda ({torch.cuda.get_device_name()})", "cuda", None))
    return out


def step_times(widths: list[int], batches: list[int], *, dim: int = 2, repeat: int = 20) -> list[dict]:
    """Seconds per RK4 step for every target, width and batch size."""
    rows = []
    for label, device, threads in _targets():
        with torch_threads(threads):
            for width in widths:
                with seeded(0):
                    field = MLPField(dim, width).to(device)
                for batch in batches:
                    y0 = torch.randn(batch, dim, device=device)
                    rows.append({"target": label, "device": device, "width": width, "batch": batch,
                                 "seconds": step_seconds(field, y0, repeat=repeat)})
    return rows


def crossover(rows: list[dict], width: int, fast: str, base: str = "cpu, 1 thread") -> int | None:
    """The smallest batch at which ``fast`` beats ``base`` for ``width`` (and stays ahead), else None."""
    a = {r["batch"]: r["seconds"] for r in rows if r["target"] == base and r["width"] == width}
    b = {r["batch"]: r["seconds"] for r in rows if r["target"] == fast and r["width"] == width}
    batches = sorted(set(a) & set(b))
    for i, n in enumerate(batches):
        if all(b[m] < a[m] for m in batches[i:]):
            return n
    return None


def compile_effect(width: int, batches: list[int], *, dim: int = 2, repeat: int = 20) -> dict:
    """One CPU thread: the eager field against ``torch.compile``'d, per batch; compile time included apart."""
    with torch_threads(1), seeded(0):
        field = MLPField(dim, width)
        try:
            compiled = torch.compile(field, dynamic=False)
            start = time.perf_counter()
            with torch.no_grad():
                compiled(torch.tensor(0.0), torch.randn(batches[0], dim))
            first = time.perf_counter() - start
        except Exception as err:  # no compiler toolchain, unsupported platform: say so, don't fail the chapter
            return {"available": False, "reason": f"{type(err).__name__}: {str(err)[:200]}"}
        rows = []
        for batch in batches:
            y0 = torch.randn(batch, dim)
            rows.append({"batch": batch, "eager": step_seconds(field, y0, repeat=repeat),
                         "compiled": step_seconds(compiled, y0, repeat=repeat)})
    return {"available": True, "width": width, "first_call_s": first, "rows": rows}


def device_sweep(cfg: Config) -> dict:
    b = cfg.budget["devices"]
    rows = step_times(b["widths"], b["batches"], repeat=b["repeat"])
    targets = sorted({r["target"] for r in rows}, key=[t[0] for t in _targets()].index)
    cross = {t: {str(w): crossover(rows, w, t) for w in b["widths"]} for t in targets[1:]}
    out = {"rows": rows, "targets": targets, "crossover": cross, "cuda": torch.cuda.is_available()}
    if b["compile"]:
        out["compile"] = compile_effect(b["compile_width"], b["compile_batches"], repeat=b["repeat"])
    return out
