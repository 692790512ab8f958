"""nodebook.measure: the NFE counter and the timers the chapters and the benchmarks share."""

import time

import pytest
import torch
import torchdiffeq
from torch import nn

import nodebook as nb
from nodebook import measure


def test_nfe_counter_counts_calls_and_resets():
    counter = nb.NFECounter(lambda t, y: -y)
    y = torch.ones(3)
    for _ in range(5):
        torch.testing.assert_close(counter(torch.tensor(0.0), y), -y)
    assert counter.nfe == 5
    assert counter.reset() == 5 and counter.nfe == 0


def test_nfe_counter_keeps_a_modules_parameters_visible():
    net = nn.Linear(3, 3)
    counter = nb.NFECounter(_Dyn(net))
    assert {id(p) for p in counter.parameters()} == {id(p) for p in net.parameters()}
    assert set(counter.state_dict()) == {"func.net.weight", "func.net.bias"}
    # gradients reach the wrapped module's parameters through a solve
    y = nb.odeint(counter, torch.ones(2, 3), torch.tensor([0.0, 1.0]), method="rk4")
    y[-1].sum().backward()
    assert net.weight.grad is not None and counter.nfe == 4


class _Dyn(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, t, y):
        return self.net(y)


def test_nfe_counter_counts_torchdiffeq_calls_too():
    counter = nb.NFECounter(lambda t, y: -y)
    torchdiffeq.odeint(counter, torch.ones(2), torch.linspace(0, 1, 5), method="euler")
    assert counter.nfe == 4  # one evaluation per Euler step, four steps


def test_nfe_counter_rejects_non_callables():
    with pytest.raises(TypeError, match=r"NFECounter needs a callable func\(t, y\); got int"):
        nb.NFECounter(3)


def test_timer_measures_the_block():
    with nb.timer() as tm:
        time.sleep(0.02)
    assert 0.02 <= tm.seconds < 1.0


def test_timer_records_even_when_the_block_raises():
    with pytest.raises(KeyError), nb.timer("cpu") as tm:
        time.sleep(0.01)
        raise KeyError("boom")
    assert tm.seconds >= 0.01


def test_time_call_returns_the_median_after_warmup():
    durations = iter([0.2, 0.03, 0.0, 0.01, 0.02, 0.0])  # the first (0.2 s) is the warm-up run
    calls = []

    def fn():
        calls.append(1)
        time.sleep(next(durations))

    median = nb.time_call(fn, repeat=5, warmup=1)
    assert len(calls) == 6
    assert 0.01 <= median < 0.03  # the sorted repeats are 0, 0, 0.01, 0.02, 0.03 (plus overhead)


def test_time_call_without_warmup_runs_exactly_repeat_times():
    calls = []
    nb.time_call(lambda: calls.append(1), repeat=3, warmup=0)
    assert len(calls) == 3


@pytest.mark.parametrize(("repeat", "warmup"), [(0, 1), (-2, 0), (3, -1)])
def test_time_call_bad_arguments(repeat, warmup):
    with pytest.raises(ValueError, match=rf"repeat must be >= 1 and warmup >= 0; got repeat={repeat}, "
                                         rf"warmup={warmup}"):
        nb.time_call(lambda: None, repeat=repeat, warmup=warmup)


def test_synchronize_is_a_no_op_on_cpu():
    measure.synchronize("cpu")
    measure.synchronize(None)


def test_fit_order_recovers_a_power_law():
    h = [2.0**-k for k in range(2, 9)]
    assert measure.fit_order(h, [3 * x**3 for x in h]) == pytest.approx(3.0, abs=1e-9)
    # round-off-level errors are left out instead of bending the fit
    assert measure.fit_order(h, [3 * x**2 for x in h[:4]] + [1e-16] * 3) == pytest.approx(2.0, abs=1e-9)
    with pytest.raises(ValueError, match="need at least 2 errors above"):
        measure.fit_order(h, [1e-16] * len(h))
