"""The network alone: what the benchmarks time beside each solver as the floor no solver can go below."""

from __future__ import annotations

import torch


def chain(func, y: torch.Tensor, t0: torch.Tensor, n: int, h: float) -> torch.Tensor:
    """``n`` evaluations of ``func`` chained by the cheapest possible update, one Euler add each."""
    for _ in range(n):
        y = torch.add(y, func(t0, y), alpha=h)
    return y
