"""Public checks of Assignment 5 (continuous normalizing flows): form and stated properties, no reference values."""

from __future__ import annotations

import torch

from ._public import CheckFailed, as_number, function, passed, tensor_like

F64 = torch.float64


def check_affine_density(log_px) -> None:
    """Exercise 5.1: a number."""
    as_number(log_px, "log_px")
    passed("log_px")


def check_hutchinson_variances(var_gaussian, var_rademacher) -> None:
    """Exercise 5.2: two variances, so two numbers that are not negative."""
    for value, what in ((var_gaussian, "var_gaussian"), (var_rademacher, "var_rademacher")):
        if as_number(value, what) < 0:
            raise CheckFailed(f"{what}: a variance is never negative")
    passed("var_gaussian and var_rademacher")


def check_hutchinson_trace(hutchinson) -> None:
    """Exercise 5.3: one estimate per row; for f(z) = z the estimate is |ε|² (stated: εᵀ I ε)."""
    z = torch.zeros(3, 2, dtype=F64)
    eps = torch.tensor([[1.0, 0.0], [1.0, 1.0], [2.0, -1.0]], dtype=F64)
    got = tensor_like(function(hutchinson, lambda z: z, z, eps, what="hutchinson(f, z, eps)"), (3,),
                      "hutchinson(f, z, eps) for z of shape (3, 2)")
    if float((got - eps.pow(2).sum(-1)).abs().max()) > 1e-8:
        raise CheckFailed("hutchinson: for f(z) = z the Jacobian is I, and εᵀ I ε = |ε|²: yours differs")
    passed("hutchinson")


def check_linear_cnf(log_prob) -> None:
    """Exercise 5.4: one log-density per point."""
    got = function(log_prob, torch.zeros(4, 2, dtype=F64), -torch.eye(2, dtype=F64), 0.5, what="log_prob(x, A, T)")
    tensor_like(got, (4,), "log_prob(x, A, T) for x of shape (4, 2)")
    passed("log_prob")
