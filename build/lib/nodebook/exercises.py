"""Self-check functions for the chapters' exercises: run a learner's code against the mathematics.

Each check prints a one-line verdict and returns the measured quantity; a wrong answer raises an
``AssertionError`` (:class:`nodebook.grading.CheckFailed`) that says how the answer is wrong (too large,
too small, too low an order) and gives a hint, but never prints the expected value: a check that did
would turn the exercise into copying a number. The graded versions are in :mod:`nodebook.grading`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from . import problems
from .grading._verdict import CheckFailed, as_number
from .measure import fit_order


def verdict_order(order: float, expected: int, tol: float, detail: str, hint: str) -> float:
    """Pass (print ✓, return ``order``) when a measured order is within ``tol`` of ``expected``, else raise."""
    if not math.isfinite(order) or abs(order - expected) > tol:
        direction = "too high" if order > expected else "too low"
        raise CheckFailed(f"measured order {order:.2f} is {direction}: expected order {expected} (±{tol}), the "
                          f"order you gave ({detail}). Hint: {hint}")
    print(f"✓ measured order {order:.2f} (expected {expected})")
    return order


def verdict_close(got: float, exact: float, *, what: str, hint: str, success: str, rel_tol: float = 0.02) -> float:
    """Pass (print ``✓ success``, return ``exact``) when ``got`` is within ``rel_tol`` of ``exact``, else raise.

    The failure says whether ``got`` is too large or too small, never what ``exact`` is.
    """
    value = as_number(got, what)
    if not math.isclose(value, exact, rel_tol=rel_tol):
        direction = "too large" if value > exact else "too small"
        raise CheckFailed(f"{what} = {value:.4g} is {direction}. Hint: {hint}")
    print(f"✓ {success}")
    return exact


def _observed_order(step: Callable, problem: problems.Problem, n_steps: tuple[int, ...]) -> tuple[float, list]:
    y0 = problem.initial(torch.float64)
    exact = problem.exact(torch.tensor([problem.t1], dtype=torch.float64))[-1]
    span = problem.t1 - problem.t0
    hs, errs = [], []
    for n in n_steps:
        h = span / n
        t, y = torch.tensor(problem.t0, dtype=torch.float64), y0
        for _ in range(n):
            y_next = step(problem.func, t, y, h)
            if not isinstance(y_next, torch.Tensor) or y_next.shape != y.shape:
                got = tuple(y_next.shape) if isinstance(y_next, torch.Tensor) else type(y_next).__name__
                raise TypeError(f"step(f, t, y, h) must return a tensor shaped like y {tuple(y.shape)}; got {got}")
            t, y = t + h, y_next
        hs.append(h)
        errs.append(float((y - exact).abs().max()))
    return fit_order(hs, errs), errs


def check_step(step: Callable, expected_order: int, *, tol: float = 0.3) -> float:
    """Check a one-step method ``step(f, t, y, h) -> y_next`` converges with ``expected_order``.

    It is run on the harmonic oscillator over one period with 32 to 512 steps; the order is the fitted
    slope of log(error) against log(h).

    Returns:
        The measured order.
    """
    order, errs = _observed_order(step, problems.harmonic(), (32, 64, 128, 256, 512))
    return verdict_order(order, expected_order, tol, f"errors {errs[0]:.2e} … {errs[-1]:.2e}",
                         "check the weights sum to 1 and that each stage evaluates f at the right time and state.")


def check_stability_limit(h_max: float, rate: float) -> float:
    """Check the largest stable Euler step for ``y' = -rate · y``.

    Euler multiplies y by ``(1 - h·rate)`` each step, so it decays only while ``|1 - h·rate| < 1``.

    Returns:
        The exact limit.
    """
    if rate <= 0:
        raise ValueError(f"rate must be > 0 (a decaying problem); got {rate}")
    h_max = as_number(h_max, f"h_max for rate {rate:g}")
    return verdict_close(h_max, 2.0 / rate, what=f"h_max for rate {rate:g}",
                         hint="write one Euler step as y_next = g · y and ask when |g| < 1.",
                         success=f"h_max = {float(h_max):.4g}: Euler on y' = -{rate:g} y is stable for h < 2/{rate:g}")
