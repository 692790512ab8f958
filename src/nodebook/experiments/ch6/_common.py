"""What chapter 6's experiments share: seeding, thread choice, solver settings from a budget."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from ...config import torch_threads


def threads(device: torch.device):
    """One CPU thread for the chapter's small recurrent models (see :func:`nodebook.config.torch_threads`)."""
    return torch_threads(1 if torch.device(device).type == "cpu" else None)


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Build modules from ``seed`` without disturbing the caller's random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def solver_settings(budget: dict) -> dict:
    """``method``/``rtol``/``atol``/``options`` for a latent ODE from a budget block (fixed-step: no tolerances)."""
    settings = {"method": budget.get("method", "rk4")}
    if settings["method"] == "dopri5":
        settings.update(rtol=budget.get("rtol", 1e-3), atol=budget.get("atol", 1e-4))
    return settings
