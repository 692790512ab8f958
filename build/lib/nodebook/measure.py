"""Small, shared measurement helpers: function-evaluation counts, wall time, peak memory.

The chapters and the benchmarks use the same ones, so the book shows the numbers the benchmarks print.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass

import torch


class NFECounter(torch.nn.Module):
    """Wraps dynamics ``func(t, y)`` and counts its calls (forward evaluations).

    Works with any solver, nodebook's or torchdiffeq's: ``f = NFECounter(model); odeint(f, ...)``.
    If ``func`` is an ``nn.Module`` its parameters stay visible through the wrapper.
    """

    def __init__(self, func):
        super().__init__()
        if not callable(func):
            raise TypeError(f"NFECounter needs a callable func(t, y); got {type(func).__name__}")
        self.func = func
        self.nfe = 0

    def forward(self, t, y):
        self.nfe += 1
        return self.func(t, y)

    def reset(self) -> int:
        """Set the count to zero and return what it was."""
        n, self.nfe = self.nfe, 0
        return n


def synchronize(device: torch.device | str | None = None) -> None:
    """Wait for queued GPU work, so a timer measures the work and not only its launch."""
    dev = torch.device(device) if device is not None else None
    if (dev is None or dev.type == "cuda") and torch.cuda.is_available():
        torch.cuda.synchronize(dev)


@dataclass
class Timing:
    seconds: float = 0.0


@contextmanager
def timer(device: torch.device | str | None = None):
    """``with timer() as tm: ...`` then ``tm.seconds``; synchronizes CUDA before and after."""
    tm = Timing()
    synchronize(device)
    start = time.perf_counter()
    try:
        yield tm
    finally:
        synchronize(device)
        tm.seconds = time.perf_counter() - start


def time_call(fn, *, repeat: int = 5, warmup: int = 1, device: torch.device | str | None = None) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeat`` runs after ``warmup`` runs."""
    if repeat < 1 or warmup < 0:
        raise ValueError(f"repeat must be >= 1 and warmup >= 0; got repeat={repeat}, warmup={warmup}")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        with timer(device) as tm:
            fn()
        times.append(tm.seconds)
    times.sort()
    return times[len(times) // 2]


def peak_memory(fn, device: torch.device | str = "cpu", *, warmup: bool = True) -> int:
    """Peak extra memory of ``fn()``: the most tensor bytes alive at once beyond those alive at its start.

    The model and inputs made beforehand are not counted; what the call builds up is (for a training step,
    the activations autograd keeps: what an adjoint pass keeps flat and backprop does not).

    On CUDA this is ``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats``, minus
    ``memory_allocated`` at the start. On CPU, torch's profiler (``profile_memory=True``) records every
    tensor allocation and free with the CPU allocator's running total; the peak is the largest total
    reached, minus the total before the first event. Why not the process's peak RSS: glibc keeps freed
    memory for reuse, so a warm process under-reports, while a fresh process counts one-time library
    set-up (tens of MB), which swamps the few MB an adjoint pass needs. The profiler counts exactly the
    tensor bytes autograd and the solver hold, like ``max_memory_allocated`` on CUDA; it leaves out
    non-tensor memory (Python objects, autograd's graph nodes, BLAS scratch, the allocator's slack).

    Args:
        fn: a zero-argument callable, e.g. one forward and backward pass; in-process, any closure works.
        device: where ``fn`` allocates: ``"cpu"`` or a CUDA device.
        warmup: call ``fn()`` once first, unmeasured, so one-time allocations (``.grad`` buffers,
            cuBLAS workspaces) are not counted.

    Returns:
        Peak extra bytes (an int >= 0). The profiler slows ``fn`` down: time it separately.
    """
    dev = torch.device(device)
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"peak_memory measures 'cpu' or 'cuda' devices; got {str(dev)!r}")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(dev)!r} was asked for but CUDA is not available here; use 'cpu'")
    if not callable(fn):
        raise TypeError(f"fn must be a zero-argument callable; got {type(fn).__name__}")
    if warmup:
        fn()
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
        torch.cuda.reset_peak_memory_stats(dev)
        base = torch.cuda.memory_allocated(dev)
        fn()
        torch.cuda.synchronize(dev)
        return max(0, torch.cuda.max_memory_allocated(dev) - base)
    return _cpu_peak(fn)


def _cpu_peak(fn) -> int:
    from torch._C._profiler import _ExtraFields_Allocation
    from torch.profiler import ProfilerActivity, profile

    prof = profile(activities=[ProfilerActivity.CPU], profile_memory=True)
    with _quiet_stderr():
        prof.start()
    try:
        fn()
    finally:
        with _quiet_stderr():
            prof.stop()
    # Allocation events carry (alloc_size, total_allocated after it); frees have a negative size.
    events, stack = [], list(prof.profiler.kineto_results.experimental_event_tree())
    while stack:
        e = stack.pop()
        stack.extend(e.children)
        x = e.extra_fields
        if isinstance(x, _ExtraFields_Allocation) and x.device.type == "cpu":
            events.append((e.start_time_ns, x.total_allocated, x.alloc_size))
    if not events:
        return 0
    events.sort()
    base = events[0][1] - events[0][2]
    return max(0, max(total for _, total, _ in events) - base)


@contextmanager
def _quiet_stderr():
    """Kineto writes two log lines per profiling session straight to file descriptor 2: hide them."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def fit_order(h, err, *, floor: float = 1e-13, finest: int | None = 4) -> float:
    """Slope of log(err) against log(h): the observed order of convergence (or any log–log slope).

    Only the ``finest`` smallest ``h`` are used (an order is a statement about h → 0; coarse steps are
    not yet in that regime; ``None`` uses all), and points whose error is at round-off level (below
    ``floor``) or not finite are left out: they measure float64, not the method.

    Raises:
        ValueError: fewer than two usable points.
    """
    import math

    import numpy as np

    pts = sorted((math.log(a), math.log(b)) for a, b in zip(h, err, strict=True)
                 if a > 0 and math.isfinite(b) and b > floor)
    if finest is not None:
        pts = pts[:finest]
    if len(pts) < 2:
        raise ValueError(f"need at least 2 errors above {floor:g} to fit an order; got {len(pts)}")
    x, y = np.array(pts).T
    return float(np.polyfit(x, y, 1)[0])
