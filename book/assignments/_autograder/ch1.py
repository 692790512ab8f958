"""Hidden checks of Assignment 1 (ODEs and solvers).

Values on fixed and per-run random inputs; shipped only in the autograder zip, never installed.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from nodebook import problems
from nodebook.grading._verdict import CheckFailed, as_number, as_tensor, call, close_number, close_tensor, order_near
from nodebook.measure import fit_order

F64 = torch.float64


def check_euler_by_hand(y_euler: float, error: float) -> tuple[float, float]:
    """Exercise 1.1: two Euler steps of ``h = 0.5`` on ``y' = t - y``, ``y(0) = 1``; the value at 1 and its error."""
    exact_y = 1.0 - 1.0 + 2.0 * math.exp(-1.0)  # y(t) = t - 1 + 2 e^{-t}
    y = close_number(y_euler, 0.5, what="Euler's y(1)", rel_tol=1e-3,
                     hint="y_{n+1} = y_n + h f(t_n, y_n) with f(t, y) = t - y; the second step starts where "
                          "the first ended.")
    e = close_number(error, abs(exact_y - 0.5), what="the error |y_Euler - y(1)|", rel_tol=1e-3,
                     hint="the exact solution is y(t) = t - 1 + 2 e^{-t}; take the absolute difference.")
    return y, e


def check_fitted_order(fitted_order) -> float:
    """Exercise 1.2: ``fitted_order(hs, errors)`` returns the least-squares slope of log(error) on log(h)."""
    rng = np.random.default_rng(7)
    worst = 0.0
    for p, c in ((1.0, 3.0), (2.0, 0.4), (4.0, 25.0), (2.7, 1.0)):
        hs = [2.0**-k for k in range(3, 9)]
        errs = [c * h**p * math.exp(rng.normal(0.0, 0.05)) for h in hs]
        got = as_number(call(fitted_order, list(hs), list(errs), what="fitted_order(hs, errors)"),
                        "fitted_order(hs, errors)")
        want = float(np.polyfit(np.log(hs), np.log(errs), 1)[0])
        if not math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9):
            direction = "too large" if got > want else "too small"
            raise CheckFailed(f"fitted_order returned {got:.4g} for one test set of errors, which is {direction}. "
                              "Hint: fit a straight line to (log h, log error) over all points (least squares); "
                              "the slope is the order.")
        worst = max(worst, abs(got - want))
    print("✓ fitted_order agrees with a least-squares fit on four test sets")
    return worst


def _one_step(step, what: str) -> torch.Tensor:
    """One step of the learner's method on a nonlinear, time-dependent scalar problem."""
    y = torch.tensor([0.8], dtype=F64)
    out = call(step, lambda t, y: torch.sin(t) * y + y**2, torch.tensor(0.3, dtype=F64), y, 0.2, what=what)
    as_tensor(out, (1,), f"{what} (one step from y = [0.8])")
    return out  # its own dtype: close_tensor allows float32's precision for a float32 answer


def _order(step, what: str) -> float:
    prob = problems.harmonic()
    y0 = prob.initial(F64)
    exact = prob.exact(torch.tensor([prob.t1], dtype=F64))[-1]
    hs, errs = [], []
    for n in (32, 64, 128, 256):
        h = (prob.t1 - prob.t0) / n
        t, y = torch.tensor(prob.t0, dtype=F64), y0
        for _ in range(n):
            y = as_tensor(call(step, prob.func, t, y, h, what=what), tuple(y0.shape), f"{what} on a 2-d state")
            t = t + h
        hs.append(h)
        errs.append(float((y - exact).abs().max()))
    return fit_order(hs, errs, finest=None)


def _stage_value(k_weights, t_off, f, t, y, h):
    """A reference explicit RK step from its tableau (used by the checks only)."""
    ks = []
    for a_row, c in zip(k_weights["a"], t_off, strict=True):
        ks.append(f(t + c * h, y + h * sum((a * k for a, k in zip(a_row, ks, strict=False)), torch.zeros_like(y))))
    return y + h * sum(b * k for b, k in zip(k_weights["b"], ks, strict=True))


def _check_rk(step, tableau, c, order: int, name: str) -> float:
    what = f"{name}(f, t, y, h)"
    got = _one_step(step, what)
    y = torch.tensor([0.8], dtype=F64)
    want = _stage_value(tableau, c, lambda t, y: torch.sin(t) * y + y**2, torch.tensor(0.3, dtype=F64), y, 0.2)
    close_tensor(got, want, what=f"one step of {name}", rel_tol=1e-10,
                 hint="evaluate each stage at the time and state the formula gives, then combine with its weights.")
    return order_near(_order(step, what), order, what=name,
                      hint="the one-step value is right on a scalar problem: check it also works on a 2-d state.")


def check_ralston(ralston_step) -> float:
    """Exercise 1.3: Ralston's second-order method, checked on one step and by its order of convergence."""
    return _check_rk(ralston_step, {"a": [[], [2 / 3]], "b": [0.25, 0.75]}, [0.0, 2 / 3], 2, "ralston_step")


def check_kutta3(kutta3_step) -> float:
    """Exercise 1.4: Kutta's third-order method, checked on one step and by its order of convergence."""
    tableau = {"a": [[], [0.5], [-1.0, 2.0]], "b": [1 / 6, 4 / 6, 1 / 6]}
    return _check_rk(kutta3_step, tableau, [0.0, 0.5, 1.0], 3, "kutta3_step")


def _rk4_boundary() -> float:
    """Where RK4's stability polynomial crosses -1 on the negative real axis (bisection)."""
    def r(x):
        return 1 + x + x**2 / 2 + x**3 / 6 + x**4 / 24

    lo, hi = 2.0, 3.0  # |r(-2)| < 1 < |r(-3)|
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if abs(r(-mid)) <= 1 else (lo, mid)
    return lo


def check_rk4_stability(h_max: float, rate: float = 10.0) -> float:
    """Exercise 1.5: the largest step for which classical RK4 on ``y' = -rate · y`` decays (to 1%)."""
    if rate <= 0:
        raise ValueError(f"rate must be > 0 (a decaying problem); got {rate}")
    return close_number(h_max, _rk4_boundary() / rate, what=f"h_max for RK4 at rate {rate:g}", rel_tol=0.01,
                        hint="one RK4 step on y' = -k y multiplies y by a polynomial in x = -h k: write it out "
                             "(or bisect on whether nb.odeint(..., method='rk4') decays) and find where |g| = 1.")
