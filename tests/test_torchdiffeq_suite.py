"""torchdiffeq's own solver and gradient tests, their cases re-written against nodebook.

Source: rtqichen/torchdiffeq ``tests/problems.py``, ``gradient_tests.py``, ``odeint_tests.py`` and
``api_tests.py``. Each parameter combination of their ``subTest`` loops is one case here, with their
problems, time grid (``linspace(1, 8, 10)``, which requires grad), tolerances and error bounds. Only
the methods nodebook has are run (torchdiffeq's ``"rk4"`` is Kutta's 3/8 rule, nodebook's ``"rk38"``;
nodebook's classical ``"rk4"`` is run under the same bounds as an extra). Their tests of options
nodebook does not have (``norm``, ``jump_t``, ``perturb``, ``grid_constructor``, ``min_step``,
callbacks, ``scipy_solver``) are left out.
"""

from __future__ import annotations

import math

import pytest
import torch

from nodebook import odeint, odeint_adjoint

F64 = torch.float64
FIXED = {"euler": "euler", "midpoint": "midpoint", "rk4": "rk38", "rk4-classical": "rk4"}
METHODS = {**FIXED, "dopri5": "dopri5", "sdirk2": "sdirk2"}  # torchdiffeq's name (or ours) -> nodebook's
IMPLICIT = ("sdirk2",)  # their FIXED_IMPLICIT_METHODS that nodebook has


class ConstantODE(torch.nn.Module):
    """y' = a + (y - (a t + b))^5: the line a t + b is the solution through y(t0) = a t0 + b."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(0.2))
        self.b = torch.nn.Parameter(torch.tensor(3.0))

    def forward(self, t, y):
        return self.a + (y - (self.a * t + self.b)) ** 5

    def y_exact(self, t):
        return self.a * t + self.b


class SineODE(torch.nn.Module):
    def forward(self, t, y):
        return 2 * y / t + t**4 * torch.sin(2 * t) - t**2 + 4 * t**3

    def y_exact(self, t):
        return (-0.5 * t**4 * torch.cos(2 * t) + 0.5 * t**3 * torch.sin(2 * t) + 0.25 * t**2 * torch.cos(2 * t)
                - t**3 + 2 * t**4 + (math.pi - 0.25) * t**2)


class LinearODE(torch.nn.Module):
    """y' = A y with A antisymmetric (a rotation), y(0) = 1."""

    def __init__(self, dim: int = 10):
        super().__init__()
        torch.manual_seed(0)
        u = torch.randn(dim, dim) * 0.1
        self.dim = dim
        self.A = torch.nn.Parameter(2 * u - (u + u.T))

    def forward(self, t, y):
        return torch.mm(self.A, y.reshape(self.dim, 1)).reshape(-1)

    def y_exact(self, t):
        a = self.A.detach().double()
        ones = torch.ones(self.dim, dtype=F64)
        return torch.stack([torch.linalg.matrix_exp(a * float(s)) @ ones for s in t.detach()]).to(t)


class ExpODE(torch.nn.Module):
    def forward(self, t, y):
        return -0.1 * self.y_exact(t)

    def y_exact(self, t):
        return torch.exp(-0.1 * t)


PROBLEMS = {"constant": ConstantODE, "linear": LinearODE, "sine": SineODE, "exp": ExpODE}


def construct_problem(ode="constant", reverse=False, dtype=F64, npts=10):
    f = PROBLEMS[ode]().to(dtype=dtype)
    t = torch.linspace(1, 8, npts, dtype=F64, requires_grad=True)
    sol = f.y_exact(t).to(dtype)
    if reverse:
        t, sol = t.flip(0).detach(), sol.flip(0).detach()
    return f, sol[0].detach().requires_grad_(True), t, sol


def max_abs(x):
    return float(x.abs().max())


def rel_error(true, estimate):
    return float(((true - estimate) / true).abs().max())


# ------------------------------------------------------------------------------ gradient_tests.py
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("solver", ["odeint", "odeint_adjoint"])
def test_gradcheck_y0_and_t(solver, method):
    f, y0, t, _ = construct_problem()
    solve = {"odeint": odeint, "odeint_adjoint": odeint_adjoint}[solver]
    assert torch.autograd.gradcheck(lambda y0, t: solve(f, y0, t, method=METHODS[method]), (y0, t))


ADJOINT_EPS = {"constant": 1e-12, "linear": 1e-5, "sine": 5e-3, "exp": 1e-2}


def _grads(f, y0, t, solve, gradys=None):
    for x in (y0, t, *f.parameters()):
        x.grad = None
    ys = solve(f, y0, t, rtol=1e-9, atol=1e-12)
    if gradys is None:
        torch.manual_seed(0)
        gradys = torch.rand_like(ys)
    ys.backward(gradys)
    return gradys, y0.grad.clone(), (t.grad.clone() if t.requires_grad else None), [
        p.grad.clone() for p in f.parameters()]


@pytest.mark.parametrize("t_grad", [True, False])
@pytest.mark.parametrize("ode", PROBLEMS)
def test_adjoint_against_odeint(ode, t_grad):
    f, y0, t, _ = construct_problem(ode=ode)
    t.requires_grad_(t_grad)
    gradys, reg_y0, reg_t, reg_params = _grads(f, y0, t, odeint)
    _, adj_y0, adj_t, adj_params = _grads(f, y0, t, odeint_adjoint, gradys)
    eps = ADJOINT_EPS[ode]
    assert max_abs(reg_y0 - adj_y0) < eps
    if t_grad:
        assert max_abs(reg_t - adj_t) < eps
    for reg, adj in zip(reg_params, adj_params, strict=True):
        assert max_abs(reg - adj) < eps


class CubicOdefunc(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.A = torch.nn.Parameter(torch.tensor([[-0.1, 2.0], [-2.0, -0.1]]))
        self.unused_module = torch.nn.Linear(2, 5)

    def forward(self, t, y):
        return torch.mm(y**3, self.A)


def cubic_problem():
    torch.manual_seed(0)  # their Linear(2, 5) is unused, so its initialisation does not matter
    return (CubicOdefunc(), torch.tensor([[2.0, 0.0]], requires_grad=True),
            torch.linspace(0.0, 25.0, 10, requires_grad=True))


@pytest.mark.parametrize("t_grad", [True, False])
def test_compare_adjoint_gradient_against_dopri5(t_grad):
    """float32, torchdiffeq's default tolerances, 25 time units of a cubic oscillator."""
    func, y0, t = cubic_problem()
    t.requires_grad_(t_grad)
    ys = odeint_adjoint(func, y0, t, method="dopri5")
    torch.manual_seed(1)
    gradys = torch.rand_like(ys) * 0.1
    ys.backward(gradys)
    adj_y0, adj_t, adj_a = y0.grad, t.grad if t_grad else None, func.A.grad
    assert max_abs(func.unused_module.weight.grad) == 0 and max_abs(func.unused_module.bias.grad) == 0

    func, y0, t = cubic_problem()
    t.requires_grad_(t_grad)
    odeint(func, y0, t, method="dopri5").backward(gradys)
    assert max_abs(y0.grad - adj_y0) < 3e-4
    if t_grad:
        assert max_abs(t.grad - adj_t) < 1e-4
    assert max_abs(func.A.grad - adj_a) < 2e-3


# -------------------------------------------------------------------------------- odeint_tests.py
def solver_cases():
    for reverse in (False, True):
        for dtype in (torch.float32, F64):
            for method in METHODS:
                odes = PROBLEMS if method == "dopri5" else ("constant", "exp") if method in IMPLICIT else ("constant",)
                for ode in odes:
                    yield pytest.param(reverse, dtype, method, ode,
                                       id=f"{'reverse' if reverse else 'forward'}-{str(dtype)[6:]}-{method}-{ode}")


@pytest.mark.parametrize(("reverse", "dtype", "method", "ode"), list(solver_cases()))
def test_solver_error_odeint(reverse, dtype, method, ode):
    eps = {"linear": 2e-3, "exp": 5e-2}.get(ode, 3e-4)
    f, y0, t, sol = construct_problem(dtype=dtype, ode=ode, reverse=reverse)
    y = odeint(f, y0, t, method=METHODS[method])
    assert rel_error(sol, y) < eps


@pytest.mark.parametrize("ode", PROBLEMS)
@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("reverse", [False, True])
def test_solver_error_adjoint(reverse, dtype, ode):
    eps = 2e-3 if ode == "linear" else 1e-4
    f, y0, t, sol = construct_problem(dtype=dtype, ode=ode, reverse=reverse)
    y = odeint_adjoint(f, y0, t)
    assert rel_error(sol, y) < eps


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("ode", PROBLEMS)
@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("reverse", [False, True])
def test_no_integration(reverse, dtype, ode, method):
    """A single output time returns y0 (their TestNoIntegration)."""
    f, y0, t, sol = construct_problem(dtype=dtype, ode=ode, reverse=reverse)
    y = odeint(f, y0, t[0:1], method=METHODS[method])
    assert max_abs(sol[0] - y) < 1e-12


# ----------------------------------------------------------------------------------- api_tests.py
@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_collection_state_forward(dtype):
    f, y0, t, sol = construct_problem(dtype=dtype)
    ys = odeint(lambda t, y: (f(t, y[0]), f(t, y[1])), (y0, y0), t, method="dopri5")
    eps = {torch.float32: 1e-4, F64: 1e-12}[dtype]
    assert isinstance(ys, tuple) and len(ys) == 2
    assert max_abs(sol - ys[0]) < eps and max_abs(sol - ys[1]) < eps


@pytest.mark.parametrize("i", [0, 1])
def test_collection_state_gradient(i):
    f, y0, t, _ = construct_problem()

    def tuple_f(t, y):
        return f(t, y[0]), f(t, y[1])

    assert torch.autograd.gradcheck(lambda y0, t: odeint(tuple_f, (y0, y0), t, method="dopri5")[i], (y0, t))
