"""nodebook.data: the generated 2-D sets, splitting and batching."""

import pytest
import torch

from nodebook.data import batches, concentric_circles, n_batches, train_test_split, two_moons


def test_concentric_circles_shapes_labels_and_radii():
    x, y = concentric_circles(301)
    assert x.shape == (301, 2) and x.dtype == torch.float32
    assert y.shape == (301,) and y.dtype == torch.int64
    assert int((y == 0).sum()) == 150 and int((y == 1).sum()) == 151
    r = x.double().norm(dim=1)
    assert r[y == 0].max() <= 0.5 + 1e-6
    assert r[y == 1].min() >= 1.0 - 1e-6 and r[y == 1].max() <= 1.5 + 1e-6
    # the points fill their regions (not, say, only a circle): radii spread over most of each range
    assert r[y == 0].min() < 0.1 and r[y == 0].max() > 0.45
    assert r[y == 1].min() < 1.1 and r[y == 1].max() > 1.45
    # shuffled: the labels are interleaved, not in two blocks
    assert 0 < int(y[:150].sum()) < 150


def test_concentric_circles_inner_disk_is_uniform_over_the_area():
    x, y = concentric_circles(20000, seed=3, dtype=torch.float64)
    r = x[y == 0].norm(dim=1)
    # uniform over the disk of radius 0.5: P(r <= 0.25) = (0.25 / 0.5)**2 = 1/4
    assert float((r <= 0.25).double().mean()) == pytest.approx(0.25, abs=0.015)


def test_concentric_circles_custom_radii_dtype_and_device():
    x, y = concentric_circles(200, inner_radius=1.0, outer=(2.0, 3.0), dtype=torch.float64, device="cpu")
    assert x.dtype == torch.float64 and x.device.type == "cpu"
    r = x.norm(dim=1)
    assert r[y == 0].max() <= 1.0 and r[y == 1].min() >= 2.0 and r[y == 1].max() <= 3.0


def test_two_moons_without_noise_lies_on_the_half_circles():
    x, y = two_moons(400, noise=0.0, dtype=torch.float64)
    assert x.shape == (400, 2) and y.dtype == torch.int64
    assert int((y == 0).sum()) == 200
    upper, lower = x[y == 0], x[y == 1]
    torch.testing.assert_close(upper.norm(dim=1), torch.ones(200, dtype=torch.float64))
    assert upper[:, 1].min() >= 0
    torch.testing.assert_close((lower - torch.tensor([1.0, 0.5], dtype=torch.float64)).norm(dim=1),
                               torch.ones(200, dtype=torch.float64))
    assert lower[:, 1].max() <= 0.5


def test_two_moons_noise_has_the_requested_scale():
    clean, _ = two_moons(4000, noise=0.0, seed=5, dtype=torch.float64)
    noisy, _ = two_moons(4000, noise=0.2, seed=5, dtype=torch.float64)
    # same seed, same angles: the difference is the noise alone
    assert float((noisy - clean).std()) == pytest.approx(0.2, rel=0.05)


@pytest.mark.parametrize("make", [concentric_circles, two_moons])
def test_generators_are_seeded_and_leave_the_global_rng_alone(make):
    state = torch.get_rng_state()
    x1, y1 = make(64, seed=7)
    x2, y2 = make(64, seed=7)
    x3, _ = make(64, seed=8)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert not torch.equal(x1, x3)


def test_generator_input_errors():
    with pytest.raises(ValueError, match=r"n must be an int >= 1; got 0"):
        concentric_circles(0)
    with pytest.raises(ValueError, match=r"n must be an int >= 1; got 2.5"):
        two_moons(2.5)
    with pytest.raises(ValueError, match=r"inner_radius < outer\[0\] < outer\[1\]; got 1, 1, 1.5"):
        concentric_circles(10, inner_radius=1.0)
    with pytest.raises(ValueError, match=r"inner_radius < outer\[0\] < outer\[1\]; got 0.5, 2, 1.5"):
        concentric_circles(10, outer=(2.0, 1.5))
    with pytest.raises(ValueError, match=r"outer must be a pair \(r_min, r_max\); got 1.0"):
        concentric_circles(10, outer=1.0)
    with pytest.raises(ValueError, match=r"inner_radius must be finite and > 0; got -1"):
        concentric_circles(10, inner_radius=-1.0)
    with pytest.raises(ValueError, match=r"noise must be finite and >= 0; got -0.1"):
        two_moons(10, noise=-0.1)
    with pytest.raises(ValueError, match=r"seed must be a non-negative int; got -1"):
        two_moons(10, seed=-1)


def test_train_test_split_partitions_the_set_reproducibly():
    x, y = concentric_circles(100)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, 0.2, seed=1)
    assert x_tr.shape == (80, 2) and x_te.shape == (20, 2) and y_tr.shape == (80,) and y_te.shape == (20,)
    # together they are the original set, each point once, with its own label
    pairs = sorted(map(tuple, torch.cat([x, y[:, None].float()], 1).tolist()))
    split = torch.cat([torch.cat([x_tr, y_tr[:, None].float()], 1), torch.cat([x_te, y_te[:, None].float()], 1)])
    assert sorted(map(tuple, split.tolist())) == pairs
    again = train_test_split(x, y, 0.2, seed=1)
    assert all(torch.equal(a, b) for a, b in zip(again, (x_tr, x_te, y_tr, y_te), strict=True))
    assert not torch.equal(train_test_split(x, y, 0.2, seed=2)[1], x_te)


def test_train_test_split_errors():
    x, y = concentric_circles(10)
    for bad in (0, 1, 1.5, -0.1, True):
        with pytest.raises(ValueError, match=r"test_fraction must be a number strictly between 0 and 1"):
            train_test_split(x, y, bad)
    with pytest.raises(ValueError, match=r"leaves an empty set \(10 train, 0 test\)"):
        train_test_split(x, y, 0.01)
    with pytest.raises(ValueError, match=r"the same number of samples; got 10 and 9"):
        train_test_split(x, y[:9], 0.5)
    with pytest.raises(TypeError, match=r"x must be a floating-point tensor shaped \(n, ...\); got list"):
        train_test_split([[0.0, 1.0]], y, 0.5)
    with pytest.raises(TypeError, match=r"y must be a 1-D tensor shaped \(n,\); got .* shape \(10, 1\)"):
        train_test_split(x, y[:, None], 0.5)


def test_batches_cover_every_sample_once_per_epoch():
    x = torch.arange(10.0)[:, None]
    y = torch.arange(10)
    got = list(batches(x, y, 4, seed=3))
    assert [len(xb) for xb, _ in got] == [4, 4, 2] and n_batches(10, 4) == 3
    seen = torch.cat([yb for _, yb in got])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    assert all(torch.equal(xb[:, 0].long(), yb) for xb, yb in got)  # pairs stay together
    assert torch.equal(torch.cat([yb for _, yb in batches(x, y, 4, seed=3)]), seen)
    assert not torch.equal(torch.cat([yb for _, yb in batches(x, y, 4, seed=4)]), seen)
    assert torch.cat([yb for _, yb in batches(x, y, 4, shuffle=False)]).tolist() == list(range(10))


def test_batches_errors():
    x, y = torch.zeros(4, 2), torch.zeros(4, dtype=torch.int64)
    with pytest.raises(ValueError, match=r"batch_size must be an int >= 1; got 0"):
        next(batches(x, y, 0))
    with pytest.raises(ValueError, match=r"seed must be a non-negative int; got 1.5"):
        next(batches(x, y, 2, seed=1.5))
    with pytest.raises(ValueError, match=r"got 4 and 3"):
        next(batches(x, y[:3], 2))
    assert len(list(batches(x, y, 100))) == 1  # a batch larger than the set is the whole set
