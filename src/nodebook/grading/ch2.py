"""Public checks of Assignment 2 (a ResNet is an Euler step): form and stated properties, no reference values."""

from __future__ import annotations

import torch

from ._public import CheckFailed, as_number, count, function, passed, tensor_like

F64 = torch.float64


def check_tied_resnet(z_out, n_blocks) -> None:
    """Exercise 2.1: a number and a count of blocks (an int)."""
    as_number(z_out, "z_out")
    if count(n_blocks, "n_blocks") < 1:
        raise CheckFailed("n_blocks: a network has at least one block")
    passed("z_out and n_blocks")


def check_flow_det(flow_det) -> None:
    """Exercise 2.2: a number; the zero field's flow is the identity (det 1)."""
    got = as_number(function(flow_det, lambda t, z: 0.0 * z, torch.ones(2, dtype=F64), 1.0,
                             what="flow_det(func, z0, t1)"), "flow_det for the zero field")
    if abs(got - 1.0) > 1e-6:
        raise CheckFailed("flow_det: for f = 0 the flow is the identity map, whose determinant is 1")
    passed("flow_det")


def check_invertible_step(s_max) -> None:
    """Exercise 2.3: a positive step."""
    if as_number(s_max, "s_max") <= 0:
        raise CheckFailed("s_max: a step size is positive")
    passed("s_max")


def check_invert_block(invert_block) -> None:
    """Exercise 2.4: the defining property z + g(z) = y, on a contraction of the student's choosing to see."""
    y = torch.tensor([[0.3, -0.2], [1.0, 0.5]], dtype=F64)

    def g(z):
        return 0.25 * torch.tanh(z)

    z = tensor_like(function(invert_block, g, y.clone(), 200, what="invert_block(g, y, n_iter)"), (2, 2),
                    "invert_block(g, y, n_iter)")
    if float((z + g(z) - y).abs().max()) > 1e-8:
        raise CheckFailed("invert_block: z + g(z) is not y for g(z) = 0.25·tanh(z)")
    passed("invert_block")
