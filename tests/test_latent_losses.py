"""Masked losses and the Gaussian KL, against their definitions and torch.distributions."""

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from nodebook.latent import gaussian_kl, masked_gaussian_log_likelihood, masked_mse, masked_rmse, masked_sse


def _batch(seed=0, shape=(3, 5, 2)):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64)
    pred = torch.randn(shape, generator=g, dtype=torch.float64)
    mask = (torch.rand(shape, generator=g) < 0.5).double()
    mask[0, 0, 0] = 1.0
    return pred, x, mask


def test_masked_mse_is_the_mean_over_observed_entries_only():
    pred, x, mask = _batch()
    sel = mask.bool()
    expected = ((pred - x)[sel] ** 2).mean()
    assert masked_mse(pred, x, mask).item() == pytest.approx(expected.item(), rel=1e-12)
    assert masked_rmse(pred, x, mask).item() == pytest.approx(math.sqrt(expected.item()), rel=1e-12)
    # what sits at a missing entry, in x or in the prediction, never matters
    x2 = torch.where(sel, x, torch.full_like(x, 1e6))
    pred2 = torch.where(sel, pred, torch.full_like(pred, -1e6))
    assert masked_mse(pred2, x2, mask).item() == pytest.approx(expected.item(), rel=1e-12)


def test_masked_sse_is_per_series_and_broadcasts_samples():
    pred, x, mask = _batch()
    per = masked_sse(pred, x, mask)
    assert per.shape == (3,)
    assert per.sum().item() == pytest.approx((((pred - x) ** 2) * mask).sum().item())
    stacked = torch.stack([pred, x])  # two "samples": the second is perfect
    assert masked_sse(stacked, x, mask)[1].abs().max().item() == 0.0
    assert masked_mse(stacked, x, mask).item() == pytest.approx(masked_mse(pred, x, mask).item() / 2)


def test_masked_log_likelihood_matches_normal_log_prob_summed_over_observed():
    pred, x, mask = _batch(1)
    std = 0.7
    ll = masked_gaussian_log_likelihood(pred, x, mask, std)
    ref = (Normal(pred, std).log_prob(x) * mask).sum(dim=(1, 2))
    torch.testing.assert_close(ll, ref)


def test_kl_matches_torch_and_vanishes_at_the_prior():
    g = torch.Generator().manual_seed(2)
    mu, logvar = torch.randn(4, 3, generator=g, dtype=torch.float64), torch.randn(4, 3, generator=g).double()
    ref = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(gaussian_kl(mu, logvar), ref)
    ref2 = kl_divergence(Normal(mu, (0.5 * logvar).exp()), Normal(0.3, math.exp(0.5 * -0.4))).sum(-1)
    torch.testing.assert_close(gaussian_kl(mu, logvar, 0.3, -0.4), ref2)
    assert gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 3)).abs().max().item() == 0.0
    assert (gaussian_kl(mu, logvar) > 0).all()


def test_bad_inputs_say_what_was_expected():
    pred, x, mask = _batch()
    with pytest.raises(ValueError, match="mask must have x's shape"):
        masked_mse(pred, x, mask[:, :2])
    with pytest.raises(ValueError, match="pred must be shaped"):
        masked_mse(pred[:, :3], x, mask)
    with pytest.raises(ValueError, match="x must be shaped"):
        masked_mse(pred[0], x[0], mask[0])
    with pytest.raises(TypeError, match="floating-point"):
        masked_mse(pred, x, mask.bool())
    with pytest.raises(ValueError, match="selects no entries"):
        masked_mse(pred, x, torch.zeros_like(mask))
    with pytest.raises(ValueError, match="std must be > 0"):
        masked_gaussian_log_likelihood(pred, x, mask, 0.0)
    with pytest.raises(ValueError, match="mu and logvar"):
        gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 4))
