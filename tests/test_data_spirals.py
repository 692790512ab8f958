"""The bidirectional spirals: the two curves' geometry, the sampling, the noise, determinism."""

import math

import pytest
import torch

from nodebook.data import make_spirals


def test_shapes_and_half_each_way():
    s = make_spirals(9, 60, 20, seed=1)
    assert s.orig_ts.shape == (60,) and s.orig_trajs.shape == (9, 60, 2)
    assert s.samp_ts.shape == (20,) and s.samp_trajs.shape == (9, 20, 2)
    assert torch.equal(s.samp_ts, s.orig_ts[:20])
    assert s.clockwise.dtype == torch.bool and int(s.clockwise.sum()) == 4
    assert ((s.t0 >= 20) & (s.t0 < 40)).all()


def test_same_seed_same_set_other_seed_other_set():
    a, b, c = make_spirals(20, 80, 20, seed=5), make_spirals(20, 80, 20, seed=5), make_spirals(20, 80, 20, seed=6)
    assert all(torch.equal(getattr(a, f), getattr(b, f)) for f in ("samp_trajs", "clockwise", "t0", "orig_trajs"))
    assert not torch.equal(a.samp_trajs, c.samp_trajs)


def test_the_curves_are_archimedean_and_hyperbolic_spirals_turning_opposite_ways():
    stop, b = 6 * math.pi, 0.3
    s = make_spirals(4, 500, 100, stop=stop, b=b, noise_std=0.0, seed=0, dtype=torch.float64)
    t = s.orig_ts
    for i in range(4):
        centre = torch.tensor([-5.0, 0.0]) if s.clockwise[i] else torch.tensor([5.0, 0.0])
        rel = s.orig_trajs[i] - centre
        radius = b * 50 / (stop + 1 - t) if s.clockwise[i] else b * t
        assert torch.allclose(rel.norm(dim=1), radius, atol=1e-9)
        turn = rel[:-1, 0] * rel[1:, 1] - rel[:-1, 1] * rel[1:, 0]  # cross product: > 0 counter-clockwise
        assert ((turn < 0) if s.clockwise[i] else (turn[1:] > 0)).all()  # (the cc curve starts at its centre)


def test_noise_free_samples_lie_on_the_curve_and_noise_has_the_given_std():
    s0 = make_spirals(6, 100, 30, noise_std=0.0, seed=2, dtype=torch.float64)
    for i in range(6):
        assert torch.equal(s0.samp_trajs[i], s0.orig_trajs[i, s0.t0[i]:s0.t0[i] + 30])
    s = make_spirals(400, 300, 100, noise_std=0.3, seed=3, dtype=torch.float64)
    noise = s.samp_trajs - s.truth()
    assert abs(noise.mean().item()) < 0.005  # 80 000 draws: standard error 0.001
    assert abs(noise.std().item() - 0.3) < 0.005


def test_errors():
    with pytest.raises(ValueError, match=r"n_total must be > 2 \* n_sample = 200"):
        make_spirals(10, 200, 100)
    with pytest.raises(ValueError, match="noise_std must be finite and >= 0"):
        make_spirals(10, noise_std=-0.1)
    with pytest.raises(ValueError, match="n_spirals must be an int >= 1"):
        make_spirals(0)
    with pytest.raises(ValueError, match="need start < stop"):
        make_spirals(10, start=3.0, stop=1.0)
