"""Dopri5's per-step work: batched dense output and the error norm kept out of autograd."""

import torch

import nodebook as nb
from nodebook.solvers.dopri5 import Dopri5


def test_batched_dense_output_matches_one_time_at_a_time():
    torch.manual_seed(0)
    y0, y1 = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 3, dtype=torch.float64)
    ks = [torch.randn(5, 3, dtype=torch.float64) for _ in range(7)]
    thetas = [0.1, 0.35, 0.5, 0.9]
    batched = Dopri5._dense(y0, y1, ks, 0.2, torch.tensor(thetas, dtype=torch.float64).view(-1, 1, 1))
    single = torch.stack([Dopri5._dense(y0, y1, ks, 0.2, th) for th in thetas])
    assert batched.shape == (4, 5, 3)
    torch.testing.assert_close(batched, single, rtol=1e-14, atol=1e-14)


def test_many_output_times_per_step_are_filled_in_one_go():
    # 200 output times on a smooth problem: dopri5 takes a handful of steps, the outputs are exact to
    # the tolerance and the gradient flows through every one of them.
    y0 = torch.tensor([1.0, 0.0], dtype=torch.float64, requires_grad=True)
    t = torch.linspace(0.0, 2.0, 200, dtype=torch.float64)
    sol = nb.solve(lambda t, y: torch.stack([y[1], -y[0]]), y0, t, rtol=1e-9, atol=1e-12)
    assert sol.ys.shape == (200, 2)
    assert len(sol.stats.accepted) < 50
    exact = torch.stack([torch.cos(t), -torch.sin(t)], 1)
    torch.testing.assert_close(sol.ys.detach(), exact, rtol=0, atol=1e-7)
    sol.ys[:, 0].sum().backward()
    torch.testing.assert_close(y0.grad, torch.stack([torch.cos(t).sum(), torch.sin(t).sum()]), rtol=1e-6, atol=1e-6)


def test_constant_time_dense_output_is_the_nested_polynomial():
    from nodebook.solvers.dopri5 import _dense_const

    torch.manual_seed(1)
    y0, y1 = torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 3, dtype=torch.float64)
    ks = [torch.randn(5, 3, dtype=torch.float64) for _ in range(7)]
    thetas = [0.0, 0.1, 0.35, 0.5, 0.9, 1.0]
    for dt in (0.2, -0.7):
        nested = Dopri5._dense(y0, y1, ks, dt, torch.tensor(thetas, dtype=torch.float64).view(-1, 1, 1))
        torch.testing.assert_close(_dense_const(y0, y1, ks, dt, thetas), nested, rtol=1e-14, atol=1e-14)


def _solver_ops_per_step(t_requires_grad: bool, outputs: int) -> float:
    """Tensor operations dopri5 itself runs per accepted step (those of ``f`` subtracted)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        n = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            Count.n += 1
            return func(*args, **(kwargs or {}))

    torch.manual_seed(0)
    net = torch.nn.Linear(3, 3).double()
    y0 = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    t = torch.linspace(0, 1, outputs, dtype=torch.float64, requires_grad=t_requires_grad)
    with Count():
        net(y0)
    per_f, Count.n = Count.n, 0
    fixed = {"first_step": 0.1, "ifactor": 1.0, "dfactor": 1.0, "safety": 1.0}  # ten steps of 0.1, none rejected
    with Count():
        st = nb.solve(lambda t, y: net(y), y0, t, rtol=1e3, atol=1e3, options=fixed).stats
    assert st.n_accepted == 10 and st.n_rejected == 0
    return (Count.n - per_f * st.nfe) / st.n_accepted


def test_the_common_case_pays_nothing_for_time_gradients():
    """Times without grad (the common case) run fewer operations per step than differentiable times, and
    twenty output times inside the steps cost a few operations per step, not a few per output time.
    (Before: 59 operations per step, 84 with twenty output times; with time gradients 61 and 96.)"""
    plain, many = _solver_ops_per_step(False, 2), _solver_ops_per_step(False, 21)
    timed = _solver_ops_per_step(True, 2)
    assert plain <= 50, plain
    assert many - plain <= 10, (plain, many)
    assert plain < timed
