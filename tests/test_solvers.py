"""nodebook.solvers against mathematics: closed-form solutions, convergence orders, error control,
dense output, cost, gradients, torchdiffeq parity, and every input error.

Everything runs in float64 unless a test is about float32, so that round-off never hides a method's
truncation error.
"""

import math
import re

import numpy as np
import pytest
import torch
import torchdiffeq
from torch import nn

import nodebook as nb
from nodebook import problems

F64 = torch.float64
FIXED = ("euler", "midpoint", "rk4", "rk38")
METHODS = (*FIXED, "dopri5")
ORDER = {"euler": 1, "midpoint": 2, "rk4": 4, "rk38": 4}
STAGES = {"euler": 1, "midpoint": 2, "rk4": 4, "rk38": 4}  # function evaluations per step, by definition

CLOSED_FORM = {
    "decay": problems.exponential(rate=-0.8, y0=2.0, t1=4.0),
    "harmonic": problems.harmonic(omega=1.0),
    "logistic": problems.logistic(rate=1.0, capacity=10.0, y0=0.5, t1=10.0),
}


def grid(p, n_steps, dtype=F64):
    """``n_steps + 1`` equally spaced output times over the problem's span (one step per interval)."""
    return p.times(n_steps + 1, dtype=dtype)


def scaled_error(ys, exact, tol):
    """Error in units of the tolerance the adaptive solver was asked for: ``|y - y*| / (tol + tol |y*|)``."""
    return float(((ys - exact).abs() / (tol + tol * exact.abs())).max())


def fitted_slope(xs, ys):
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def test_registry_holds_the_five_methods():
    assert set(nb.SOLVERS) - {"sdirk2"} == set(METHODS)  # the implicit one: tests/test_solvers_implicit.py
    assert [m for m in METHODS if nb.SOLVERS[m].adaptive] == ["dopri5"]
    for m in FIXED:
        assert nb.SOLVERS[m].order == ORDER[m]
        assert len(nb.SOLVERS[m].tableau.c) == STAGES[m]


# --------------------------------------------------------------------------------------------------
# Closed-form solutions and the definition of each step


# step counts (fixed) or tolerance (dopri5) and the error |y - y*| / (1 + |y*|) the method must stay under
ACCURACY = {"euler": (4096, 5e-3), "midpoint": (512, 5e-4), "rk4": (128, 1e-6), "rk38": (128, 1e-6),
            "dopri5": (1e-8, 1e-7)}


@pytest.mark.parametrize("name", CLOSED_FORM)
@pytest.mark.parametrize("method", METHODS)
def test_matches_closed_form_solution(method, name):
    p = CLOSED_FORM[name]
    setting, bound = ACCURACY[method]
    if method == "dopri5":
        t = grid(p, 50)
        ys = nb.odeint(p.func, p.initial(), t, method=method, rtol=setting, atol=setting)
    else:
        t = grid(p, setting)
        ys = nb.odeint(p.func, p.initial(), t, method=method)
    assert ys.shape == (len(t), len(p.y0))
    assert torch.equal(ys[0], p.initial())
    exact = p.exact(t)
    err = float(((ys - exact).abs() / (1 + exact.abs())).max())
    assert err < bound, f"{method} on {name}: max error {err:.2e} over the trajectory, expected < {bound:.0e}"


def test_default_method_is_dopri5_like_torchdiffeq():
    p = CLOSED_FORM["harmonic"]
    sol = nb.solve(p.func, p.initial(), grid(p, 4))
    assert sol.method == "dopri5" and sol.stats.n_accepted > 0
    assert torch.equal(nb.odeint(p.func, p.initial(), grid(p, 4)), sol.ys)


def test_one_step_is_the_textbook_formula():
    """One step on a nonlinear, time-dependent f equals each method's formula written out by hand."""

    def f(t, y):
        return torch.sin(t) * y**2 - y

    t0, h, y = torch.tensor(0.3, dtype=F64), 0.25, torch.tensor([0.7, -1.2], dtype=F64)
    k1 = f(t0, y)
    expected = {"euler": y + h * k1}
    expected["midpoint"] = y + h * f(t0 + h / 2, y + h / 2 * k1)
    k2 = f(t0 + h / 2, y + h / 2 * k1)
    k3 = f(t0 + h / 2, y + h / 2 * k2)
    k4 = f(t0 + h, y + h * k3)
    expected["rk4"] = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    k2 = f(t0 + h / 3, y + h / 3 * k1)
    k3 = f(t0 + 2 * h / 3, y + h * (-k1 / 3 + k2))
    k4 = f(t0 + h, y + h * (k1 - k2 + k3))
    expected["rk38"] = y + h / 8 * (k1 + 3 * k2 + 3 * k3 + k4)
    t = torch.tensor([0.3, 0.3 + h], dtype=F64)
    for m in FIXED:
        got = nb.odeint(f, y, t, method=m)[1]
        torch.testing.assert_close(got, expected[m], rtol=1e-15, atol=1e-15, msg=m)


# --------------------------------------------------------------------------------------------------
# Convergence order: the slope of log(error) against log(step)

# in the asymptotic range, and with errors well above float64 round-off
STEP_COUNTS = {"euler": [64, 128, 256, 512, 1024], "midpoint": [16, 32, 64, 128, 256],
               "rk4": [16, 32, 64, 128, 256], "rk38": [16, 32, 64, 128, 256]}


@pytest.mark.parametrize("name", CLOSED_FORM)
@pytest.mark.parametrize("method", FIXED)
def test_convergence_order_is_the_fitted_log_log_slope(method, name):
    p = CLOSED_FORM[name]
    hs, errs = [], []
    for n in STEP_COUNTS[method]:
        t = grid(p, n)
        ys = nb.odeint(p.func, p.initial(), t, method=method)
        hs.append((p.t1 - p.t0) / n)
        errs.append(float((ys[-1] - p.exact(t[-1])).abs().max()))
    assert min(errs) > 1e-12, "errors reached round-off; the fit would measure noise"
    slope = fitted_slope(hs, errs)
    assert slope == pytest.approx(ORDER[method], abs=0.3), (
        f"{method} on {name}: fitted order {slope:.2f}, expected {ORDER[method]} ± 0.3 (errors {errs})")


def test_step_size_option_gives_the_same_steps_as_an_output_grid():
    p = CLOSED_FORM["logistic"]
    on_grid = nb.odeint(p.func, p.initial(), grid(p, 80), method="rk4")
    with_option = nb.odeint(p.func, p.initial(), grid(p, 8), method="rk4", options={"step_size": 0.125})
    torch.testing.assert_close(with_option, on_grid[::10], rtol=1e-14, atol=1e-14)


def test_fixed_step_lands_on_output_times_between_grid_points():
    """Outputs off the step_size grid are stepped to, not interpolated: rk4 accuracy, not linear interp."""
    p = CLOSED_FORM["harmonic"]
    t = torch.tensor([0.0, 0.05, 0.333, 1.0, 2.71828, 3.0], dtype=F64)
    sol = nb.solve(p.func, p.initial(), t, method="rk4", options={"step_size": 0.1})
    assert float((sol.ys - p.exact(t)).abs().max()) < 1e-5  # linear interpolation would be ~1e-3
    # each output interval in the fewest equal steps of at most 0.1: 1 + 3 + 7 + 18 + 3
    assert sol.stats.n_accepted == 32


def test_fixed_step_returns_output_times_closer_than_round_off_of_the_grid():
    # Regression: make_grid merged the output 0.5 + 1e-12 into 0.5 and lost an output.
    p = CLOSED_FORM["decay"]
    t = torch.tensor([0.0, 0.5, 0.5 + 1e-12, 1.0], dtype=F64)
    ys = nb.odeint(p.func, p.initial(), t, method="rk4", options={"step_size": 0.1})
    assert ys.shape == (4, 1)
    torch.testing.assert_close(ys, p.exact(t), rtol=1e-6, atol=0)


# --------------------------------------------------------------------------------------------------
# dopri5: error control and dense output

TOLERANCES = [1e-3, 1e-5, 1e-7, 1e-9, 1e-11]


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_dopri5_meets_its_tolerance(name):
    """Global error at the step ends stays within a small multiple of tol across eight decades."""
    p = CLOSED_FORM[name]
    errs = []
    for tol in TOLERANCES:
        first = nb.solve(p.func, p.initial(), grid(p, 1), rtol=tol, atol=tol)
        step_ends = torch.tensor([s for s, _ in first.stats.accepted] + [p.t1], dtype=F64)
        ys = nb.odeint(p.func, p.initial(), step_ends, rtol=tol, atol=tol)
        errs.append(scaled_error(ys, p.exact(step_ends), tol))
    assert max(errs) < 5, f"{name}: error / tol at the step ends = {errs} for tol = {TOLERANCES}"


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_dopri5_dense_output_is_accurate_to_the_tolerance(name):
    """Many output times between steps are interpolated within a small multiple of tol, like the steps."""
    p = CLOSED_FORM[name]
    for tol in TOLERANCES[:-1]:
        t = grid(p, 400)
        ys = nb.odeint(p.func, p.initial(), t, rtol=tol, atol=tol)
        # The interpolant is one order below the solution it interpolates: on the logistic curve its error
        # grows from ~1.5 tol at tol=1e-3 to ~9 tol at 1e-9 while the step ends stay below tol, hence the
        # looser bound than at the step ends (its local order is checked on its own below).
        assert scaled_error(ys, p.exact(t), tol) < 20, f"{name} at tol={tol:g}"


@pytest.mark.parametrize("name", CLOSED_FORM)
def test_dopri5_many_output_times_do_not_change_the_steps(name):
    p, tol = CLOSED_FORM[name], 1e-6
    few = nb.solve(p.func, p.initial(), grid(p, 2), rtol=tol, atol=tol)
    many = nb.solve(p.func, p.initial(), grid(p, 200), rtol=tol, atol=tol)
    assert many.stats.accepted == few.stats.accepted and many.stats.nfe == few.stats.nfe
    assert torch.equal(many.ys[-1], few.ys[-1])
    # both at the middle of the span (linspace may place it an ulp apart)
    torch.testing.assert_close(many.ys[100], few.ys[1], rtol=1e-14, atol=1e-14)
    # each interpolated value agrees with a solve that stops exactly at that time
    for k in (13, 77, 151):
        stop = nb.odeint(p.func, p.initial(), many.t[[0, k]], rtol=tol, atol=tol)[-1]
        assert scaled_error(many.ys[k], stop, tol) < 20


@pytest.mark.parametrize("theta", [0.3, 0.5, 0.8])
def test_dopri5_dense_output_has_local_order_five(theta):
    """Within one step of size h, the interpolant's error at t0 + theta h shrinks like h^5 (4th-order)."""

    def f(t, y):  # nonlinear and time-dependent, so no special structure helps the interpolant
        return torch.cos(t) * y - y**3

    hs = [0.1 / 2**k for k in range(4)]  # errors from ~1e-9 down to ~1e-14, clear of round-off
    errs = []
    for h in hs:
        t = torch.tensor([0.0, theta * h, h], dtype=F64)
        sol = nb.solve(f, torch.tensor([1.0], dtype=F64), t, rtol=1.0, atol=1.0, options={"first_step": h})
        assert (sol.stats.n_accepted, sol.stats.n_rejected) == (1, 0)
        ref = nb.odeint(f, torch.tensor([1.0], dtype=F64), t[:2], method="rk4",
                        options={"step_size": theta * h / 64})[-1]
        errs.append(float((sol.ys[1] - ref).abs().max()))
    assert fitted_slope(hs, errs) == pytest.approx(5, abs=0.3), errs


def test_dopri5_tighter_tolerance_costs_more_and_errs_less():
    p = CLOSED_FORM["harmonic"]
    nfes, errs = [], []
    for tol in TOLERANCES:
        sol = nb.solve(p.func, p.initial(), grid(p, 1), rtol=tol, atol=tol)
        nfes.append(sol.stats.nfe)
        errs.append(float((sol.ys[-1] - p.exact(grid(p, 1))[-1]).abs().max()))
    assert nfes == sorted(nfes) and errs == sorted(errs, reverse=True)
    # a fifth-order method: NFE grows like tol^(-1/5), i.e. x 10^(1/5)^2 ≈ 2.5 per two decades
    assert fitted_slope(TOLERANCES, nfes) == pytest.approx(-1 / 5, abs=0.05)


# --------------------------------------------------------------------------------------------------
# Cost: function evaluations


@pytest.mark.parametrize("method", FIXED)
def test_fixed_step_nfe_is_stages_times_steps(method):
    p = CLOSED_FORM["logistic"]
    counter = nb.NFECounter(p.func)
    sol = nb.solve(counter, p.initial(), grid(p, 5), method=method, options={"step_size": 0.25})
    assert sol.stats.n_accepted == 40
    assert sol.stats.nfe == counter.nfe == STAGES[method] * 40


def test_dopri5_nfe_is_two_plus_six_per_attempted_step():
    # first_step far too large forces rejections, so the count covers them too
    p = CLOSED_FORM["harmonic"]
    counter = nb.NFECounter(p.func)
    sol = nb.solve(counter, p.initial(), grid(p, 3), rtol=1e-8, atol=1e-8, options={"first_step": 3.0})
    st = sol.stats
    assert st.n_rejected > 0
    # f(t0, y0) once, the first-step guess skipped here, then 6 new stages per trial step (FSAL)
    assert st.nfe == counter.nfe == 1 + 6 * (st.n_accepted + st.n_rejected)

    counter.reset()
    sol = nb.solve(counter, p.initial(), grid(p, 3), rtol=1e-3, atol=1e-6)
    st = sol.stats
    # + 1 for the automatic first-step guess (Hairer's heuristic evaluates f once more)
    assert st.nfe == counter.nfe == 2 + 6 * (st.n_accepted + st.n_rejected)
    assert len(st.accepted) == st.n_accepted and len(st.rejected) == st.n_rejected
    assert math.fsum(dt for _, dt in st.accepted) == pytest.approx(p.t1 - p.t0, rel=1e-12)
    assert st.as_dict() == {"nfe": st.nfe, "n_accepted": st.n_accepted, "n_rejected": st.n_rejected}


# --------------------------------------------------------------------------------------------------
# Direction, batches, dtypes, shapes


@pytest.mark.parametrize("method", METHODS)
def test_backward_in_time(method):
    p = CLOSED_FORM["decay"]
    t = torch.linspace(p.t1, p.t0, 65, dtype=F64)  # decreasing: integrate the decay backwards (growth)
    kw, bound = {"euler": ({"options": {"step_size": 1e-3}}, 5e-3),
                 "midpoint": ({"options": {"step_size": 1 / 64}}, 2e-4),
                 "rk4": ({}, 1e-6), "rk38": ({}, 1e-6),
                 "dopri5": ({"rtol": 1e-9, "atol": 1e-9}, 1e-7)}[method]
    ys = nb.odeint(p.func, p.exact(t[0]), t, method=method, **kw)
    rel = float(((ys - p.exact(t)) / p.exact(t)).abs().max())
    assert rel < bound


@pytest.mark.parametrize("method", METHODS)
def test_backward_then_forward_returns_to_the_start(method):
    p = CLOSED_FORM["harmonic"]
    kw, bound = {"euler": ({"options": {"step_size": 1e-3}}, 5e-3),
                 "midpoint": ({"options": {"step_size": 1e-2}}, 1e-4),
                 "rk4": ({"options": {"step_size": 1e-2}}, 1e-8), "rk38": ({"options": {"step_size": 1e-2}}, 1e-8),
                 "dopri5": ({"rtol": 1e-10, "atol": 1e-10}, 1e-8)}[method]
    t = torch.tensor([0.0, -2.0], dtype=F64)
    y_back = nb.odeint(p.func, p.initial(), t, method=method, **kw)[-1]
    torch.testing.assert_close(y_back, p.exact(t)[-1], rtol=0, atol=bound)
    y_again = nb.odeint(p.func, y_back, t.flip(0), method=method, **kw)[-1]
    torch.testing.assert_close(y_again, p.initial(), rtol=0, atol=2 * bound)


@pytest.mark.parametrize("method", METHODS)
def test_batched_states_equal_solving_each_row(method):
    torch.manual_seed(0)
    A = torch.randn(3, 3, dtype=F64) / 2

    def f(t, y):  # y: (..., 3), nonlinear and time-dependent
        return torch.tanh(y @ A.T) * torch.cos(t)

    y0 = torch.randn(6, 3, dtype=F64)
    t = torch.linspace(0, 2, 5, dtype=F64)
    kw = {"rtol": 1e-8, "atol": 1e-8} if method == "dopri5" else {"options": {"step_size": 0.05}}
    batched = nb.odeint(f, y0, t, method=method, **kw)
    assert batched.shape == (5, 6, 3)
    rows = torch.stack([nb.odeint(f, y0[i], t, method=method, **kw) for i in range(6)], dim=1)
    if method == "dopri5":
        # The error norm is taken over the whole batch, so the steps differ from row-by-row solves;
        # both are within tolerance of the true solution.
        assert scaled_error(batched, rows, 1e-8) < 10
    else:
        torch.testing.assert_close(batched, rows, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("method", METHODS)
def test_dtype_is_kept_and_float32_is_accurate_to_its_precision(method, dtype):
    p = CLOSED_FORM["harmonic"]
    t = p.times(9, dtype=dtype)
    kw = {"rtol": 1e-5, "atol": 1e-5} if method == "dopri5" else {"options": {"step_size": 2 * math.pi / 256}}
    if method == "euler":
        kw = {"options": {"step_size": 2 * math.pi / 4096}}
    ys = nb.odeint(p.func, p.initial(dtype), t, method=method, **kw)
    assert ys.dtype == dtype
    ref = nb.odeint(p.func, p.initial(F64), t.double(), method=method, **kw)
    # float32 differs from float64 by accumulated round-off only (a few eps per step)
    assert float((ys.double() - ref).abs().max()) < (1e-3 if dtype == torch.float32 else 1e-15)


def test_float32_dopri5_with_default_tolerances_finishes():
    # the default rtol=1e-7 is below float32's eps: the solver must still finish, not stall
    p = CLOSED_FORM["harmonic"]
    ys = nb.odeint(p.func, p.initial(torch.float32), p.times(5, torch.float32))
    assert ys.dtype == torch.float32
    assert float((ys - p.exact(p.times(5, torch.float32))).abs().max()) < 1e-5


@pytest.mark.parametrize("shape", [(), (3,), (4, 2), (2, 3, 4)])
@pytest.mark.parametrize("method", METHODS)
def test_output_shape_is_len_t_by_state_shape(method, shape):
    y0 = torch.ones(shape, dtype=F64)
    t = torch.linspace(0, 1, 7, dtype=F64)
    ys = nb.odeint(lambda t, y: -y, y0, t, method=method)
    assert ys.shape == (7, *shape) and ys.dtype == F64
    # every component follows the same scalar solution
    scalar = nb.odeint(lambda t, y: -y, torch.ones((), dtype=F64), t, method=method)
    torch.testing.assert_close(ys, scalar.reshape(7, *[1] * len(shape)).expand(7, *shape), rtol=1e-6, atol=0)


# --------------------------------------------------------------------------------------------------
# Agreement with torchdiffeq

# nodebook name -> torchdiffeq name of the same Butcher tableau (torchdiffeq's "rk4" is Kutta's 3/8 rule)
SAME_METHOD = {"euler": "euler", "midpoint": "midpoint", "rk38": "rk4"}


def mlp_dynamics(dim=4, width=16, seed=0):
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(dim, width), nn.Tanh(), nn.Linear(width, dim)).double()
    return lambda t, y: net(y)


@pytest.mark.parametrize("method", SAME_METHOD)
def test_fixed_step_matches_torchdiffeq_to_round_off(method):
    f = mlp_dynamics()
    y0 = torch.randn(8, 4, dtype=F64)
    t = torch.linspace(0, 2, 9, dtype=F64)  # multiples of 1/4: exactly on the step_size = 1/16 grid
    for options in (None, {"step_size": 1 / 16}):
        ours = nb.odeint(f, y0, t, method=method, options=options)
        theirs = torchdiffeq.odeint(f, y0, t, method=SAME_METHOD[method], options=options)
        torch.testing.assert_close(ours, theirs, rtol=1e-13, atol=1e-13)


def test_rk4_is_the_classical_rule_not_torchdiffeqs_rk4():
    # Both are fourth order, so they agree to truncation error but not to round-off.
    f = mlp_dynamics()
    y0 = torch.randn(8, 4, dtype=F64)
    t = torch.linspace(0, 2, 9, dtype=F64)
    with torch.no_grad():
        ours = nb.odeint(f, y0, t, method="rk4")
        theirs = torchdiffeq.odeint(f, y0, t, method="rk4")
    assert 1e-10 < float((ours - theirs).abs().max()) < 1e-3


@pytest.mark.parametrize("name", CLOSED_FORM)
@pytest.mark.parametrize("tol", [1e-5, 1e-7, 1e-9])
def test_dopri5_matches_torchdiffeq_within_tolerance_and_nfe(name, tol):
    # From tol=1e-5 on, each solve takes 15+ steps; looser than that, a single rejected step (6 NFE) in
    # one library and not the other is already a 15% difference.
    p = CLOSED_FORM[name]
    t = grid(p, 20)
    ours = nb.solve(p.func, p.initial(), t, rtol=tol, atol=tol)
    counter = nb.NFECounter(p.func)
    theirs = torchdiffeq.odeint(counter, p.initial(), t, method="dopri5", rtol=tol, atol=tol)
    assert scaled_error(ours.ys, theirs, tol) < 20
    # Standard Dormand–Prince pair here, Shampine's in torchdiffeq: close, not equal, step counts.
    assert abs(ours.stats.nfe - counter.nfe) <= 0.15 * counter.nfe, (ours.stats.nfe, counter.nfe)


def test_dopri5_nfe_difference_to_torchdiffeq_is_its_error_estimate_and_its_no_shrink_rule(monkeypatch):
    """torchdiffeq's embedded 4th-order weights (Shampine's) give an error estimate that is exactly 2/3 of
    the standard Dormand–Prince one, coefficient by coefficient, and torchdiffeq never shrinks the step
    after an accepted one. Everything else in the step-size control is the same: with the estimate scaled
    by 2/3 and that rule, nodebook takes exactly torchdiffeq's NFE. Unscaled, it takes about
    1.5^(1/5) - 1 ≈ 8% more evaluations at equal tolerance."""
    from fractions import Fraction as Fr

    from nodebook.solvers import dopri5

    b5 = [Fr(35, 384), 0, Fr(500, 1113), Fr(125, 192), Fr(-2187, 6784), Fr(11, 84), 0]
    b4_standard = [Fr(5179, 57600), 0, Fr(7571, 16695), Fr(393, 640), Fr(-92097, 339200), Fr(187, 2100), Fr(1, 40)]
    b4_shampine = [Fr(1951, 21600), 0, Fr(22642, 50085), Fr(451, 720), Fr(-12231, 42400), Fr(649, 6300), Fr(1, 60)]
    for a5, std, sha, ours in zip(b5, b4_standard, b4_shampine, dopri5.ERROR, strict=True):
        assert a5 - sha == Fr(2, 3) * (a5 - std)
        assert ours == pytest.approx(float(a5 - std), rel=1e-15, abs=0)
    scaled = tuple(2 / 3 * e for e in dopri5.ERROR)
    shrinking = dopri5.Dopri5.step_factor

    def never_shrink_after_acceptance(self, r):
        return max(1.0, shrinking(self, r)) if 0 < r <= 1 else shrinking(self, r)

    for name, p in CLOSED_FORM.items():
        for tol in (1e-4, 1e-6, 1e-8):
            counter = nb.NFECounter(p.func)
            torchdiffeq.odeint(counter, p.initial(), grid(p, 4), method="dopri5", rtol=tol, atol=tol)
            with monkeypatch.context() as m:
                m.setattr(dopri5, "ERROR", scaled)
                m.setattr(dopri5.Dopri5, "step_factor", never_shrink_after_acceptance)
                assert nb.solve(p.func, p.initial(), grid(p, 4), rtol=tol, atol=tol).stats.nfe == counter.nfe
            # the same through the public API: 1.5 tol, up to the first-step guess (which also reads tol)
            looser = nb.solve(p.func, p.initial(), grid(p, 4), rtol=1.5 * tol, atol=1.5 * tol).stats.nfe
            assert abs(looser - counter.nfe) <= 2 * 6, (name, tol)


# --------------------------------------------------------------------------------------------------
# Gradients through the solver


class Linear2(nn.Module):
    """A small nonlinear dynamics module: tanh(W y + b) - y/2."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(1)
        self.lin = nn.Linear(2, 2).double()

    def forward(self, t, y):
        return torch.tanh(self.lin(y)) - 0.5 * y


def frozen_dopri5(h):
    """dopri5 with a fixed first step, no growth on acceptance (ifactor=1) and a tolerance no step fails:
    the step sequence does not depend on the inputs, so finite differences see the same map autograd does."""
    return {"rtol": 1e-2, "atol": 1e-2, "options": {"first_step": h, "ifactor": 1.0}}


SOLVE_FOR_GRAD = {"rk4": {"method": "rk4", "options": {"step_size": 0.1}}, "dopri5": frozen_dopri5(0.15)}


@pytest.mark.parametrize("method", SOLVE_FOR_GRAD)
def test_gradcheck_wrt_y0(method):
    module = Linear2()
    t = torch.tensor([0.0, 0.35, 0.8, 1.2], dtype=F64)  # dopri5: 0.35 and 0.8 are dense outputs
    y0 = torch.tensor([[0.3, -0.7], [1.1, 0.2]], dtype=F64, requires_grad=True)
    kw = SOLVE_FOR_GRAD[method]
    if method == "dopri5":
        st = nb.solve(module, y0, t, **kw).stats
        assert st.n_rejected == 0 and len({round(abs(h), 12) for _, h in st.accepted[:-1]}) == 1
    assert torch.autograd.gradcheck(lambda y: nb.odeint(module, y, t, **kw), (y0,))


@pytest.mark.parametrize("method", SOLVE_FOR_GRAD)
def test_gradcheck_wrt_module_parameters(method):
    module = Linear2()
    t = torch.tensor([0.0, 0.6, 1.2], dtype=F64)
    y0 = torch.tensor([0.3, -0.7], dtype=F64)
    names = [n for n, _ in module.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_(True) for p in module.parameters())
    kw = SOLVE_FOR_GRAD[method]

    def run(*ps):
        def f(t, y):
            return torch.func.functional_call(module, dict(zip(names, ps, strict=True)), (t, y))
        return nb.odeint(f, y0, t, **kw)

    assert torch.autograd.gradcheck(run, params)


def test_gradients_reach_nn_module_parameters():
    module = Linear2()
    ys = nb.odeint(module, torch.tensor([0.3, -0.7], dtype=F64), torch.tensor([0.0, 1.0], dtype=F64))
    ys[-1].pow(2).sum().backward()
    assert all(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in module.parameters())


@pytest.mark.parametrize("method", ["rk4", "rk38", "dopri5"])
def test_gradient_of_exponential_growth_is_exp_rT(method):
    """y' = r y: dy(T)/dy0 = e^{rT} and dy(T)/dr = y0 T e^{rT}, with r a parameter of an nn.Module."""

    class Growth(nn.Module):
        def __init__(self):
            super().__init__()
            self.r = nn.Parameter(torch.tensor(0.7, dtype=F64))

        def forward(self, t, y):
            return self.r * y

    growth, T, y0_value = Growth(), 2.0, 1.5
    y0 = torch.tensor([y0_value], dtype=F64, requires_grad=True)
    kw = {"rtol": 1e-11, "atol": 1e-11} if method == "dopri5" else {"options": {"step_size": 0.01}}
    yT = nb.odeint(growth, y0, torch.tensor([0.0, T], dtype=F64), method=method, **kw)[-1, 0]
    dy0, dr = torch.autograd.grad(yT, (y0, growth.r))
    assert float(dy0) == pytest.approx(math.exp(0.7 * T), rel=1e-9)
    assert float(dr) == pytest.approx(y0_value * T * math.exp(0.7 * T), rel=1e-8)


def test_adaptive_dopri5_gradient_matches_exact_sensitivity_and_finite_differences():
    """With the full step-size controller on: the step sizes depend on y0 but are not differentiated, so
    autograd gives the derivative of the solver's map at frozen steps. It must agree with the true
    sensitivity and with central differences (which do move the steps) to within the tolerance."""
    p, tol, T = CLOSED_FORM["logistic"], 1e-10, 3.0
    r, K, y0v = 1.0, 10.0, 0.5
    t = torch.tensor([0.0, T], dtype=F64)
    y0 = torch.tensor([y0v], dtype=F64, requires_grad=True)
    yT = nb.odeint(p.func, y0, t, rtol=tol, atol=tol)[-1, 0]
    (grad,) = torch.autograd.grad(yT, y0)
    e = math.exp(-r * T)
    exact = K * (K / y0v**2) * e / (1 + (K / y0v - 1) * e) ** 2  # d/dy0 of K / (1 + (K/y0 - 1) e^{-rT})
    assert float(grad) == pytest.approx(exact, rel=1e-7)
    eps = 1e-4
    with torch.no_grad():
        plus = nb.odeint(p.func, y0 + eps, t, rtol=tol, atol=tol)[-1, 0]
        minus = nb.odeint(p.func, y0 - eps, t, rtol=tol, atol=tol)[-1, 0]
    assert float(grad) == pytest.approx(float(plus - minus) / (2 * eps), rel=1e-6)


# --------------------------------------------------------------------------------------------------
# Input errors: each says what was expected and what was got

def decay(t, y):
    return -y


Y0 = torch.tensor([1.0, 2.0], dtype=F64)
T = torch.tensor([0.0, 0.5, 1.0], dtype=F64)


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("t", "exc", "match"), [
    (torch.tensor([0.0, 0.3, 0.7, 0.5, 1.0]), ValueError,
     r"t must be strictly increasing or strictly decreasing; got t\[3\]=0\.5 after t\[2\]=0\.7"),
    (torch.tensor([1.0, 0.5, 0.7]), ValueError, r"strictly increasing or strictly decreasing; got t\[2\]=0\.7"),
    (torch.tensor([0.0, 0.5, 0.5, 1.0]), ValueError, r"got t\[2\]=0\.5 after t\[1\]=0\.5"),
    (torch.tensor([]), ValueError, r"t must hold at least 1 time point \(the start\); got 0"),
    (torch.tensor([[0.0, 1.0], [2.0, 3.0]]), ValueError, r"t must be 1-D; got shape \(2, 2\)"),
    (torch.tensor(1.0), ValueError, r"t must be 1-D; got shape \(\)"),
    ([0.0, 1.0], TypeError, r"t must be a 1-D torch.Tensor of output times; got list"),
    (torch.tensor([0.0, float("nan")]), ValueError, r"t must be finite; got t\[1\]=nan"),
])
def test_bad_t(t, exc, match):
    with pytest.raises(exc, match=match):
        nb.odeint(decay, Y0, t.double() if isinstance(t, torch.Tensor) else t)


@pytest.mark.timeout(10)
def test_unknown_method_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown method 'rk45'; known methods: dopri5, euler, midpoint, rk38, rk4"):
        nb.odeint(decay, Y0, T, method="rk45")


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("kwargs", "exc", "match"), [
    ({"method": "rk4", "options": {"step_size": 0.0}}, ValueError, r"options\['step_size'\] must be .*> 0; got 0"),
    ({"method": "euler", "options": {"step_size": -0.1}}, ValueError, r"step_size'\] must be .*> 0; got -0\.1"),
    ({"method": "dopri5", "options": {"first_step": 0}}, ValueError, r"first_step'\] must be .*> 0; got 0"),
    ({"rtol": 0.0}, ValueError, r"rtol must be finite and > 0; got 0"),
    ({"rtol": -1e-3}, ValueError, r"rtol must be finite and > 0; got -0\.001"),
    ({"atol": -1e-9}, ValueError, r"atol must be finite and >= 0; got -1e-09"),
    ({"rtol": "1e-3"}, TypeError, r"rtol must be a number; got str"),
    ({"method": "rk4", "rtol": 1e-3}, ValueError, r"rtol/atol control adaptive methods only; 'rk4' is fixed-step"),
    ({"method": "midpoint", "atol": 1e-3}, ValueError, r"'midpoint' is fixed-step: set options=\{'step_size'"),
    ({"method": "rk4", "options": {"stepsize": 0.1}}, ValueError,
     r"unknown option\(s\) 'stepsize' for method 'rk4'; known options: step_size"),
    ({"options": {"step_size": 0.1}}, ValueError, r"unknown option\(s\) 'step_size' for method 'dopri5'; known "
                                                  r"options: max_num_steps, first_step"),
    ({"options": {"max_num_steps": 0}}, ValueError, r"max_num_steps'\] must be a positive int; got 0"),
    ({"options": [("step_size", 0.1)]}, TypeError, r"options must be a dict; got list"),
])
def test_bad_method_settings(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        nb.odeint(decay, Y0, T, **kwargs)


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("y0", "exc", "match"), [
    ([1.0, 2.0], TypeError, r"y0 must be a torch.Tensor or a tuple of tensors; got a list"),
    ((Y0, [1.0]), TypeError, r"y0\[1\] must be a torch.Tensor or a tuple of tensors; got a list"),
    ((), ValueError, r"y0 must hold at least one tensor; got an empty tuple"),
    ((Y0, Y0.float()), TypeError, r"one dtype and device; got y0\[0\]: torch.float64 .* y0\[1\]: torch.float32"),
    (1.0, TypeError, r"y0 must be a torch.Tensor or a tuple of tensors; got float"),
    (torch.ones(2, dtype=torch.float16), TypeError, r"y0 must be float32 or float64; got torch.float16, too coarse"),
    (torch.ones(2, dtype=torch.bfloat16), TypeError, r"y0 must be float32 or float64; got torch.bfloat16"),
    ((Y0, torch.ones(2, dtype=torch.float16)), TypeError, r"y0\[1\] must be float32 or float64; got torch.float16"),
    (torch.tensor([1, 2]), TypeError, r"y0 must have a floating-point dtype .*; got torch.int64"),
    (torch.tensor([1.0, float("nan")], dtype=F64), ValueError, r"y0 must be finite; got nan at index \(1,\)"),
    (torch.tensor([[1.0, 0.0], [float("inf"), 1.0]], dtype=F64), ValueError,
     r"y0 must be finite; got inf at index \(1, 0\)"),
])
def test_bad_y0(y0, exc, match):
    with pytest.raises(exc, match=match):
        nb.odeint(decay, y0, T)


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("func", "exc", "match"), [
    ("decay", TypeError, r"func must be callable as func\(t, y\); got str"),
    (lambda t, y: y.sum(), ValueError, r"func\(t, y\) must return a tensor of the same shape as y \(2,\); "
                                       r"got shape \(\)"),
    (lambda t, y: -y.float(), TypeError, r"func\(t, y\) must return the dtype of y \(torch.float64\); "
                                         r"got torch.float32"),
    (lambda t, y: [0.0, 0.0], TypeError, r"func\(t, y\) must return a torch.Tensor shaped like y; got list"),
    (lambda t, y: y * float("nan"), ValueError, r"func\(t, y\) returned NaN or inf at t=0"),
])
@pytest.mark.parametrize("method", ["rk4", "dopri5"])
def test_bad_func(func, exc, match, method):
    with pytest.raises(exc, match=match):
        nb.odeint(func, Y0, T, method=method)


@pytest.mark.timeout(10)
def test_mixed_devices():
    # There is one real device here; "meta" tensors stand in for a second one.
    with pytest.raises(ValueError, match=r"t and y0 must be on the same device; got t on meta and y0 on cpu"):
        nb.odeint(decay, Y0, torch.tensor([0.0, 1.0], dtype=F64, device="meta"))
    with pytest.raises(ValueError, match=r"func\(t, y\) must return a tensor on y's device \(cpu\); got meta"):
        nb.odeint(lambda t, y: torch.empty_like(y, device="meta"), Y0, T)


@pytest.mark.timeout(10)
def test_step_size_underflow_on_a_finite_time_blow_up():
    p = problems.blowup(t1=2.0)  # y' = y^2, y(0) = 1: y = 1 / (1 - t) escapes at t = 1
    with pytest.raises(nb.SolverError, match=r"step size underflowed .* at t=1 .*blow up near t=1") as info:
        nb.odeint(p.func, p.initial(), torch.tensor([0.0, 2.0], dtype=F64))
    assert info.value.t == pytest.approx(1.0, abs=1e-3)
    assert info.value.stats.n_rejected > 0


@pytest.mark.timeout(10)
def test_max_num_steps_on_a_stiff_problem():
    p = problems.stiff_relaxation(1e6)
    with pytest.raises(nb.SolverError, match=r"max_num_steps=500 steps at t=\S+ .*stiff.*implicit") as info:
        nb.odeint(p.func, p.initial(), torch.tensor([0.0, 2.0], dtype=F64), options={"max_num_steps": 500})
    err = info.value
    assert 0 < err.t < 2.0 and f"t={err.t:.6g}" in str(err)
    assert err.stats.n_accepted + err.stats.n_rejected == 500


def nan_after_half(t, y):
    return -y if float(t) <= 0.5 else y * float("nan")


@pytest.mark.timeout(10)
def test_dopri5_stops_when_func_returns_nan_later():
    with pytest.raises(nb.SolverError, match=r"at t=0\.5 .*func returned NaN or inf") as info:
        nb.odeint(nan_after_half, Y0, T)
    assert info.value.t == pytest.approx(0.5, abs=1e-9)


@pytest.mark.timeout(10)
@pytest.mark.parametrize("method", FIXED)
def test_fixed_step_warns_when_the_solution_is_not_finite(method):
    # Euler only evaluates f at the start of each step, so its step from 0.5 to 0.75 is still finite;
    # every other method samples f inside (0.5, 0.75] and turns NaN one output earlier.
    first_bad = "t=1 on (output 4 of 5)" if method == "euler" else "t=0.75 on (output 3 of 5)"
    with pytest.warns(RuntimeWarning, match=rf"the {method} solution is not finite from {re.escape(first_bad)}"):
        nb.odeint(nan_after_half, Y0, torch.linspace(0, 1, 5, dtype=F64), method=method)
    p = problems.stiff_relaxation(1e4)  # k h = 100: far outside every explicit method's stability region
    with pytest.warns(RuntimeWarning, match="step is probably too large"):
        nb.odeint(p.func, p.initial(), p.times(3), method=method, options={"step_size": 0.01})
