"""Public checks of Assignment 3 (the adjoint method): form and stated properties, no reference values."""

from __future__ import annotations

import torch

from ._public import as_number, function, passed, tensor_like

F64 = torch.float64


def check_constant_input(dl_dz0, dl_dc) -> None:
    """Exercise 3.1: two numbers."""
    as_number(dl_dz0, "dL/dz0")
    as_number(dl_dc, "dL/dc")
    passed("dL/dz0 and dL/dc")


def check_jump(a_after, a_before) -> None:
    """Exercise 3.2: two numbers."""
    as_number(a_after, "a(1⁺)")
    as_number(a_before, "a(1⁻)")
    passed("a(1⁺) and a(1⁻)")


def check_linear_adjoint(adjoint_at_zero) -> None:
    """Exercise 3.3: a vector of the state's size."""
    got = function(adjoint_at_zero, -torch.eye(3, dtype=F64), torch.ones(3, dtype=F64), 0.5,
                   what="adjoint_at_zero(A, w, t1)")
    tensor_like(got, (3,), "adjoint_at_zero(A, w, t1)")
    passed("adjoint_at_zero")


def check_end_time_gradient(grad_end_time) -> None:
    """Exercise 3.4: a number."""
    as_number(function(grad_end_time, lambda t, z: -z, torch.ones(2, dtype=F64), 1.0, lambda z: z.sum(),
                       what="grad_end_time(f, z0, t1, loss)"), "grad_end_time(f, z0, t1, loss)")
    passed("grad_end_time")
