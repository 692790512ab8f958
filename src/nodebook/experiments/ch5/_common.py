"""What chapter 5's experiments share: the plotting window and 2-D histograms of samples."""

from __future__ import annotations

import numpy as np
import torch

LIM = 4.0  # the plotting window [-LIM, LIM]²


def _hist2d(x: torch.Tensor, bins: int) -> np.ndarray:
    """Normalised 2-D histogram of samples over the plotting window, rows = y (for heatmaps)."""
    h, _, _ = np.histogram2d(x[:, 1].cpu().numpy(), x[:, 0].cpu().numpy(), bins=bins,
                             range=[[-LIM, LIM], [-LIM, LIM]], density=True)
    return h
