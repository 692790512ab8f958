"""The fixed-step grid: exact output times and no spurious micro-steps, whatever the times' dtype.

Regression (issues 20 and 24): float32 output times against a float64 grid ``t0 + k * step_size``
left grid points a round-off away from the outputs, and each became an extra step of ~1e-8: at the
data spacing Chapter 6's decoder took 187 evaluations instead of 99.
"""

import pytest
import torch

import nodebook as nb
from nodebook.latent.encoders import data_spacing

F64 = torch.float64
STAGES = {"euler": 1, "midpoint": 2, "rk4": 4, "rk38": 4}


class Recorder:
    """``y' = 1``, recording the times ``f`` is called with."""

    def __init__(self):
        self.times: list[float] = []

    def __call__(self, t, y):
        self.times.append(float(t))
        return torch.ones_like(y)


def _solve(t, step, method="euler", y_dtype=F64):
    f = Recorder()
    sol = nb.solve(f, torch.zeros(1, dtype=y_dtype), t, method=method, options={"step_size": step})
    return sol, f


def _regular(dtype, n=100, t1=1.0):
    return torch.linspace(0.0, t1, n, dtype=dtype)


@pytest.mark.parametrize("method", list(STAGES))
@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("spacing", ["data", "exact"])
def test_step_at_the_data_spacing_takes_one_step_per_interval(method, dtype, spacing):
    t = _regular(dtype)
    step = data_spacing(t) if spacing == "data" else 1.0 / 99
    sol, _ = _solve(t, step, method)
    assert sol.stats.n_accepted == 99
    assert sol.stats.nfe == STAGES[method] * 99


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_long_series_far_from_zero_in_float32_has_no_micro_steps(dtype):
    # 1000 times over [0, 50]: the float32 gaps differ by up to a few ulps of 50, and the min gap
    # drifts away from later outputs by many times the old merge tolerance.
    t = torch.arange(1000, dtype=dtype) * 0.05
    sol, _ = _solve(t, data_spacing(t))
    assert sol.stats.nfe == 999


@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("reverse", [False, True])
def test_irregular_times_on_a_regular_clock(dtype, reverse):
    # Observed at an irregular subset of a 0.01 clock (as a subsampled series is): every gap is a
    # whole number of steps, so the steps are exactly the clock ticks between the first and last.
    g = torch.Generator().manual_seed(0)
    ticks = torch.sort(torch.randperm(300, generator=g)[:40]).values
    t = ticks.to(dtype) * 0.01
    if reverse:
        t = t.flip(0)
    sol, f = _solve(t, 0.01)
    expected = int(ticks[-1] - ticks[0])
    assert sol.stats.nfe == sol.stats.n_accepted == expected
    assert all(min(float(t[0]), float(t[-1])) <= s <= max(float(t[0]), float(t[-1])) for s in f.times)


@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("reverse", [False, True])
def test_outputs_are_at_the_requested_times_exactly(dtype, reverse):
    # y' = 1 from 0: Euler is exact, so y(t_k) - y(t_0) is the time the solver actually covered.
    t = _regular(dtype, n=37, t1=3.7) + 0.3
    if reverse:
        t = t.flip(0)
    sol, f = _solve(t, data_spacing(t) if not reverse else data_spacing(t.flip(0)))
    covered = sol.ys[:, 0]
    requested = t.double() - float(t[0])
    assert float((covered - requested).abs().max()) < 1e-12
    # Euler evaluates f at the start of each step: exactly the output times but the last.
    assert f.times == [float(s) for s in t.double()[:-1]]


def test_a_step_longer_than_a_gap_splits_it_evenly():
    # Gaps of 0.25 with step 0.1: three equal steps of 0.0833 each, not 0.1, 0.1, 0.05.
    t = torch.tensor([0.0, 0.25, 0.5], dtype=F64)
    sol, f = _solve(t, 0.1)
    assert sol.stats.n_accepted == 6
    assert f.times == pytest.approx([0.0, 0.25 / 3, 0.5 / 3, 0.25, 0.25 + 0.25 / 3, 0.25 + 0.5 / 3], abs=1e-15)


def test_time_gradients_of_inner_grid_points_move_with_their_interval():
    # y' = t: y(t1) - y(t0) = (t1² - t0²) / 2 is what the midpoint rule gives exactly on any grid,
    # so the gradients wrt t0 and t1 are -t0 and t1 whatever the inner steps.
    t = torch.tensor([0.5, 1.7], dtype=F64, requires_grad=True)
    ys = nb.odeint(lambda s, y: s * torch.ones_like(y), torch.zeros(1, dtype=F64), t, method="midpoint",
                   options={"step_size": 0.1})
    ys[-1, 0].backward()
    torch.testing.assert_close(t.grad, torch.tensor([-0.5, 1.7], dtype=F64), rtol=1e-12, atol=1e-12)
