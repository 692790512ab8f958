"""Public checks of Assignment 7 (neural ODEs in practice): form and stated properties, no reference values."""

from __future__ import annotations

import torch

from ._public import CheckFailed, as_number, count, function, passed, tensor_like

F64 = torch.float64


def check_euler_limit(h_max, min_steps) -> None:
    """Exercise 7.1: a positive step and a count of steps (an int)."""
    if as_number(h_max, "h_max") <= 0:
        raise CheckFailed("h_max: a step size is positive")
    if count(min_steps, "min_steps") < 1:
        raise CheckFailed("min_steps: at least one step")
    passed("h_max and min_steps")


def check_backward_euler(backward_euler_step) -> None:
    """Exercise 7.2: a state of the same shape; with A = 0 the state does not change (stated: y' = 0)."""
    y = torch.tensor([1.0, -2.0], dtype=F64)
    got = tensor_like(function(backward_euler_step, torch.zeros(2, 2, dtype=F64), y.clone(), 0.5,
                               what="backward_euler_step(A, y, h)"), (2,), "backward_euler_step(A, y, h)")
    if float((got - y).abs().max()) > 1e-12:
        raise CheckFailed("backward_euler_step: with A = 0 nothing moves, but your step changed y")
    passed("backward_euler_step")


def check_stiffness_ratio(stiffness_ratio) -> None:
    """Exercise 7.3: a number of at least 1; a multiple of the identity is not stiff (ratio 1)."""
    got = as_number(function(stiffness_ratio, -2.0 * torch.eye(3, dtype=F64), what="stiffness_ratio(A)"),
                    "stiffness_ratio(-2 I)")
    if abs(got - 1.0) > 1e-9:
        raise CheckFailed("stiffness_ratio: all eigenvalues of -2 I are equal, so the ratio is 1")
    passed("stiffness_ratio")


def check_kinetic_energy(kinetic_energy) -> None:
    """Exercise 7.4: a number; a field that is zero has no kinetic energy."""
    got = as_number(function(kinetic_energy, lambda t, z: 0.0 * z, torch.ones(2, dtype=F64), 1.0,
                             what="kinetic_energy(f, z0, T)"), "kinetic_energy for f = 0")
    if abs(got) > 1e-12:
        raise CheckFailed("kinetic_energy: for f = 0 the integral of |f|² is 0")
    passed("kinetic_energy")


def check_seminorm(seminorm, rms) -> None:
    """Exercise 7.5: two numbers; both are 0 for a zero state."""
    s = torch.zeros(7, dtype=F64)
    for fn, args, what in ((seminorm, (s, 2), "seminorm(s, d)"), (rms, (s,), "rms(s)")):
        if as_number(function(fn, *args, what=what), what) != 0:
            raise CheckFailed(f"{what}: the norm of a zero vector is 0")
    passed("seminorm and rms")
