"""Scaling fitted on observed values only: time to [0, 1], features by min/max or mean/std."""

import pytest
import torch

from nodebook.data import FeatureScaler, normalize_time


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_normalize_time():
    t = torch.tensor([0.0, 12.0, 48.0])
    assert torch.equal(normalize_time(t), torch.tensor([0.0, 0.25, 1.0]))
    assert torch.equal(normalize_time(t, t_max=96), torch.tensor([0.0, 0.125, 0.5]))
    with pytest.raises(ValueError, match="t_max must be"):
        normalize_time(-t)


def test_minmax_scaler_uses_observed_values_only():
    x = torch.tensor([[[1.0, 5.0, 3.0, 0.0], [3.0, 9.0, 3.0, 0.0], [1e6, -1e6, 1e6, 1e6]]])
    mask = torch.tensor([[[1.0, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]]])
    sc = FeatureScaler("minmax").fit(x, mask)
    assert torch.equal(sc.offset, torch.tensor([1.0, 5.0, 3.0, 0.0]))
    assert torch.equal(sc.scale, torch.tensor([2.0, 4.0, 1.0, 1.0]))  # constant and unseen features: 1
    z = sc.transform(x, mask)
    assert torch.equal(z[0, :2, :2], torch.tensor([[0.0, 0.0], [1.0, 1.0]])) and (z[0, 2] == 0).all()
    assert torch.allclose(sc.inverse_transform(sc.transform(x[:, :2])), x[:, :2])


def test_standard_scaler_gives_mean_zero_std_one_on_observed_values():
    g = _gen(3)
    x = torch.randn(50, 20, 3, generator=g) * torch.tensor([1.0, 10.0, 0.1]) + torch.tensor([5.0, -3.0, 0.0])
    mask = (torch.rand(50, 20, 3, generator=g) < 0.3).float()
    z = FeatureScaler("standard").fit(x, mask).transform(x, mask)
    n = mask.sum((0, 1))
    mean = z.sum((0, 1)) / n
    std = ((z - mean) ** 2 * mask).sum((0, 1)).div(n).sqrt()
    assert torch.allclose(mean, torch.zeros(3), atol=1e-5) and torch.allclose(std, torch.ones(3), atol=1e-5)


def test_scaler_errors():
    with pytest.raises(ValueError, match="kind must be one of 'minmax', 'standard', 'rubanova'; got 'robust'"):
        FeatureScaler("robust")
    with pytest.raises(RuntimeError, match="not fitted"):
        FeatureScaler().transform(torch.zeros(2, 3))
    sc = FeatureScaler().fit(torch.zeros(2, 3), torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"x must have 3 features .* got shape \(2, 4\)"):
        sc.transform(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="same shape"):
        sc.fit(torch.zeros(2, 3), torch.ones(2, 4))
