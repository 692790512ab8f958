"""Masked losses and metrics for irregularly-sampled series, and the Gaussian KL of a VAE.

A batch of series is ``x: (batch, T, D)`` on a shared time grid ``t: (T,)`` with ``mask: (batch, T, D)``
(1 where a value was observed, 0 where it is missing; ``x`` holds anything there). Every function here
counts only the entries the mask selects, so a missing value never contributes to a loss or a score.
Predictions may carry leading sample dimensions, ``(S, batch, T, D)``, broadcast against ``x``.
"""

from __future__ import annotations

import math

import torch

from .._validate import describe


def check_masked(pred: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> None:
    """``x`` and ``mask`` of the same shape ``(batch, T, D)``; ``pred`` shaped ``(..., batch, T, D)``."""
    for name, v in (("pred", pred), ("x", x), ("mask", mask)):
        if not isinstance(v, torch.Tensor) or not v.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor; got {describe(v)}")
    if x.dim() != 3:
        raise ValueError(f"x must be shaped (batch, T, D); got shape {tuple(x.shape)}")
    if mask.shape != x.shape:
        raise ValueError(f"mask must have x's shape {tuple(x.shape)}; got {tuple(mask.shape)}")
    if pred.dim() < 3 or pred.shape[-3:] != x.shape:
        raise ValueError(f"pred must be shaped (..., {', '.join(map(str, x.shape))}); got {tuple(pred.shape)}")


def masked_sse(pred: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Sum of squared errors over the observed entries, per series: ``(..., batch)``."""
    check_masked(pred, x, mask)
    return ((pred - x) ** 2 * mask).sum(dim=(-1, -2))


def masked_mse(pred: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over all observed entries of the batch (a scalar).

    Every observed value counts once, whichever series it belongs to (as in Rubanova et al.'s tables).
    Leading sample dimensions of ``pred`` are averaged too.

    Raises:
        ValueError: shapes disagree, or the mask selects nothing.
    """
    sse = masked_sse(pred, x, mask)
    n = mask.sum()
    if float(n) == 0:
        raise ValueError("mask selects no entries; a masked mean needs at least one observed value")
    return sse.sum(dim=-1).mean() / n


def per_series_mse(pred: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Rubanova et al.'s test MSE (``compute_masked_likelihood`` with ``mse``), per series: ``(..., batch)``.

    For each series and feature, the mean squared error over that feature's observed times (0 when it
    has none, as in the published code); then the mean over the ``D`` features. So a series with many
    measurements counts no more than one with few, and a rarely measured feature as much as a frequent
    one. Average the result over series (and samples) for the table's number.
    """
    check_masked(pred, x, mask)
    n = mask.sum(dim=-2)  # (batch, D)
    sse = ((pred - x) ** 2 * mask).sum(dim=-2)  # (..., batch, D)
    cell = torch.where(n > 0, sse / n.clamp(min=1), torch.zeros_like(sse))
    return cell.mean(dim=-1)


def masked_rmse(pred: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Square root of :func:`masked_mse`."""
    return masked_mse(pred, x, mask).sqrt()


def masked_gaussian_log_likelihood(pred: torch.Tensor, x: torch.Tensor, mask: torch.Tensor,
                                   std: float | torch.Tensor) -> torch.Tensor:
    """``log p(x_obs | pred)`` per series for independent ``N(pred, std²)`` noise: ``(..., batch)``.

    Only observed entries enter: ``Σ_obs [-(x - pred)² / (2 std²) - log std - ½ log 2π]``.

    Args:
        pred: ``(..., batch, T, D)`` means; x, mask: ``(batch, T, D)``.
        std: observation noise standard deviation, a positive float or a tensor broadcast to ``x``.
    """
    check_masked(pred, x, mask)
    std_t = torch.as_tensor(std, dtype=x.dtype, device=x.device)
    if not bool((std_t > 0).all()):
        raise ValueError(f"std must be > 0; got {describe(std) if isinstance(std, torch.Tensor) else std}")
    logp = -0.5 * ((x - pred) / std_t) ** 2 - std_t.log() - 0.5 * math.log(2 * math.pi)
    return (logp * mask).sum(dim=(-1, -2))


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor, prior_mu: torch.Tensor | float = 0.0,
                prior_logvar: torch.Tensor | float = 0.0) -> torch.Tensor:
    """``KL(N(mu, e^logvar) || N(prior_mu, e^prior_logvar))`` of diagonal Gaussians, summed over the
    last dimension: ``(batch, latent) -> (batch,)``.

    Closed form per dimension: ``½ [log σ_p²/σ² + (σ² + (μ - μ_p)²)/σ_p² - 1]``.
    """
    if not isinstance(mu, torch.Tensor) or not isinstance(logvar, torch.Tensor) or mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must be tensors of one shape; got {describe(mu)} and {describe(logvar)}")
    pm = torch.as_tensor(prior_mu, dtype=mu.dtype, device=mu.device)
    plv = torch.as_tensor(prior_logvar, dtype=mu.dtype, device=mu.device)
    kl = 0.5 * (plv - logvar + (logvar.exp() + (mu - pm) ** 2) / plv.exp() - 1.0)
    return kl.sum(dim=-1)


def published_loss(pred: torch.Tensor, x: torch.Tensor, mask: torch.Tensor, obs_std: float, mu: torch.Tensor,
                   logvar: torch.Tensor, *, kl_weight: float = 1.0) -> tuple[torch.Tensor, dict]:
    """Rubanova et al.'s training loss (``VAE_Baseline.compute_all_losses`` in ``latent_ode``), exactly.

    The Gaussian log-density is averaged over each (sample, series, feature)'s observed times (a feature
    with none counts 0), then over features and over the series of the batch, giving one number per draw
    (their ``get_gaussian_likelihood``: shape ``[n_traj_samples]``); the KL is averaged over latent dims and
    series. Their "IWAE loss" is ``-logsumexp(log_lik - kl_weight * kl)`` over the ``S`` draws. With
    ``S = 1`` (their RNN-VAE) it is minus the batch-mean log-likelihood plus the weighted KL.

    Args:
        pred: ``(S, batch, T, D)``; x, mask: ``(batch, T, D)``; mu, logvar: ``(batch, latent)``.

    Returns:
        The scalar loss and ``{"log_lik", "kl"}`` (means over draws and series).
    """
    check_masked(pred[0], x, mask)
    logp = torch.distributions.Normal(pred, obs_std).log_prob(x) * mask
    counts = mask.sum(dim=-2)  # (batch, D) observed times per (series, feature)
    per_feature = logp.sum(dim=-2) / counts.clamp(min=1)  # (S, batch, D); 0 where nothing was observed
    log_lik = per_feature.mean(dim=-1).mean(dim=-1)  # (S,): features, then series
    kl = (gaussian_kl(mu, logvar) / mu.shape[-1]).mean()
    loss = -torch.logsumexp(log_lik - kl_weight * kl, dim=0)
    return loss, {"log_lik": float(log_lik.detach().mean()), "kl": float(kl.detach())}


__all__ = ["check_masked", "gaussian_kl", "masked_gaussian_log_likelihood", "masked_mse", "masked_rmse",
           "masked_sse", "per_series_mse", "published_loss"]
