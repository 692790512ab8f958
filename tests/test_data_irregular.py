"""The irregular-series format: collating onto a union grid, subsampling, splits, scaling."""

import pytest
import torch

from nodebook.data import IrregularSeries, collate, split_extrap, split_interp, subsample, summary


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _record(times, values, mask=None, id=""):
    values = torch.tensor(values, dtype=torch.float32)
    mask = torch.ones_like(values) if mask is None else torch.tensor(mask, dtype=torch.float32)
    return IrregularSeries(torch.tensor(times, dtype=torch.float64), values * mask, mask, id=id)


def _random_batch(b=6, t=30, d=3, p=0.6, seed=0):
    g = _gen(seed)
    mask = (torch.rand(b, t, d, generator=g) < p).float()
    return torch.linspace(0, 1, t), torch.randn(b, t, d, generator=g) * mask, mask


def test_record_checks_shapes_and_order():
    with pytest.raises(ValueError, match=r"expected times \(T,\), values \(T, D\)"):
        IrregularSeries(torch.zeros(3), torch.zeros(2, 1), torch.zeros(2, 1))
    with pytest.raises(ValueError, match="strictly increasing"):
        _record([0.0, 2.0, 1.0], [[1.0], [2.0], [3.0]])
    with pytest.raises(TypeError, match="must be tensors"):
        IrregularSeries([0.0], torch.zeros(1, 1), torch.zeros(1, 1))
    assert _record([0.0, 1.0], [[1.0, 2.0], [3.0, 4.0]], [[1, 0], [1, 1]]).n_observed == 3


def test_collate_puts_each_value_at_its_time_on_the_union_grid():
    a = _record([0.0, 1.0, 3.0], [[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]], [[1, 1], [1, 0], [0, 1]])
    b = _record([1.0, 2.0], [[5.0, 50.0], [6.0, 60.0]])
    t, x, mask = collate([a, b])
    assert torch.equal(t, torch.tensor([0.0, 1.0, 2.0, 3.0]))
    assert x.shape == mask.shape == (2, 4, 2)
    assert torch.equal(mask[0], torch.tensor([[1, 1], [1, 0], [0, 0], [0, 1]], dtype=torch.float32))
    assert torch.equal(mask[1], torch.tensor([[0, 0], [1, 1], [1, 1], [0, 0]], dtype=torch.float32))
    assert torch.equal(x[0], torch.tensor([[1, 10], [2, 0], [0, 0], [0, 30]], dtype=torch.float32))
    assert torch.equal(x[1, 1:3], torch.tensor([[5, 50], [6, 60]], dtype=torch.float32))
    assert (x[mask == 0] == 0).all()


def test_collate_refuses_empty_and_mixed_widths():
    with pytest.raises(ValueError, match="at least one record"):
        collate([])
    with pytest.raises(ValueError, match=r"same number of features D; got \[1, 2\]"):
        collate([_record([0.0], [[1.0]]), _record([0.0], [[1.0, 2.0]])])


def test_subsample_keeps_n_obs_observed_points_per_series_with_their_values():
    t, x, mask = _random_batch(b=8, t=40)
    t2, x2, m2 = subsample(t, x, 5, generator=_gen(1), mask=mask)
    present = m2.amax(dim=2) > 0
    assert (present.sum(dim=1) == 5).all()
    assert (present.any(dim=0)).all()  # every grid time is used by some series
    cols = torch.searchsorted(t, t2)
    assert torch.equal(t[cols], t2)
    assert (m2 <= mask[:, cols]).all()  # never invents an observation
    assert torch.equal(x2, x[:, cols] * m2)
    # series are observed at different times, and the same generator seed repeats the draw
    assert len({tuple(row.nonzero().flatten().tolist()) for row in present}) > 1
    again = subsample(t, x, 5, generator=_gen(1), mask=mask)
    assert all(torch.equal(u, v) for u, v in zip(again, (t2, x2, m2), strict=True))


def test_subsample_of_a_fully_observed_batch_and_its_errors():
    t, x = torch.arange(10.0), torch.randn(3, 10, 2, generator=_gen())
    t2, x2, m2 = subsample(t, x, 10, generator=_gen())
    assert torch.equal(t2, t) and torch.equal(x2, x) and (m2 == 1).all()
    with pytest.raises(ValueError, match=r"n_obs must be <= .* \(10\); got 11"):
        subsample(t, x, 11, generator=_gen())
    with pytest.raises(ValueError, match=r"expected t \(T,\) and x \(B, T, D\)"):
        subsample(t[:5], x, 2, generator=_gen())


@pytest.mark.parametrize("frac", [0.25, 0.5, 1.0])
def test_split_interp_shows_a_fraction_of_each_series_time_points(frac):
    t, x, mask = _random_batch(b=10, t=25)
    obs, target = split_interp(x, mask, frac, _gen(2))
    n_i = (mask.amax(2) > 0).sum(1).double()
    kept = (obs.amax(2) > 0).sum(1).double()
    assert torch.equal(kept, (n_i * frac).round().clamp(min=1))
    assert (obs <= mask).all() and torch.equal(target, mask)
    # a kept time point keeps all its observed features
    keep = obs.amax(2, keepdim=True) > 0
    assert torch.equal(obs, mask * keep)
    _, held = split_interp(x, mask, frac, _gen(2), target="held_out")
    assert torch.equal(held + obs, mask) and (held * obs == 0).all()


def test_split_interp_errors():
    _, x, mask = _random_batch()
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="frac_observed must be a number in"):
            split_interp(x, mask, bad, _gen())
    with pytest.raises(ValueError, match="target must be one of 'all', 'held_out'; got 'some'"):
        split_interp(x, mask, 0.5, _gen(), target="some")


def test_split_extrap_observes_the_first_half_and_scores_the_second():
    t, x, mask = _random_batch(t=11)
    obs, target = split_extrap(t, x, mask)
    assert (obs[:, 5:] == 0).all() and torch.equal(obs[:, :5], mask[:, :5])
    assert torch.equal(obs + target, mask)
    t_skew = torch.tensor([0.0, 0.1, 0.2, 0.3, 0.4, 0.45, 0.5, 0.9, 1.0, 1.5, 2.0])
    obs_t, _ = split_extrap(t_skew, x, mask, by="time")  # midpoint 1.0: the first 9 points
    assert (obs_t[:, 9:] == 0).all() and torch.equal(obs_t[:, :9], mask[:, :9])
    with pytest.raises(ValueError, match="by must be one of 'index', 'time'; got 'half'"):
        split_extrap(t, x, mask, by="half")


def test_summary_counts_observations_on_each_records_own_grid():
    a = _record([0.0, 1.0, 3.0], [[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]], [[1, 1], [1, 0], [0, 1]])
    b = _record([-1.0, 2.0], [[5.0, 50.0], [6.0, 60.0]])
    s = summary([a, b])
    assert s == {"n_series": 2, "n_features": 2, "n_observed": 8, "mean_times": 2.5,
                 "observed_fraction": 0.8, "t_min": -1.0, "t_max": 3.0}
    assert all(type(v) in (int, float) for v in s.values())
    with pytest.raises(ValueError, match="at least one record"):
        summary([])


def test_collate_never_keeps_a_nan_under_a_zero_mask():
    values = torch.tensor([[1.0, float("nan")], [float("nan"), 4.0]])
    mask = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    r = IrregularSeries(torch.tensor([0.0, 1.0], dtype=torch.float64), values, mask)
    t, x, m = collate([r])
    assert torch.isfinite(x).all()
    assert x[0].tolist() == [[1.0, 0.0], [0.0, 4.0]]


@pytest.mark.parametrize("bad", [2.0, 0.5, -1.0])
def test_collate_refuses_masks_other_than_0_and_1(bad):
    # a mask of 2 would double x in the masked losses, and 0.5 halve it
    r = IrregularSeries(torch.tensor([0.0], dtype=torch.float64), torch.tensor([[3.0]]), torch.tensor([[bad]]),
                        id="s7")
    with pytest.raises(ValueError, match=f"mask must hold only 0 and 1; got {bad}.*id 's7'"):
        collate([r])


def test_collate_refuses_a_nan_that_is_marked_observed():
    r = IrregularSeries(torch.tensor([0.0], dtype=torch.float64), torch.tensor([[float("nan")]]),
                        torch.tensor([[1.0]]), id=3)
    with pytest.raises(ValueError, match="observed values must be finite.*id 3"):
        collate([r])


# ------------------------------------------------------------------ NaN times, wrong types (issue 21)
def _series(times, id="s"):
    t = torch.tensor(times, dtype=torch.float64)
    return IrregularSeries(t, torch.ones(len(t), 2), torch.ones(len(t), 2), id=id)


@pytest.mark.parametrize("times", [[float("nan")], [0.0, float("inf")], [float("-inf")]])
def test_a_record_with_nan_or_inf_times_is_refused(times):
    with pytest.raises(ValueError, match=r"times must be finite; got NaN or inf in series 'bad'"):
        _series(times, id="bad")


def test_collate_refuses_nan_times_set_after_the_record_was_made():
    ok, bad = _series([0.0, 1.0], id="a"), _series([0.5, 2.0], id="b")
    bad.times[1] = float("nan")  # records are plain dataclasses: their tensors can change afterwards
    with pytest.raises(ValueError, match=r"record 1 \(id 'b'\) has NaN or inf times; expected finite"):
        collate([ok, bad])
    bad.times[1] = 0.1  # no longer increasing
    with pytest.raises(ValueError, match=r"record 1 \(id 'b'\): times must be strictly increasing"):
        collate([ok, bad])
    with pytest.raises(ValueError, match=r"record 1 \(id 'b'\) has NaN or inf times"):
        collate([ok, _nan_later()])  # one NaN time: nothing to compare it with


def _nan_later():
    r = _series([0.0], id="b")
    r.times[0] = float("nan")
    return r


@pytest.mark.parametrize("fn", [collate, summary])
def test_a_tensor_where_a_record_is_expected_is_a_type_error(fn):
    with pytest.raises(TypeError, match=r"records\[1\] must be an IrregularSeries \(times, values, mask\); "
                                        r"got a torch.float32 tensor of shape \(3, 2\)"):
        fn([_series([0.0, 1.0]), torch.zeros(3, 2)])
    with pytest.raises(TypeError, match=r"records must be a sequence of IrregularSeries \(a list\); got a "
                                        r"torch.float32 tensor"):
        fn(torch.zeros(2, 3, 2))
    with pytest.raises(TypeError, match=r"sequence of IrregularSeries \(a list\); got one IrregularSeries"):
        fn(_series([0.0]))
