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
