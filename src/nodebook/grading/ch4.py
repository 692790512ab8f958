"""Public checks of Assignment 4 (ODE-Nets): form and stated properties, no reference values."""

from __future__ import annotations

import torch

from ._public import CheckFailed, as_number, count, function, passed, tensor_like

F64 = torch.float64


def check_rknet_nfe(nfe) -> None:
    """Exercise 4.1: a count of function evaluations (an int: 16.4 or 16.0 is not a count)."""
    count(nfe, "nfe")
    passed("nfe")


def check_flow_bound(bound) -> None:
    """Exercise 4.2: a loss, so a number that is not negative."""
    if as_number(bound, "bound") < 0:
        raise CheckFailed("bound: a sum of squares is never negative")
    passed("bound")


def check_resblock(res_block) -> None:
    """Exercise 4.3: an ``nn.Module`` that keeps the shape ``(batch, c, length)``."""
    block = function(res_block, 8, what="res_block(8)")
    if not isinstance(block, torch.nn.Module):
        raise CheckFailed(f"res_block(8): wrong type: expected a torch.nn.Module, got {type(block).__name__}")
    tensor_like(block(torch.ones(2, 8, 5)), (2, 8, 5), "res_block(8)(z) for z of shape (2, 8, 5)")
    passed("res_block")


def check_even_dims(flow_can_negate) -> None:
    """Exercise 4.4a: True or False for each dimension."""
    for d in (1, 2):
        if not isinstance(function(flow_can_negate, d, what="flow_can_negate(d)"), bool):
            raise CheckFailed("flow_can_negate(d): wrong type: expected True or False")
    passed("flow_can_negate")


def check_negating_field(field) -> None:
    """Exercise 4.4b: ``field(t, z)`` returns a velocity of z's shape, for a batch of points in the plane."""
    z = torch.ones(5, 2, dtype=F64)
    tensor_like(function(field, torch.tensor(0.0, dtype=F64), z, what="field(t, z)"), (5, 2), "field(t, z)")
    passed("field")
