"""Small, shared measurement helpers: function-evaluation counts, wall time, peak memory.

The chapters and the benchmarks use the same ones, so the book shows the numbers the benchmarks print.
"""

from __future__ import annotations

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
