"""The single place that checks what a user passed to ``odeint``; every message says expected vs got."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch


def _describe(x: Any) -> str:
    if isinstance(x, torch.Tensor):
        return f"a {x.dtype} tensor of shape {tuple(x.shape)} on {x.device}"
    return type(x).__name__


def check_y0(y0: Any, name: str = "y0") -> None:
    if isinstance(y0, list):
        raise TypeError(
            f"{name} must be a torch.Tensor or a tuple of tensors; got a list (a list is ambiguous: "
            "torch.tensor(...) for one state, tuple(...) for several)")
    if not isinstance(y0, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or a tuple of tensors; got {_describe(y0)}")
    if y0.dtype in (torch.float16, torch.bfloat16):
        # Their eps (1e-3, 8e-3) is above any useful tolerance: the error control cannot work in them.
        raise TypeError(f"{name} must be float32 or float64; got {y0.dtype}, too coarse for the solvers' "
                        "error control (solve in float32 and cast the result)")
    if y0.dtype not in (torch.float32, torch.float64):
        raise TypeError(f"{name} must have a floating-point dtype (float32 or float64); got {y0.dtype}")
    if y0.device.type != "meta" and not bool(torch.isfinite(y0).all()):
        bad = (~torch.isfinite(y0)).nonzero()[0].tolist()
        raise ValueError(f"{name} must be finite; got {y0[tuple(bad)].item()} at index {tuple(bad)}")


def check_t(t: Any, y0: torch.Tensor) -> list[float]:
    """Check the output times and return them as Python floats."""
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"t must be a 1-D torch.Tensor of output times; got {_describe(t)}")
    if t.dim() != 1:
        raise ValueError(f"t must be 1-D; got shape {tuple(t.shape)}")
    if t.device != y0.device:
        raise ValueError(
            f"t and y0 must be on the same device; got t on {t.device} and y0 on {y0.device} "
            "(move one, e.g. t = t.to(y0.device))")
    if t.numel() < 1:
        raise ValueError("t must hold at least 1 time point (the start); got 0")
    if t.is_complex() or t.dtype == torch.bool:
        raise TypeError(f"t must be real-valued; got {t.dtype}")
    times = [float(s) for s in t.detach().cpu().double().tolist()]
    for i, s in enumerate(times):
        if not math.isfinite(s):
            raise ValueError(f"t must be finite; got t[{i}]={s}")
    increasing = len(times) < 2 or times[1] > times[0]
    for i in range(1, len(times)):
        if (times[i] > times[i - 1]) != increasing or times[i] == times[i - 1]:
            raise ValueError(
                "t must be strictly increasing or strictly decreasing; "
                f"got t[{i}]={times[i]:g} after t[{i - 1}]={times[i - 1]:g}")
    return times


TIME_RESOLUTION = 1e-5
"""The largest rounding of a time, relative to the span, that :func:`check_time_precision` accepts."""


def check_time_precision(times: list[float], t: torch.Tensor, y0: torch.Tensor) -> None:
    """Refuse times that ``y0``'s dtype cannot hold when ``t`` has a finer dtype than ``y0``.

    ``func`` gets ``t`` in ``y0``'s dtype (as in torchdiffeq: a network sees one dtype). Near 0 that
    rounding is harmless; far from 0 (``t = 1e6 + ...`` in float64 with a float32 ``y0``) it moves the
    times by a sizeable part of the span, and the answer would be silently wrong.
    """
    eps_t = torch.finfo(t.dtype).eps if t.is_floating_point() else 0.0  # integer times are exact
    if len(times) < 2 or eps_t >= torch.finfo(y0.dtype).eps:
        return
    span = abs(times[-1] - times[0])
    far = max(abs(times[0]), abs(times[-1]))
    rounding = torch.finfo(y0.dtype).eps / 2 * far
    if rounding > TIME_RESOLUTION * span:
        raise ValueError(
            f"t is {str(t.dtype)[6:]} but y0 is {str(y0.dtype)[6:]}: func(t, y) gets t in y0's dtype, and near "
            f"t={far:g} that dtype holds a time only to within {rounding:.2g}, {rounding / span:.1e} of the span "
            f"{span:g} (at most {TIME_RESOLUTION:g} is accepted), so f would be evaluated at the wrong times. "
            "Solve in float64 (y0.double()), or shift the times to start near 0 (t - t[0]) and add the "
            "offset inside func.")


def check_func(func: Any) -> None:
    if not callable(func):
        raise TypeError(f"func must be callable as func(t, y); got {_describe(func)}")


def check_output(f0: Any, y0: torch.Tensor, t0: float) -> None:
    """Check the first evaluation ``func(t0, y0)``: a finite tensor like ``y0``."""
    if not isinstance(f0, torch.Tensor):
        raise TypeError(f"func(t, y) must return a torch.Tensor shaped like y; got {_describe(f0)}")
    if f0.shape != y0.shape:
        raise ValueError(
            f"func(t, y) must return a tensor of the same shape as y {tuple(y0.shape)}; "
            f"got shape {tuple(f0.shape)}")
    if f0.dtype != y0.dtype:
        raise TypeError(f"func(t, y) must return the dtype of y ({y0.dtype}); got {f0.dtype}")
    if f0.device != y0.device:
        raise ValueError(f"func(t, y) must return a tensor on y's device ({y0.device}); got {f0.device}")
    if f0.device.type != "meta" and not bool(torch.isfinite(f0).all()):
        raise ValueError(f"func(t, y) returned NaN or inf at t={t0:g} (the first evaluation, y=y0)")


def check_tolerance(name: str, value: Any, *, allow_zero: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number; got {_describe(value)}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}; got {value:g}")
    return value


def check_options(options: dict | None, method: str, allowed: tuple[str, ...]) -> dict:
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise TypeError(f"options must be a dict; got {_describe(options)}")
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(
            f"unknown option(s) {', '.join(map(repr, unknown))} for method {method!r}; "
            f"known options: {', '.join(allowed)}")
    opts = dict(options)
    if "step_size" in opts and opts["step_size"] is not None:
        opts["step_size"] = check_tolerance("options['step_size']", opts["step_size"], allow_zero=False)
    if "first_step" in opts and opts["first_step"] is not None:
        opts["first_step"] = check_tolerance("options['first_step']", opts["first_step"], allow_zero=False)
    for key, low, high, low_open in (("safety", 0.0, 1.0, True), ("ifactor", 1.0, math.inf, False),
                                     ("dfactor", 0.0, 1.0, True)):
        if key in opts:
            opts[key] = _check_factor(key, opts[key], low, high, low_open)
    if "max_num_steps" in opts:
        n = opts["max_num_steps"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"options['max_num_steps'] must be a positive int; got {n!r}")
    return opts


def _check_factor(key: str, value: Any, low: float, high: float, low_open: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"options['{key}'] must be a number; got {_describe(value)}")
    value = float(value)
    if not (value > low if low_open else value >= low) or not value <= high or not math.isfinite(value):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}]" if math.isfinite(high) else f">= {low:g}"
        raise ValueError(f"options['{key}'] must be in {interval}; got {value:g}")
    return value


Func = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
