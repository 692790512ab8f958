"""The adjoint method (nodebook.adjoint) against mathematics, backprop through the solver, and torchdiffeq.

The adjoint's backward pass solves a second ODE in reverse time: a different discretisation from the
forward one. Its gradients therefore agree with backprop through the solver (the exact derivative of
the discrete forward map) to the solver's accuracy, O(h^p), not to round-off; the tests use fine steps
or tight tolerances and say which agreement they expect.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torchdiffeq

import nodebook
from nodebook import AdjointStats, odeint, odeint_adjoint, peak_memory

F64 = torch.float64
ORDERS = {"euler": 1, "midpoint": 2, "rk4": 4, "rk38": 4}


class LinearODE(torch.nn.Module):
    """``y' = A y`` for a batch of row vectors: ``y(t) = y0 expm(A t)ᵀ``, a closed form to test against."""

    def __init__(self, a: torch.Tensor):
        super().__init__()
        self.a = torch.nn.Parameter(a.clone())

    def forward(self, t, y):
        return y @ self.a.T


class TimeMLP(torch.nn.Module):
    """Nonlinear, time-dependent dynamics ``f(t, y) = W2 tanh(W1 [y, t] + b1) + b2``."""

    def __init__(self, dim: int = 2, width: int = 6, dtype=F64):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(dim + 1, width), torch.nn.Tanh(),
                                       torch.nn.Linear(width, dim)).to(dtype)

    def forward(self, t, y):
        return self.net(torch.cat([y, t.expand(*y.shape[:-1], 1)], dim=-1))


class MLP(torch.nn.Module):
    """Autonomous dynamics ``f(t, y) = W2 tanh(W1 y + b1) + b2``."""

    def __init__(self, dim: int, width: int):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(dim, width), torch.nn.Tanh(), torch.nn.Linear(width, dim))

    def forward(self, t, y):
        return self.net(y)


def linear_problem():
    g = torch.Generator().manual_seed(0)
    a = 0.5 * torch.randn(3, 3, generator=g, dtype=F64)
    y0 = torch.randn(4, 3, generator=g, dtype=F64)          # batch 4
    t = torch.tensor([0.0, 0.25, 0.5, 1.0], dtype=F64)      # a loss on 4 time points: 3 adjoint jumps
    w = torch.randn(len(t), 4, 3, generator=g, dtype=F64)
    return a, y0, t, w


def exact_linear_grads(a, y0, t, w):
    """dL/dy0 and dL/dA of L = Σ_i <w_i, y(t_i)> through torch.linalg.matrix_exp (exact to round-off)."""
    a, y0 = a.clone().requires_grad_(True), y0.clone().requires_grad_(True)
    ys = torch.stack([y0 @ torch.linalg.matrix_exp(a * s).T for s in t])
    return torch.autograd.grad((w * ys).sum(), (y0, a))


def grads(solver, func, y0, t, w, **kw):
    y0 = y0.clone().requires_grad_(True)
    ys = solver(func, y0, t, **kw)
    return torch.autograd.grad((w * ys).sum(), (y0, *func.parameters()))


def max_rel(got, want):
    return max(float((g - e).abs().max() / e.abs().max()) for g, e in zip(got, want, strict=True))


# --------------------------------------------------------------------------- against mathematics
@pytest.mark.parametrize("method", list(ORDERS))
def test_gradient_error_shrinks_at_the_methods_order(method):
    a, y0, t, w = linear_problem()
    exact = exact_linear_grads(a, y0, t, w)
    hs = [1 / 16, 1 / 32, 1 / 64, 1 / 128] if method == "euler" else [1 / 4, 1 / 8, 1 / 16, 1 / 32]
    errs = [max_rel(grads(odeint_adjoint, LinearODE(a), y0, t, w, method=method,
                          options={"step_size": h}), exact) for h in hs]
    slope = np.polyfit(np.log(hs), np.log(errs), 1)[0]
    assert abs(slope - ORDERS[method]) < 0.3, f"{method}: errors {errs}, fitted order {slope:.2f}"


def test_dopri5_gradients_match_the_exact_gradient():
    a, y0, t, w = linear_problem()
    stats = AdjointStats()
    got = grads(odeint_adjoint, LinearODE(a), y0, t, w, method="dopri5", rtol=1e-10, atol=1e-12, stats=stats)
    assert max_rel(got, exact_linear_grads(a, y0, t, w)) < 1e-8
    assert stats.forward.nfe > 0 and stats.backward.nfe > 0
    assert stats.reconstruction_error < 1e-9


def test_gradcheck_y0_params_time_dependent_batched_several_time_points():
    """Finite differences of the discrete forward map vs the adjoint: they differ by O(h^4), ~1e-9 here."""
    torch.manual_seed(0)
    func = TimeMLP()
    y0 = torch.randn(2, 2, dtype=F64, requires_grad=True)
    t = torch.tensor([0.0, 0.5, 1.0], dtype=F64)

    def f(y0, *params):
        return odeint_adjoint(func, y0, t, method="rk4", options={"step_size": 1 / 16}, adjoint_params=params)

    assert torch.autograd.gradcheck(f, (y0, *func.parameters()))


# ------------------------------------------------------------- against backprop through the solver
def test_agrees_with_backprop_through_the_solver_to_the_solvers_accuracy():
    torch.manual_seed(1)
    func = TimeMLP(dim=3, width=8)
    y0 = torch.randn(5, 3, dtype=F64)
    t = torch.tensor([0.0, 0.3, 1.0], dtype=F64)
    w = torch.randn(3, 5, 3, dtype=F64)
    diffs = []
    for h in (1 / 10, 1 / 40):
        opts = {"method": "rk4", "options": {"step_size": h}}
        diffs.append(max_rel(grads(odeint_adjoint, func, y0, t, w, **opts), grads(odeint, func, y0, t, w, **opts)))
    assert diffs[1] < 1e-8
    assert diffs[0] / diffs[1] > 4 ** 3  # the gap is the discretisation error: ≈ 4^4 smaller for h/4


def test_decreasing_times_integrate_backwards_and_agree_with_backprop():
    torch.manual_seed(9)
    func = TimeMLP()
    y0, t = torch.randn(3, 2, dtype=F64), torch.tensor([1.0, 0.6, 0.0], dtype=F64)
    w = torch.randn(3, 3, 2, dtype=F64)
    opts = {"method": "rk4", "options": {"step_size": 1 / 40}}
    assert max_rel(grads(odeint_adjoint, func, y0, t, w, **opts), grads(odeint, func, y0, t, w, **opts)) < 1e-8


def test_forward_output_is_nodebook_odeint():
    torch.manual_seed(2)
    func, y0, t = TimeMLP(), torch.randn(3, 2, dtype=F64), torch.linspace(0, 1, 5, dtype=F64)
    for kw in ({"method": "rk4", "options": {"step_size": 0.1}}, {"method": "dopri5", "rtol": 1e-6}):
        assert torch.equal(odeint_adjoint(func, y0, t, **kw), odeint(func, y0, t, **kw).detach())


# ----------------------------------------------------------------------------- against torchdiffeq
def test_rk38_matches_torchdiffeq_rk4_adjoint_to_round_off():
    """torchdiffeq's "rk4" is the 3/8 rule; on a grid through the output times both discretise alike."""
    torch.manual_seed(3)
    func = TimeMLP(dim=3, width=8)
    y0, t = torch.randn(4, 3, dtype=F64), torch.tensor([0.0, 0.5, 1.0], dtype=F64)
    w = torch.randn(3, 4, 3, dtype=F64)
    ours = grads(odeint_adjoint, func, y0, t, w, method="rk38", options={"step_size": 0.125})
    theirs = grads(torchdiffeq.odeint_adjoint, func, y0, t, w, method="rk4", options={"step_size": 0.125})
    assert max_rel(ours, theirs) < 1e-12


def test_dopri5_matches_torchdiffeq_adjoint():
    torch.manual_seed(4)
    func = TimeMLP(dim=3, width=8)
    y0, t = torch.randn(4, 3, dtype=F64), torch.tensor([0.0, 0.5, 1.0], dtype=F64)
    w = torch.randn(3, 4, 3, dtype=F64)
    tol = {"rtol": 1e-10, "atol": 1e-12}
    ours = grads(odeint_adjoint, func, y0, t, w, method="dopri5", **tol)
    theirs = grads(torchdiffeq.odeint_adjoint, func, y0, t, w, method="dopri5", **tol)
    assert max_rel(ours, theirs) < 1e-8


# ------------------------------------------------------------------------------ what it reports
def test_fixed_step_backward_costs_as_many_evaluations_as_forward():
    a, y0, t, w = linear_problem()
    stats = AdjointStats()
    ys = odeint_adjoint(LinearODE(a), y0, t, method="rk4", options={"step_size": 1 / 8}, stats=stats)
    assert stats.forward.nfe == 4 * 8 and stats.backward.nfe == 0
    (w * ys).sum().backward()
    assert stats.backward.nfe == stats.forward.nfe == 4 * 8  # one augmented RK4 step per forward step
    assert stats.backward.n_accepted == 8
    assert stats.reconstruction_error < 1e-3  # O(h^4) on each interval


# ------------------------------------------------------------------------- memory, measured
def test_adjoint_memory_stays_flat_as_steps_grow_while_backprop_grows():
    torch.manual_seed(5)
    dyn = nodebook.NFECounter(MLP(16, 64))  # any nn.Module works: the wrapper's parameters are MLP's
    y0, t = torch.randn(64, 16), torch.tensor([0.0, 1.0])

    def one_pass(solver, n):
        def run():
            ys = solver(dyn, y0, t, method="rk4", options={"step_size": 1 / n})
            ys[-1].square().sum().backward()
        return run

    one_pass(odeint_adjoint, 2)()  # allocate the .grad buffers once, so no measurement counts them
    # 5 and 100 steps: the same 20x ratio of steps as 10 and 200, at half the profiler's cost
    adjoint = [peak_memory(one_pass(odeint_adjoint, n), "cpu", warmup=False) for n in (5, 100)]
    backprop = [peak_memory(one_pass(odeint, n), "cpu", warmup=False) for n in (5, 100)]
    assert adjoint[1] <= 1.2 * adjoint[0], f"adjoint peak grew from {adjoint[0]} to {adjoint[1]} bytes"
    assert backprop[1] >= 10 * backprop[0], f"backprop peak {backprop} should grow with the steps"
    assert backprop[1] >= 20 * adjoint[1]


# ----------------------------------------------------------------------------------- use cases
def test_float32_gradients_match_backprop():
    torch.manual_seed(6)
    func = TimeMLP(dtype=torch.float32)
    y0, t = torch.randn(8, 2), torch.tensor([0.0, 1.0])
    w = torch.randn(2, 8, 2)
    opts = {"method": "rk4", "options": {"step_size": 0.05}}
    got = grads(odeint_adjoint, func, y0, t, w, **opts)
    assert got[0].dtype == torch.float32
    assert max_rel(got, grads(odeint, func, y0, t, w, **opts)) < 1e-4


def test_function_dynamics_with_explicit_adjoint_params():
    a, y0, t, w = linear_problem()
    a = a.clone().requires_grad_(True)
    y0 = y0.clone().requires_grad_(True)
    ys = odeint_adjoint(lambda t, y: y @ a.T, y0, t, method="dopri5", rtol=1e-10, atol=1e-12, adjoint_params=(a,))
    got = torch.autograd.grad((w * ys).sum(), (y0, a))
    assert max_rel(got, exact_linear_grads(a.detach(), y0.detach(), t, w)) < 1e-8


def test_no_parameters_gives_the_y0_gradient_only():
    y0 = torch.tensor([[1.0, 2.0]], dtype=F64, requires_grad=True)
    t = torch.tensor([0.0, 1.0], dtype=F64)
    ys = odeint_adjoint(lambda t, y: -y, y0, t, method="dopri5", rtol=1e-10, atol=1e-12, adjoint_params=())
    (g,) = torch.autograd.grad(ys[-1].sum(), y0)
    assert torch.allclose(g, torch.full_like(g, math.exp(-1.0)), rtol=1e-9)


def test_frozen_and_unused_parameters():
    torch.manual_seed(7)
    func = TimeMLP()
    func.unused = torch.nn.Parameter(torch.ones(3, dtype=F64))
    func.net[0].weight.requires_grad_(False)
    y0 = torch.randn(3, 2, dtype=F64)
    ys = odeint_adjoint(func, y0, torch.tensor([0.0, 1.0], dtype=F64), method="rk4", options={"step_size": 0.1})
    ys[-1].sum().backward()
    assert func.net[0].weight.grad is None  # not differentiated, as it does not require grad
    assert torch.equal(func.unused.grad, torch.zeros(3, dtype=F64))  # f does not depend on it: zero
    assert func.net[2].weight.grad is not None and func.net[2].weight.grad.abs().sum() > 0


def test_adjoint_method_and_options_can_differ_from_the_forward_ones():
    a, y0, t, w = linear_problem()
    exact = exact_linear_grads(a, y0, t, w)
    got = grads(odeint_adjoint, LinearODE(a), y0, t, w, method="rk4", options={"step_size": 1 / 32},
                adjoint_method="dopri5", adjoint_options={}, adjoint_rtol=1e-10, adjoint_atol=1e-12)
    assert max_rel(got, exact) < 1e-6


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu():
    torch.manual_seed(8)
    func, y0, t = TimeMLP(dim=3, width=8), torch.randn(4, 3, dtype=F64), torch.tensor([0.0, 0.5, 1.0], dtype=F64)
    w = torch.randn(3, 4, 3, dtype=F64)
    opts = {"method": "rk4", "options": {"step_size": 0.05}}
    cpu = grads(odeint_adjoint, func, y0, t, w, **opts)
    func.cuda()
    gpu = grads(odeint_adjoint, func, y0.cuda(), t.cuda(), w.cuda(), **opts)
    assert max_rel([g.cpu() for g in gpu], cpu) < 1e-10


# ----------------------------------------------------------------------------------------- errors
def test_errors_say_expected_and_got():
    y0, t = torch.ones(2, dtype=F64), torch.tensor([0.0, 1.0], dtype=F64)
    with pytest.raises(TypeError, match="func must be a torch.nn.Module .* adjoint_params.* got function"):
        odeint_adjoint(lambda t, y: -y, y0, t)
    with pytest.raises(TypeError, match="adjoint_params must hold only tensors; got float at position 1"):
        odeint_adjoint(lambda t, y: -y, y0, t, adjoint_params=(torch.ones(1), 2.0))
    with pytest.raises(TypeError, match=r"got a single tensor of shape \(2,\) \(wrap it"):
        odeint_adjoint(lambda t, y: -y, y0, t, adjoint_params=torch.ones(2, requires_grad=True))
    with pytest.raises(ValueError, match="unknown adjoint_method 'rk5'; known methods: dopri5, euler"):
        odeint_adjoint(TimeMLP(dim=2), y0[None], t, adjoint_method="rk5")
    with pytest.raises(ValueError, match="adjoint_method='euler' differs.*pass adjoint_options"):
        odeint_adjoint(TimeMLP(dim=2), y0[None], t, method="rk4", options={"step_size": 0.1}, adjoint_method="euler")
    with pytest.raises(ValueError, match="adjoint_method='rk4' is fixed-step"):
        odeint_adjoint(TimeMLP(dim=2), y0[None], t, adjoint_method="rk4", adjoint_rtol=1e-3)
    with pytest.raises(ValueError, match="adjoint_rtol must be finite and > 0; got -1"):
        odeint_adjoint(TimeMLP(dim=2), y0[None], t, adjoint_rtol=-1.0)
    with pytest.raises(ValueError, match="unknown option.*'step'.*for method 'rk4'"):
        odeint_adjoint(TimeMLP(dim=2), y0[None], t, method="euler", adjoint_method="rk4",
                       adjoint_options={"step": 0.1})


def test_errors_of_nodebook_solve_come_through():
    func, t = TimeMLP(dim=2), torch.tensor([0.0, 1.0], dtype=F64)
    with pytest.raises(TypeError, match="y0 must be a torch.Tensor or a tuple of tensors; got a list"):
        odeint_adjoint(func, [torch.ones(2, dtype=F64)], t)
    with pytest.raises(ValueError, match="unknown method 'rk5'"):
        odeint_adjoint(func, torch.ones(1, 2, dtype=F64), t, method="rk5")
    with pytest.raises(ValueError, match=r"strictly increasing or strictly decreasing; got t\[2\]=0.5"):
        odeint_adjoint(func, torch.ones(1, 2, dtype=F64), torch.tensor([0.0, 1.0, 0.5], dtype=F64))
    with pytest.raises(ValueError, match="rtol/atol control adaptive methods only"):
        odeint_adjoint(func, torch.ones(1, 2, dtype=F64), t, method="rk4", rtol=1e-3)
