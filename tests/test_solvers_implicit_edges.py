"""sdirk2 on the edges issue 21 found: float32, Newton's tolerance, stiff starts, NaN, NumPy f, options,
time gradients and the adjoint through it."""

from __future__ import annotations

import math

import pytest
import torch

import nodebook as nb

F64 = torch.float64


def test_float32_decay_at_default_tolerances_solves():
    t = torch.linspace(0, 2, 5)
    ys = nb.odeint(lambda t, y: -y, torch.ones(1), t, method="sdirk2")
    assert ys.dtype == torch.float32
    assert float((ys[:, 0] - torch.exp(-t)).abs().max()) < 1e-4


@pytest.mark.parametrize("y0", [1.0, 10.0])
def test_cubic_decay_with_a_fixed_step_solves(y0):
    # y' = -y³: y = y0 / sqrt(1 + 2 y0² t). With y0 = 10 the Jacobian at the start (-300) is far from the
    # one at the stage value (about -86), so simplified Newton contracts slowly: it needs the refresh.
    t = torch.tensor([0.0, 1.0], dtype=F64)
    ys = nb.odeint(lambda t, y: -y**3, torch.tensor([y0], dtype=F64), t, method="sdirk2", options={"step_size": 0.1})
    exact = y0 / math.sqrt(1 + 2 * y0**2)
    assert abs(float(ys[-1, 0]) - exact) < 0.05 * exact


def test_stiff_float32_start_is_not_refused_by_the_underflow_guard():
    # y' = -1e6 (y - cos t), y(0) = 0: a transient of width 1e-6 at the start, then y ≈ cos t.
    def f(t, y):
        return -1e6 * (y - torch.cos(t))

    t = torch.tensor([0.0, 1e-5, 1.0])
    ys = nb.odeint(f, torch.zeros(1), t, method="sdirk2")
    k, s = 1e6, t.double()
    exact = (k * k * torch.cos(s) + k * torch.sin(s)) / (k * k + 1) - k * k / (k * k + 1) * torch.exp(-k * s)
    assert float((ys[:, 0].double() - exact).abs().max()) < 1e-5


@pytest.mark.parametrize("options", [None, {"step_size": 0.1}])
def test_nan_from_f_is_named_with_the_time_and_the_step(options):
    def f(t, y):
        return torch.where(t > 0.5, torch.full_like(y, float("nan")), -y)

    with pytest.raises(nb.SolverError, match=r"func returned NaN or inf at the stage time 0\.5.*") as info:
        nb.odeint(f, torch.ones(1, dtype=F64), torch.tensor([0.0, 1.0], dtype=F64), method="sdirk2", options=options)
    assert "step" in str(info.value) and "t=0.5" in str(info.value)


def test_step_underflow_says_why_the_steps_shrank():
    # y' = y², y(0) = 1 blows up at t = 1.
    with pytest.raises(nb.SolverError, match=r"step size underflowed .* at t=0\.99.*(Newton|error estimate)"):
        nb.odeint(lambda t, y: y * y, torch.ones(1, dtype=F64), torch.tensor([0.0, 2.0], dtype=F64),
                  method="sdirk2", rtol=1e-2, atol=1e-2, options={"max_num_steps": 100_000})


@pytest.mark.parametrize(("key", "value", "exc", "match"), [
    ("newton_max_iter", 0, ValueError, r"newton_max_iter.*positive int.*got 0"),
    ("newton_max_iter", -3, ValueError, r"newton_max_iter.*positive int"),
    ("newton_max_iter", "8", ValueError, r"newton_max_iter.*positive int.*'8'"),
    ("newton_max_iter", 2.5, ValueError, r"newton_max_iter.*positive int"),
    ("newton_tol", 0, ValueError, r"newton_tol.*\(0, 1\].*got 0"),
    ("newton_tol", -1e-3, ValueError, r"newton_tol.*\(0, 1\]"),
    ("newton_tol", float("nan"), ValueError, r"newton_tol.*\(0, 1\]"),
    ("newton_tol", 5.0, ValueError, r"newton_tol.*\(0, 1\]"),
    ("newton_tol", "0.1", TypeError, r"newton_tol.*number.*str"),
    ("norm", "rms", TypeError, r"norm.*callable.*'rms'"),
    ("norm", 3, TypeError, r"norm.*callable"),
    ("jacobian", "exact", ValueError, r"jacobian.*auto, autograd, finite_difference.*'exact'"),
])
def test_bad_options_are_refused_clearly(key, value, exc, match):
    with pytest.raises(exc, match=match):
        nb.odeint(lambda t, y: -y, torch.ones(1), torch.tensor([0.0, 1.0]), method="sdirk2", options={key: value})


def _numpy_stiff(t, y):  # y' = -1000 (y - 1), computed outside autograd
    return torch.from_numpy(-1000.0 * (y.detach().numpy() - 1.0))


def _torch_stiff(t, y):
    return -1000.0 * (y - 1.0)


def test_f_through_numpy_gets_a_finite_difference_jacobian_and_solves_as_fast():
    t = torch.tensor([0.0, 1.0], dtype=F64)
    y0 = torch.zeros(2, dtype=F64)
    a = nb.solve(_numpy_stiff, y0, t, method="sdirk2", rtol=1e-4, atol=1e-6)
    b = nb.solve(_torch_stiff, y0, t, method="sdirk2", rtol=1e-4, atol=1e-6)
    torch.testing.assert_close(a.ys, b.ys, rtol=1e-4, atol=1e-6)
    # A zero Jacobian would make Newton a fixed-point iteration, which diverges once 1000·γh > 1.
    assert a.stats.n_accepted + a.stats.n_rejected <= 1.2 * (b.stats.n_accepted + b.stats.n_rejected) + 2


def test_f_through_numpy_with_jacobian_autograd_is_a_clear_error():
    with pytest.raises(TypeError, match=r"does not require grad.*NumPy.*finite_difference"):
        nb.odeint(_numpy_stiff, torch.zeros(2, dtype=F64), torch.tensor([0.0, 1.0], dtype=F64), method="sdirk2",
                  options={"jacobian": "autograd"})


def test_f_that_ignores_y_is_fine_with_jacobian_autograd():
    ys = nb.odeint(lambda t, y: torch.cos(t) * torch.ones(2, dtype=F64), torch.zeros(2, dtype=F64),
                   torch.tensor([0.0, 1.0], dtype=F64), method="sdirk2", options={"jacobian": "autograd"})
    assert float(ys[-1, 0]) == pytest.approx(math.sin(1.0), abs=1e-5)


def _decay(t, y):
    return -y * (1 + t)


def test_time_gradients_through_odeint_with_a_fixed_step_pass_gradcheck():
    # Fixed steps: the step sequence does not move under gradcheck's perturbations; a tight Newton
    # tolerance keeps its iteration count from adding jumps of the size of its error. No gap is a
    # whole number of steps (there the step count, and so the map, jumps under a perturbation).
    t = torch.tensor([0.2, 0.73, 1.0], dtype=F64, requires_grad=True)
    y0 = torch.tensor([1.0, 0.5], dtype=F64, requires_grad=True)
    opts = {"step_size": 0.05, "newton_tol": 1e-4}
    assert torch.autograd.gradcheck(lambda y0, t: nb.odeint(_decay, y0, t, method="sdirk2", options=opts), (y0, t))


def test_time_gradients_match_the_exact_ones():
    # y = y0 exp(-(t + t²/2) + (t0 + t0²/2)): dy(t1)/dt1 = -y1 (1 + t1), dy(t1)/dt0 = y1 (1 + t0).
    t = torch.tensor([0.2, 1.0], dtype=F64, requires_grad=True)
    y1 = math.exp(-(1 + 0.5) + (0.2 + 0.02))
    for solver in (nb.odeint, nb.odeint_adjoint):
        kw = {"adjoint_params": ()} if solver is nb.odeint_adjoint else {}
        ys = solver(_decay, torch.tensor([1.0], dtype=F64), t, method="sdirk2", rtol=1e-6, atol=1e-8, **kw)
        (g,) = torch.autograd.grad(ys[-1].sum(), t)
        torch.testing.assert_close(g, torch.tensor([y1 * 1.2, -y1 * 2.0], dtype=F64), rtol=1e-4, atol=0,
                                   msg=solver.__name__)


class Stiff(torch.nn.Module):
    """z' = A z with eigenvalues -1 and -1000 (a learnable A)."""

    def __init__(self):
        super().__init__()
        self.A = torch.nn.Parameter(torch.tensor([[-1.0, 0.0], [1.0, -1000.0]], dtype=F64))

    def forward(self, t, z):
        return self.A @ z


def test_adjoint_through_sdirk2_on_a_stiff_problem_gets_a_real_jacobian_and_matches_backprop():
    # The augmented dynamics the adjoint hands sdirk2 are not autograd-differentiable (each call takes
    # its own vector–Jacobian product and returns plain values): their Jacobian used to come out as
    # zero, which made Newton a fixed-point iteration that converges only for 1000·γh < 1, and the
    # backward solve ran out of its 10 000 steps. Backwards in time the -1000 mode grows, so the
    # backward solve still takes several times the forward's steps (the docstring's advice).
    t = torch.tensor([0.0, 0.3], dtype=F64)
    grads, stats = {}, nb.AdjointStats()
    for name, solver in (("backprop", nb.odeint), ("adjoint", nb.odeint_adjoint)):
        f = Stiff()
        y0 = torch.tensor([1.0, 0.0], dtype=F64, requires_grad=True)
        kw = {"adjoint_method": "sdirk2", "stats": stats} if name == "adjoint" else {}
        solver(f, y0, t, method="sdirk2", rtol=1e-4, atol=1e-6, **kw).sum().backward()
        grads[name] = torch.cat([y0.grad, f.A.grad.reshape(-1)])
    torch.testing.assert_close(grads["adjoint"], grads["backprop"], rtol=5e-3, atol=1e-6)
    forward, backward = stats.forward, stats.backward
    assert backward.n_accepted + backward.n_rejected < 20 * (forward.n_accepted + forward.n_rejected)
