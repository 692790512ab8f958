"""What the chapter 2 experiments share: one CPU thread for tiny models, seeded construction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from ...config import torch_threads


def _threads(device: torch.device):
    """One CPU thread while the chapter's tiny models run (a 2-D state through a width-32 MLP is a few
    microseconds of arithmetic per operation: intra-op threads only add synchronisation)."""
    return torch_threads(1 if torch.device(device).type == "cpu" else None)


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Build modules from ``seed`` without disturbing the caller's random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
