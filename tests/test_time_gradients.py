"""Gradients with respect to the output times t, for odeint (backprop) and odeint_adjoint.

Against mathematics: for z' = f(t, z), dz(T)/dT = f(T, z(T)) and dz(T)/dt0 = -Φ(T, t0) f(t0, z0); against
finite differences (gradcheck, float64) with the step sequence held fixed; against torchdiffeq.
"""

from __future__ import annotations

import math

import pytest
import torch
import torchdiffeq

from nodebook import odeint, odeint_adjoint

F64 = torch.float64


def decay(t, y):  # the issue's example: y' = -y (1 + t), y = y0 exp(-(t + t²/2) + (t0 + t0²/2))
    return -y * (1 + t)


def _time_grads(solver, method, t_values=(0.2, 1.0), **kw):
    t = torch.tensor(t_values, dtype=F64, requires_grad=True)
    y0 = torch.tensor([1.0], dtype=F64)
    if solver is odeint_adjoint:
        kw["adjoint_params"] = ()
    ys = solver(decay, y0, t, method=method, **kw)
    (g,) = torch.autograd.grad(ys[-1].sum(), t)
    return g


def test_issue_example_dopri5_is_exact_for_odeint_and_odeint_adjoint():
    y1 = math.exp(-(1 + 0.5) + (0.2 + 0.02))
    exact = torch.tensor([y1 * (1 + 0.2), -y1 * (1 + 1.0)], dtype=F64)  # [0.334, -0.556]
    for solver in (odeint, odeint_adjoint):
        got = _time_grads(solver, "dopri5", rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(got, exact, rtol=1e-8, atol=0, msg=solver.__name__)
    theirs = _time_grads(torchdiffeq.odeint, "dopri5", rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(theirs, exact, rtol=1e-8, atol=0)


def test_issue_example_one_euler_step_is_the_derivative_of_its_formula():
    # y1 = y0 (1 - (t1 - t0)(1 + t0)): d/dt1 = -(1 + t0) = -1.2, d/dt0 = (1 + t0) - (t1 - t0) = 0.4
    # (The adjoint differentiates the ODE, not the Euler map: it is tested against exact derivatives.)
    want = torch.tensor([0.4, -1.2], dtype=F64)
    for solver in (odeint, torchdiffeq.odeint):
        torch.testing.assert_close(_time_grads(solver, "euler"), want, rtol=1e-14, atol=1e-14)


class TimeMLP(torch.nn.Module):
    """Nonlinear, time-dependent dynamics, so ∂f/∂t matters."""

    def __init__(self, dim=2, width=6, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.net = torch.nn.Sequential(torch.nn.Linear(dim + 1, width), torch.nn.Tanh(),
                                       torch.nn.Linear(width, dim)).double()

    def forward(self, t, y):
        return self.net(torch.cat([y, torch.sin(3 * t).expand(*y.shape[:-1], 1)], dim=-1))


# dopri5 with frozen steps (fixed first step, no growth, a tolerance every step passes): the step
# sequence does not move under gradcheck's perturbations, so finite differences see the map autograd does.
FROZEN = {"dopri5": {"rtol": 1e-2, "atol": 1e-2, "options": {"first_step": 0.15, "ifactor": 1.0}},
          "rk4-grid": {"method": "rk4", "options": {"step_size": 0.1}},
          "rk4": {"method": "rk4"}, "euler": {"method": "euler"}, "midpoint": {"method": "midpoint"}}
# The adjoint differentiates the ODE, not the discrete map, so finite differences of the map agree with
# it only as far as the solve is accurate: fine steps, tight tolerances.
ACCURATE = {"dopri5": {"rtol": 1e-11, "atol": 1e-12}, "rk4-grid": {"method": "rk4", "options": {"step_size": 0.02}}}
TIMES = ([0.0, 0.37, 0.81, 1.23], [1.23, 0.81, 0.37, -0.05])  # outputs between steps; decreasing too


def _gradcheck(solver, kw):
    func = TimeMLP()
    y0 = torch.tensor([[0.3, -0.7], [1.1, 0.2]], dtype=F64, requires_grad=True)
    kw = dict(kw, method=kw.get("method", "dopri5"))
    if solver is odeint_adjoint:
        kw["adjoint_params"] = tuple(func.parameters())
    for times in TIMES:
        t = torch.tensor(times, dtype=F64, requires_grad=True)
        # fast mode: one random direction instead of every column (the adjoint solves are the cost here)
        assert torch.autograd.gradcheck(lambda y0, t: solver(func, y0, t, **kw), (y0, t),
                                        fast_mode=solver is odeint_adjoint)


@pytest.mark.parametrize("setting", FROZEN)
def test_gradcheck_times_and_y0_through_the_solver(setting):
    _gradcheck(odeint, FROZEN[setting])


@pytest.mark.parametrize("setting", ACCURATE)
def test_gradcheck_times_and_y0_through_the_adjoint(setting):
    _gradcheck(odeint_adjoint, ACCURATE[setting])


def test_dopri5_output_time_hit_exactly_by_a_step_still_has_its_gradient():
    # steps of 0.25 land exactly on the output 0.5: its value is the step's end, its derivative f there
    t = torch.tensor([0.0, 0.5, 1.1], dtype=F64, requires_grad=True)
    y0 = torch.tensor([0.4, -0.3], dtype=F64, requires_grad=True)
    kw = {"rtol": 1.0, "atol": 1.0, "options": {"first_step": 0.25, "ifactor": 1.0}}
    func = TimeMLP()
    assert torch.autograd.gradcheck(lambda y0, t: odeint(func, y0, t, **kw), (y0, t))
    ys = odeint(func, y0, t, **kw)
    (g,) = torch.autograd.grad(ys[1].sum(), t)
    with torch.no_grad():
        assert float(g[1]) == pytest.approx(float(func(t[1], ys[1]).sum()), rel=1e-12)


@pytest.mark.parametrize("method", ["dopri5", "rk4"])
def test_adjoint_time_gradients_match_backprop_and_torchdiffeq(method):
    func = TimeMLP(dim=3, width=8, seed=3)
    y0 = torch.randn(4, 3, dtype=F64)
    w = torch.randn(4, 4, 3, dtype=F64)
    kw = {"rtol": 1e-10, "atol": 1e-12} if method == "dopri5" else {"options": {"step_size": 0.01}}

    def dt(solver, name):
        t = torch.tensor([0.1, 0.4, 0.45, 1.3], dtype=F64, requires_grad=True)
        ys = solver(func, y0, t, method=name, **kw)
        return torch.autograd.grad((w * ys).sum(), t)[0]

    ours = dt(odeint_adjoint, method)
    torch.testing.assert_close(ours, dt(odeint, method), rtol=1e-7, atol=1e-9)
    theirs = dt(torchdiffeq.odeint_adjoint, "dopri5" if method == "dopri5" else "rk4")
    torch.testing.assert_close(ours, theirs, rtol=1e-6, atol=1e-8)


def test_adjoint_dL_dt0_equals_minus_adjoint_dot_f_at_the_start():
    """The adjoint-time integral and the identity d(a·f)/dt = a·∂f/∂t give the same dL/dt0."""
    func = TimeMLP(seed=5)
    y0 = torch.randn(3, 2, dtype=F64, requires_grad=True)
    t = torch.tensor([0.2, 0.9, 1.6], dtype=F64, requires_grad=True)
    ys = odeint_adjoint(func, y0, t, rtol=1e-10, atol=1e-12)
    g_y0, g_t = torch.autograd.grad(ys.pow(2).sum(), (y0, t))
    with torch.no_grad():  # a(t0) just after t0: without the loss's direct 2 z0 from the output at t0
        identity = -((g_y0 - 2 * y0) * func(t[0], y0)).sum()
    assert float(g_t[0]) == pytest.approx(float(identity), rel=1e-7)
    with torch.no_grad():  # and each later output time's gradient is 2 z(t_i) · f(t_i, z(t_i))
        for i in (1, 2):
            assert float(g_t[i]) == pytest.approx(float((2 * ys[i] * func(t[i], ys[i])).sum()), rel=1e-12)


def test_learned_end_time_gets_the_exact_gradient_and_a_step_lowers_the_loss():
    """FFJORD-style: the end time T is a parameter. L = (y(T) - c)², y' = -y: dL/dT = -2 y(T)(y(T) - c)."""
    T = torch.tensor(0.5, dtype=F64, requires_grad=True)
    y0, c = torch.tensor([1.0], dtype=F64), math.exp(-1.5)

    def loss():
        yT = odeint_adjoint(lambda t, y: -y, y0, torch.stack([T.new_zeros(()), T]), adjoint_params=())[-1]
        return ((yT - c) ** 2).sum()

    before = loss()
    (g,) = torch.autograd.grad(before, T)
    assert float(g) == pytest.approx(-2 * math.exp(-0.5) * (math.exp(-0.5) - c), rel=1e-6)
    with torch.no_grad():
        T -= 0.5 * g
    assert float(loss().detach()) < 0.9 * float(before.detach())


def test_no_time_gradient_when_t_does_not_require_grad():
    t = torch.tensor([0.0, 1.0], dtype=F64)
    y0 = torch.tensor([1.0], dtype=F64, requires_grad=True)
    for solver in (odeint, odeint_adjoint):
        kw = {"adjoint_params": ()} if solver is odeint_adjoint else {}
        solver(decay, y0, t, **kw)[-1].sum().backward()
        assert t.grad is None


# ------------------------------------------------------------------ float64 times, float32 state
def _cos_field(t, y):
    return torch.cos(100 * t) * torch.ones_like(y)


@pytest.mark.parametrize("method", ["dopri5", "rk4", "sdirk2"])
def test_float64_times_far_from_zero_with_a_float32_state_are_refused_not_rounded(method):
    # f sees t in y0's dtype (as in torchdiffeq); near 1e6 float32 resolves t only to 0.06, so
    # cos(100 t) would be evaluated at the wrong times and the float32 answer silently wrong.
    t = 1e6 + torch.linspace(0, 1, 11, dtype=F64)
    opts = {"step_size": 0.01} if method == "rk4" else None
    with pytest.raises(ValueError, match=r"t is float64 but y0 is float32.*1e\+06.*y0\.double\(\)"):
        odeint(_cos_field, torch.zeros(1), t, method=method, options=opts)


@pytest.mark.parametrize("method", ["dopri5", "rk4"])
def test_float64_times_near_zero_with_a_float32_state_agree_with_a_float64_solve(method):
    t = torch.linspace(0, 1, 11, dtype=F64)
    opts = {"step_size": 0.01} if method == "rk4" else None
    y32 = odeint(_cos_field, torch.zeros(1), t, method=method, options=opts)
    y64 = odeint(_cos_field, torch.zeros(1, dtype=F64), t, method=method, options=opts)
    assert y32.dtype == torch.float32
    assert float((y32.double() - y64).abs().max()) < 1e-5
