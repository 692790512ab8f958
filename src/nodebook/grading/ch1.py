"""Public checks of Assignment 1 (ODEs and solvers): form and stated properties, no reference values."""

from __future__ import annotations

import torch

from ._public import CheckFailed, as_number, function, passed, tensor_like

F64 = torch.float64


def check_euler_by_hand(y_euler, error) -> None:
    """Exercise 1.1: two numbers."""
    as_number(y_euler, "y_euler")
    if as_number(error, "error") < 0:
        raise CheckFailed("error: an error |a - b| is never negative")
    passed("y_euler and error")


def check_fitted_order(fitted_order) -> None:
    """Exercise 1.2: ``fitted_order(hs, errors)`` returns a number; exact power laws give their exponent."""
    hs = [0.1, 0.05, 0.025]
    got = as_number(function(fitted_order, hs, [h**3 for h in hs], what="fitted_order(hs, errors)"),
                    "fitted_order(hs, errors) on errors = h**3")
    if abs(got - 3) > 1e-6:
        raise CheckFailed("fitted_order: on errors that are exactly h**3 the slope must be 3")
    passed("fitted_order")


def _step(step, name: str) -> None:
    def f(t, y):
        return -y

    for y in (torch.tensor([1.0], dtype=F64), torch.ones(2, 3, dtype=F64), torch.ones(2)):
        tensor_like(function(step, f, torch.tensor(0.0, dtype=y.dtype), y, 0.1, what=f"{name}(f, t, y, h)"),
                    tuple(y.shape), f"{name} on a state of shape {tuple(y.shape)}")
    passed(name)


def check_ralston(ralston_step) -> None:
    """Exercise 1.3: a step function that keeps the state's shape (float64 and float32)."""
    _step(ralston_step, "ralston_step")


def check_kutta3(kutta3_step) -> None:
    """Exercise 1.4: a step function that keeps the state's shape (float64 and float32)."""
    _step(kutta3_step, "kutta3_step")


def check_rk4_stability(h_max, rate: float = 10.0) -> None:
    """Exercise 1.5: a positive step size."""
    if as_number(h_max, "h_max") <= 0:
        raise CheckFailed("h_max: a step size is positive")
    passed("h_max")
