"""Self-checks for chapter 7's exercises. They say pass or what is wrong, never the expected numbers."""

from __future__ import annotations

import math

import numpy as np
import torch

F64 = torch.float64


def check_backward_euler(step_fn) -> float:
    """Self-check: ``step_fn(f, t, y, h)`` is one backward-Euler step ``y₁ = y + h f(t + h, y₁)``.

    Tried on a stiff linear system (eigenvalues −1 and −1000) with a large step, on a nonlinear field
    (``y' = −y³``, where a Newton solve is needed), and for order 1 as a fitted log-log slope.

    Returns:
        The fitted order.
    """
    a = torch.tensor([[-1.0, 0.0], [0.0, -1000.0]], dtype=F64)
    y = torch.tensor([1.0, 1.0], dtype=F64)
    got = step_fn(lambda t, v: a @ v, torch.tensor(0.0, dtype=F64), y, 0.1)
    want = torch.linalg.solve(torch.eye(2, dtype=F64) - 0.1 * a, y)
    if not isinstance(got, torch.Tensor) or got.shape != y.shape:
        raise AssertionError(f"step_fn must return a tensor shaped like y {tuple(y.shape)}; got {got!r:.60}")
    if float((got - want).abs().max()) > 1e-8:
        raise AssertionError("on y' = Ay with a stiff A and h = 0.1 your step is not the backward-Euler step "
                             "(hint: it solves y₁ = y + h·f(t + h, y₁) for y₁; here that is a linear system)")
    y = torch.tensor([2.0], dtype=F64)
    got = step_fn(lambda t, v: -v**3, torch.tensor(0.0, dtype=F64), y, 0.5)
    residual = float((got - y + 0.5 * got**3).abs().max())
    if not residual < 1e-8:
        raise AssertionError(f"on y' = -y³ your y₁ leaves a residual |y₁ - y - h f(y₁)| = {residual:.1e}, "
                             "not ~0 (hint: iterate Newton until the update is tiny, not a fixed number of times)")
    hs, errs = [0.1, 0.05, 0.025, 0.0125], []
    for h in hs:
        v, t = torch.tensor([1.0], dtype=F64), 0.0
        for _ in range(round(1.0 / h)):
            v = step_fn(lambda s, w: torch.cos(s) - w, torch.tensor(t, dtype=F64), v, h)
            t += h
        exact = 0.5 * (math.cos(1) + math.sin(1)) + 0.5 * math.exp(-1)  # y' = cos t - y, y(0) = 1
        errs.append(abs(float(v[0]) - exact))
    order = float(np.polyfit(np.log(hs), np.log(errs), 1)[0])
    if abs(order - 1) > 0.2:
        raise AssertionError(f"measured order {order:.2f} on y' = cos t − y; backward Euler has order 1 "
                             "(hint: evaluate f at the *new* time t + h)")
    print(f"✓ a backward-Euler step: stiff, nonlinear and order checks pass (order {order:.2f})")
    return order


def check_seminorm(norm_fn, *, seed: int = 0) -> None:
    """Self-check: ``norm_fn(x, n)`` is Kidger et al.'s seminorm of an adjoint state ``x = [z, a, g]``.

    ``x`` is flat, ``z`` and ``a`` hold ``n`` entries each, ``g`` the rest; the norm is the largest of the
    RMS of ``z`` and the RMS of ``a``, as the package's default norm measures each part.
    """
    g = torch.Generator().manual_seed(seed)
    for n, p, big in ((3, 10, 1e6), (5, 1, 0.0), (4, 40, 1e-3)):
        x = torch.randn(2 * n + p, generator=g, dtype=F64)
        x[2 * n:] *= big
        want = max(float(x[:n].pow(2).mean().sqrt()), float(x[n:2 * n].pow(2).mean().sqrt()))
        got = float(norm_fn(x, n))
        if not math.isclose(got, want, rel_tol=1e-9):
            what = "changes with g" if big else "is not the largest part's RMS"
            raise AssertionError(f"your norm {what} (case n={n}, {p} gradient entries). Hint: measure z = x[:n] "
                                 "and a = x[n:2n] separately, take the larger, and leave g = x[2n:] out.")
    print("✓ a seminorm: ignores the parameter-gradient part and takes the larger RMS of z and a")
