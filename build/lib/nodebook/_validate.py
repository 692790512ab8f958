"""Input checks shared by the data, model and training modules; every message says expected vs got."""

from __future__ import annotations

import math
from typing import Any

import torch


def describe(x: Any) -> str:
    """A short description of ``x`` for error messages."""
    if isinstance(x, torch.Tensor):
        return f"a {x.dtype} tensor of shape {tuple(x.shape)} on {x.device}"
    return f"{x!r} ({type(x).__name__})" if isinstance(x, (int, float, str)) else type(x).__name__


def positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """``value`` as an int ``>= minimum``; bools and floats are refused."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {describe(value)}")
    return value


def positive_float(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """``value`` as a finite float ``> 0`` (or ``>= 0`` with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number; got {describe(value)}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be finite and {'>= 0' if allow_zero else '> 0'}; got {value:g}")
    return value


def seed(value: Any) -> int:
    """A seed: a non-negative int."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"seed must be a non-negative int; got {describe(value)}")
    return value


def features_and_labels(x: Any, y: Any) -> None:
    """``x``: ``(n, ...)`` floating tensor and ``y``: ``(n,)`` tensor with the same ``n``."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.dim() < 1:
        raise TypeError(f"x must be a floating-point tensor shaped (n, ...); got {describe(x)}")
    if not isinstance(y, torch.Tensor) or y.dim() != 1:
        raise TypeError(f"y must be a 1-D tensor shaped (n,); got {describe(y)}")
    if len(x) != len(y):
        raise ValueError(f"x and y must hold the same number of samples; got {len(x)} and {len(y)}")
    if len(x) == 0:
        raise ValueError("x and y must hold at least one sample; got 0")
