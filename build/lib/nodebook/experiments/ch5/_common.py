"""What chapter 5's experiments share: the plotting window, 2-D histograms of samples, checkpoint paths."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import torch

from ...config import Config, cache_dir

LIM = 4.0  # the plotting window [-LIM, LIM]²


def _hist2d(x: torch.Tensor, bins: int) -> np.ndarray:
    """Normalised 2-D histogram of samples over the plotting window, rows = y (for heatmaps)."""
    h, _, _ = np.histogram2d(x[:, 1].cpu().numpy(), x[:, 0].cpu().numpy(), bins=bins,
                             range=[[-LIM, LIM], [-LIM, LIM]], density=True)
    return h


def _checkpoint(tag: str, cfg: Config) -> str | None:
    """Where one fit is saved when the budget asks for checkpoints: a file in the cache named by ``tag``
    and a hash of everything that shapes the run (seed, dtype, budget), so a changed budget starts afresh."""
    if not cfg.budget.get("checkpoint"):
        return None
    key = json.dumps({"tag": tag, "seed": cfg.seed, "dtype": str(cfg.dtype), "budget": cfg.budget},
                     sort_keys=True, default=str)
    return str(cache_dir("ch5") / f"{tag}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt")
