"""Verdicts shared by every self-check: say *how* an answer is wrong, never what the right answer is.

A check that printed the expected value would turn every exercise into copying a number. So a wrong
answer raises :class:`CheckFailed` with one of four diagnoses (wrong type, wrong shape, too large, too
small) or, for tensors, the relative size of the difference, plus a hint; a right one prints ``✓``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch


class CheckFailed(AssertionError):
    """A learner's answer did not pass its self-check (an ``AssertionError``, so plain ``assert`` habits work).

    IPython shows it as its one-line message, without the check's source lines (``_render_traceback_``).
    """

    def _render_traceback_(self) -> list[str]:
        return [f"CheckFailed: {self}"]


def _type_name(value: object) -> str:
    return type(value).__name__


def as_number(value: object, what: str) -> float:
    """``value`` as a float, or :class:`CheckFailed` saying it has the wrong type (a tensor must have one element)."""
    if isinstance(value, bool | str | bytes) or value is None:  # float("2.5") would parse a string
        raise CheckFailed(f"{what}: wrong type: expected a number, got {_type_name(value)}")
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise CheckFailed(f"{what}: wrong shape: expected a single number, got a tensor of shape "
                              f"{tuple(value.shape)}")
        value = value.item()
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CheckFailed(f"{what}: wrong type: expected a number, got {_type_name(value)}") from None
    if not math.isfinite(number):
        raise CheckFailed(f"{what}: got {number}, which is not a finite number")
    return number


def close_number(got: object, exact: float, *, what: str, hint: str, rel_tol: float = 0.01,
                 abs_tol: float = 0.0) -> float:
    """Pass when ``got`` is within ``rel_tol`` (relative) or ``abs_tol`` of ``exact``; else say too large/small.

    Returns:
        The learner's value, as a float (never the exact one).
    """
    value = as_number(got, what)
    if not math.isclose(value, exact, rel_tol=rel_tol, abs_tol=abs_tol):
        direction = "too large" if value > exact else "too small"
        raise CheckFailed(f"{what} = {value:.6g} is {direction}. Hint: {hint}")
    print(f"✓ {what} = {value:.6g} is right")
    return value


def as_tensor(got: object, shape: tuple[int, ...], what: str) -> torch.Tensor:
    """``got`` as a float64 tensor of ``shape``, or :class:`CheckFailed` (wrong type / wrong shape)."""
    if not isinstance(got, torch.Tensor):
        raise CheckFailed(f"{what}: wrong type: expected a torch.Tensor, got {_type_name(got)}")
    if tuple(got.shape) != tuple(shape):
        raise CheckFailed(f"{what}: wrong shape: expected {tuple(shape)}, got {tuple(got.shape)}")
    if not got.is_floating_point():
        raise CheckFailed(f"{what}: wrong dtype: expected a floating-point tensor, got {got.dtype}")
    return got.detach().to(torch.float64).cpu()


def close_tensor(got: object, exact: torch.Tensor, *, what: str, hint: str, rel_tol: float = 1e-4) -> torch.Tensor:
    """Pass when ``got`` has ``exact``'s shape and is within ``rel_tol`` of it (relative to its largest entry)."""
    single = isinstance(got, torch.Tensor) and got.dtype == torch.float32
    value = as_tensor(got, tuple(exact.shape), what)
    exact = exact.detach().to(torch.float64).cpu()
    if single:  # a right float32 answer is right to float32's precision, not float64's
        rel_tol = max(rel_tol, 1e-5)
    if not torch.isfinite(value).all():
        raise CheckFailed(f"{what}: contains inf or nan")
    err = float((value - exact).abs().max() / exact.abs().max().clamp_min(1e-300))
    if err > rel_tol:
        raise CheckFailed(f"{what} is off by {err:.1e} (relative to its largest entry; allowed {rel_tol:.0e}). "
                          f"Hint: {hint}")
    print(f"✓ {what} is right (to {err:.0e})")
    return value


def order_near(measured: float, expected: int, *, what: str, hint: str, tol: float = 0.3) -> float:
    """Pass when a measured convergence order is within ``tol`` of ``expected``; else say too low/high."""
    if not math.isfinite(measured) or abs(measured - expected) > tol:
        direction = "too high" if measured > expected else "too low"
        raise CheckFailed(f"{what}: measured order {measured:.2f} is {direction}. Hint: {hint}")
    print(f"✓ {what}: measured order {measured:.2f}")
    return measured


def call(fn: object, *args, what: str):
    """Call a learner's function; a missing function or a stub still raising NotImplementedError is a fail."""
    if not isinstance(fn, Callable):
        raise CheckFailed(f"{what}: wrong type: expected a function, got {_type_name(fn)}")
    try:
        return fn(*args)
    except NotImplementedError:
        raise CheckFailed(f"{what}: not written yet (it raises NotImplementedError)") from None
