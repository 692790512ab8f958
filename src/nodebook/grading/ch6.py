"""Public checks of Assignment 6 (latent ODEs): form and stated properties, no reference values."""

from __future__ import annotations

import torch

from ._public import CheckFailed, as_number, function, passed, tensor_like

F64 = torch.float64


def check_gaussian_loglik(value) -> None:
    """Exercise 6.1: a number."""
    as_number(value, "loglik")
    passed("loglik")


def check_masked_mse(masked_mse) -> None:
    """Exercise 6.2: a number; a perfect prediction scores 0 even where x is NaN."""
    x = torch.tensor([[[1.0], [float("nan")]]], dtype=F64)
    mask = torch.tensor([[[1.0], [0.0]]], dtype=F64)
    got = as_number(function(masked_mse, torch.tensor([[[1.0], [5.0]]], dtype=F64), x, mask,
                             what="masked_mse(pred, x, mask)"), "masked_mse on a perfect prediction")
    if got != 0:
        raise CheckFailed("masked_mse: a prediction equal to x where it is observed must score 0")
    passed("masked_mse")


def check_kl_gaussians(kl) -> None:
    """Exercise 6.3: one KL per row, and KL(q ‖ q) = 0."""
    m, lv = torch.zeros(2, 3, dtype=F64), torch.zeros(2, 3, dtype=F64)
    got = tensor_like(function(kl, m, lv, m, lv, what="kl(mu_q, logvar_q, mu_p, logvar_p)"), (2,),
                      "kl for inputs of shape (2, 3)")
    if float(got.abs().max()) > 1e-12:
        raise CheckFailed("kl: KL(q ‖ q) must be 0")
    passed("kl")


def check_union_grid(union_grid) -> None:
    """Exercise 6.4: a tuple (t, x, mask); one series gives its own times back."""
    series = [(torch.tensor([0.0, 1.0]), torch.tensor([[1.0], [2.0]]))]
    out = function(union_grid, series, what="union_grid(series)")
    if not (isinstance(out, tuple) and len(out) == 3):
        raise CheckFailed(f"union_grid(series): wrong type: expected a tuple (t, x, mask), got {type(out).__name__}")
    tensor_like(out[0], (2,), "t for one series of two times")
    tensor_like(out[1], (1, 2, 1), "x for one series of two times")
    tensor_like(out[2], (1, 2, 1), "mask for one series of two times")
    passed("union_grid")


def check_predictive_cov(predictive_cov) -> None:
    """Exercise 6.5: a covariance matrix: square and symmetric."""
    got = tensor_like(function(predictive_cov, torch.zeros(2, dtype=F64), torch.zeros(2, dtype=F64),
                               -torch.eye(2, dtype=F64), 1.0, what="predictive_cov(mu, logvar, A, t)"), (2, 2),
                      "predictive_cov for a 2-d state")
    if float((got - got.T).abs().max()) > 1e-8 * float(got.abs().max().clamp_min(1e-30)):
        raise CheckFailed("predictive_cov: a covariance matrix is symmetric")
    passed("predictive_cov")
