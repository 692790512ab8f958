"""The implicit SDIRK2 solver: order, agreement with dopri5, stiff stability, clear failures."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import nodebook as nb
from nodebook import problems
from nodebook.solvers.implicit import GAMMA, SDIRK2, jacobian

F64 = torch.float64


def _error(p, method="sdirk2", **kw):
    t = torch.tensor([p.t0, p.t1], dtype=F64)
    ys = nb.odeint(p.func, p.initial(), t, method=method, **kw)
    return float((ys[-1] - p.exact(t[-1:])[0]).abs().max())


def test_registered_and_adaptive():
    assert nb.SOLVERS["sdirk2"] is SDIRK2
    assert SDIRK2.adaptive and SDIRK2.order == 2
    assert GAMMA == pytest.approx(1 - math.sqrt(0.5))


@pytest.mark.parametrize("name", ["harmonic", "logistic"])
def test_convergence_order_is_two_as_a_fitted_log_log_slope(name):
    p = problems.PROBLEMS[name]()
    hs = [(p.t1 - p.t0) / n for n in (16, 32, 64, 128)]
    errs = [_error(p, options={"step_size": h}) for h in hs]
    slope = float(np.polyfit(np.log(hs), np.log(errs), 1)[0])
    assert slope == pytest.approx(2.0, abs=0.2), (slope, errs)


def test_time_dependent_field_uses_the_stage_times():
    # y' = cos t: the stage times enter; y(2) = sin 2.
    ys = nb.odeint(lambda t, y: torch.cos(t) * torch.ones_like(y), torch.zeros(1, dtype=F64),
                   torch.tensor([0.0, 2.0], dtype=F64), method="sdirk2", rtol=1e-5, atol=1e-7)
    assert float(ys[-1, 0]) == pytest.approx(math.sin(2.0), abs=1e-4)


@pytest.mark.parametrize("tol", [1e-3, 1e-5])
def test_agrees_with_dopri5_on_a_non_stiff_problem(tol):
    p = problems.harmonic(t1=4.0)
    t = torch.linspace(0, 4, 9, dtype=F64)
    a = nb.odeint(p.func, p.initial(), t, method="sdirk2", rtol=tol, atol=tol)
    b = nb.odeint(p.func, p.initial(), t, method="dopri5", rtol=1e-10, atol=1e-10)
    assert float((a - b).abs().max()) < 20 * tol


def test_stiff_problem_needs_few_steps_where_dopri5_needs_thousands():
    p = problems.stiff_relaxation(stiffness=1e5, t1=2.0)
    t = torch.tensor([0.0, 2.0], dtype=F64)
    imp = nb.solve(p.func, p.initial(), t, method="sdirk2", rtol=1e-4, atol=1e-6)
    exact = p.exact(t[-1:])[0]
    assert float((imp.ys[-1] - exact).abs().max()) < 1e-3
    assert imp.stats.n_accepted < 300
    # dopri5's stable step is about 3.3e-5 here: 2 time units take ~60 000 steps, so 10x sdirk2's is not enough.
    with pytest.raises(nb.SolverError, match="max_num_steps"):
        nb.solve(p.func, p.initial(), t, method="dopri5", rtol=1e-4, atol=1e-6,
                 options={"max_num_steps": 10 * imp.stats.n_accepted})


def test_l_stable_large_fixed_step_damps_the_fast_mode():
    # y' = -1e8 y with h = 1: an explicit method explodes; SDIRK2 maps y close to 0.
    ys = nb.odeint(lambda t, y: -1e8 * y, torch.ones(1, dtype=F64), torch.tensor([0.0, 1.0], dtype=F64),
                   method="sdirk2", options={"step_size": 1.0})
    assert abs(float(ys[-1, 0])) < 1e-6


def test_output_times_batch_shape_and_backward_in_time():
    p = problems.exponential(rate=-0.5)
    y0 = torch.ones(3, 1, dtype=F64)
    t = torch.tensor([4.0, 2.0, 0.0], dtype=F64)
    ys = nb.odeint(p.func, y0 * math.exp(-2.0), t, method="sdirk2", rtol=1e-5, atol=1e-7)
    assert ys.shape == (3, 3, 1)
    assert torch.allclose(ys[-1], y0, atol=1e-3)


def test_jacobian_matches_the_analytic_one():
    a = torch.tensor([[-1.0, 2.0], [0.5, -3.0]], dtype=F64)
    y = torch.tensor([0.3, -0.2], dtype=F64)
    jac = jacobian(lambda t, v: a @ v + v**2, torch.tensor(0.0, dtype=F64), y)
    assert torch.allclose(jac, a + torch.diag(2 * y))


def test_newton_failure_with_a_fixed_step_is_a_clear_error_not_a_hang():
    # y = y0 + γh y² has no real solution when 4γh·y0 > 1: Newton cannot converge. Halving the step
    # goes on until y(t) = 1/(1 - t) grows too large near its blow-up at t = 1 for the smallest piece.
    with pytest.raises(nb.SolverError, match=r"could not take the fixed step 5 at t=0: Newton's iteration did "
                                             r"not converge .* at t=0\.9.* halving the step 8 times.*step_size"):
        nb.odeint(lambda t, y: y * y, torch.ones(1, dtype=F64), torch.tensor([0.0, 5.0], dtype=F64),
                  method="sdirk2", options={"step_size": 5.0})


def test_adaptive_solver_stops_with_an_error_at_a_blow_up():
    p = problems.blowup(t1=2.0)
    with pytest.raises(nb.SolverError, match=r"sdirk2 (step size underflowed|stopped after max_num_steps)"):
        nb.odeint(p.func, p.initial(), torch.tensor([0.0, 2.0], dtype=F64), method="sdirk2",
                  rtol=1e-6, atol=1e-6, options={"max_num_steps": 500})


def test_unknown_option_is_rejected():
    with pytest.raises(ValueError, match="unknown option.*'foo'.*sdirk2"):
        nb.odeint(lambda t, y: -y, torch.ones(1), torch.tensor([0.0, 1.0]), method="sdirk2", options={"foo": 1})
