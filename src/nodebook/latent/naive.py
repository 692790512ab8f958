"""Baselines with nothing learned, which a model must beat before its numbers mean anything.

* :func:`linear_interpolation`: straight lines between each series' observed points (each feature
  alone), flat beyond the first and last observation;
* :func:`constant_velocity`: the line through each series' last two observed points, carried forward;
* :func:`last_value`: each series' last observed value, carried forward.

All take a batch ``(t, x, mask)`` as the rest of :mod:`nodebook.latent` (``t: (T,)``, ``x, mask:
(batch, T, D)``) and the times to predict ``t_pred: (T',)``, and return ``(batch, T', D)``. A (series,
feature) with nothing observed predicts 0 (what the scaled data's minimum is).
"""

from __future__ import annotations

import numpy as np
import torch

from .encoders import check_series


def _columns(t, x, mask, t_pred):
    check_series(t, x, mask)
    if not isinstance(t_pred, torch.Tensor) or t_pred.dim() != 1:
        raise ValueError(f"t_pred must be a 1-D tensor of times; got {type(t_pred).__name__}")
    tt = t.detach().double().cpu().numpy()
    xs = x.detach().double().cpu().numpy()
    ms = mask.detach().cpu().numpy() > 0
    return tt, xs, ms, t_pred.detach().double().cpu().numpy()


def _back(out: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(out, dtype=like.dtype, device=like.device)


def linear_interpolation(t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor, t_pred: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear through each (series, feature)'s observed points, evaluated at ``t_pred``."""
    tt, xs, ms, tq = _columns(t, x, mask, t_pred)
    out = np.zeros((xs.shape[0], len(tq), xs.shape[2]))
    for b in range(xs.shape[0]):
        for d in range(xs.shape[2]):
            seen = ms[b, :, d]
            if seen.any():
                out[b, :, d] = np.interp(tq, tt[seen], xs[b, seen, d])
    return _back(out, x)


def constant_velocity(t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor, t_pred: torch.Tensor) -> torch.Tensor:
    """``x_last + (t - t_last) * slope`` of each (series, feature)'s last two observed points (the last value
    when only one was observed)."""
    tt, xs, ms, tq = _columns(t, x, mask, t_pred)
    out = np.zeros((xs.shape[0], len(tq), xs.shape[2]))
    for b in range(xs.shape[0]):
        for d in range(xs.shape[2]):
            idx = np.flatnonzero(ms[b, :, d])
            if len(idx) == 1:
                out[b, :, d] = xs[b, idx[-1], d]
            elif len(idx) > 1:
                i, j = idx[-2], idx[-1]
                slope = (xs[b, j, d] - xs[b, i, d]) / (tt[j] - tt[i])
                out[b, :, d] = xs[b, j, d] + slope * (tq - tt[j])
    return _back(out, x)


def last_value(t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor, t_pred: torch.Tensor) -> torch.Tensor:
    """Each (series, feature)'s last observed value at every time of ``t_pred``."""
    tt, xs, ms, tq = _columns(t, x, mask, t_pred)
    out = np.zeros((xs.shape[0], len(tq), xs.shape[2]))
    for b in range(xs.shape[0]):
        for d in range(xs.shape[2]):
            idx = np.flatnonzero(ms[b, :, d])
            if len(idx):
                out[b, :, d] = xs[b, idx[-1], d]
    return _back(out, x)


__all__ = ["constant_velocity", "last_value", "linear_interpolation"]
