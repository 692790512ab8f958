"""Hidden checks of Assignment 7 (neural ODEs in practice): values, on fixed and per-run random inputs."""

from __future__ import annotations

import math
import os

import torch

from nodebook.grading._public import count, require_solver, solver_calls
from nodebook.grading._verdict import CheckFailed, as_number, call, close_number, close_tensor
from nodebook.solvers import odeint

F64 = torch.float64


def _rng() -> torch.Generator:
    """A generator seeded afresh on every run: the hidden inputs are never the same twice."""
    return torch.Generator().manual_seed(int.from_bytes(os.urandom(4), "little"))


def check_euler_limit(h_max, min_steps) -> tuple[float, int]:
    """Exercise 7.1: Euler on y' = -50 y: the largest stable step, and the fewest stable steps to t = 10."""
    h = close_number(h_max, 2 / 50, what="h_max", rel_tol=1e-3,
                     hint="|1 + hλ| <= 1 with λ = -50: solve for h.")
    n = count(min_steps, "min_steps")
    want = math.ceil(10 / (2 / 50))
    if n != want:
        raise CheckFailed(f"min_steps = {n} is {'too large' if n > want else 'too small'}. "
                          "Hint: the steps may not be longer than h_max.")
    print(f"✓ min_steps = {n} is right")
    return h, n


def check_backward_euler(backward_euler_step) -> torch.Tensor:
    """Exercise 7.2: one backward Euler step of y' = A y, on a stiff fixed A and on a random A."""
    gen = _rng()
    q = torch.linalg.qr(torch.randn(4, 4, generator=gen, dtype=F64))[0]
    cases = [(torch.tensor([[-1000.0, 0.0], [1.0, -0.5]], dtype=F64), torch.tensor([1.0, 2.0], dtype=F64), 0.1),
             (q @ torch.diag(-torch.rand(4, generator=gen, dtype=F64) * 100) @ q.T,
              torch.randn(4, generator=gen, dtype=F64), float(torch.rand(1, generator=gen)) + 0.01)]
    out = None
    for a, y, h in cases:
        want = torch.linalg.solve(torch.eye(len(y), dtype=F64) - h * a, y)
        got = call(backward_euler_step, a.clone(), y.clone(), h, what="backward_euler_step(A, y, h)")
        out = close_tensor(got, want, what="y_{n+1}", rel_tol=1e-8,
                           hint="(I - hA) y_{n+1} = y_n: torch.linalg.solve.")
    return out


def check_stiffness_ratio(stiffness_ratio) -> float:
    """Exercise 7.3: max |Re λ| / min |Re λ| for a fixed and a random matrix with known eigenvalues."""
    gen = _rng()
    got = None
    rates = [torch.tensor([-1.0, -1000.0, -3.0], dtype=F64), -(torch.rand(3, generator=gen, dtype=F64) * 50 + 0.1)]
    for lam in rates:
        v = torch.randn(3, 3, generator=gen, dtype=F64) + 3 * torch.eye(3, dtype=F64)
        a = v @ torch.diag(lam) @ torch.linalg.inv(v)
        want = float(lam.abs().max() / lam.abs().min())
        got = close_number(as_number(call(stiffness_ratio, a.clone(), what="stiffness_ratio(A)"), "stiffness_ratio(A)"),
                           want, what="the stiffness ratio", rel_tol=1e-6,
                           hint="the eigenvalues of A (torch.linalg.eigvals), their real parts, largest over smallest.")
    return got


def check_kinetic_energy(kinetic_energy) -> float:
    """Exercise 7.4: ∫ |f|² dt along the trajectory, for fields with no closed form; nb.odeint required."""
    gen = _rng()
    got = None
    for w, z0, t1 in ((torch.tensor([[-0.5, 1.2], [-1.0, 0.3]], dtype=F64), torch.tensor([1.0, -0.5], dtype=F64), 1.0),
                      (torch.randn(3, 3, generator=gen, dtype=F64), torch.randn(3, generator=gen, dtype=F64),
                       0.5 + float(torch.rand(1, generator=gen)))):
        def f(t, z, w=w):
            return torch.tanh(w @ z) + 0.3 * torch.sin(3 * t)

        d = len(z0)

        def aug(t, s, f=f, d=d):
            v = f(t, s[:d])
            return torch.cat([v, v.pow(2).sum().reshape(1)])

        s = odeint(aug, torch.cat([z0, torch.zeros(1, dtype=F64)]), torch.tensor([0.0, t1], dtype=F64),
                   method="rk4", options={"step_size": t1 / 400})
        value, calls = solver_calls(kinetic_energy, f, z0.clone(), t1, what="kinetic_energy(f, z0, T)")
        got = close_number(as_number(value, "kinetic_energy(f, z0, T)"), float(s[-1, -1]),
                           what="the kinetic energy", rel_tol=1e-4,
                           hint="augment the state with E, dE/dt = |f(t, z)|², E(0) = 0, and solve both together.")
        require_solver(calls, "kinetic_energy")
    return got


def check_seminorm(seminorm, rms) -> tuple[float, float]:
    """Exercise 7.5: the seminorm max(RMS z, RMS a) and the plain RMS, on random states."""
    gen = _rng()
    got = None
    sizes = (int(torch.randint(1, 5, (1,), generator=gen)), int(torch.randint(1, 9, (1,), generator=gen)))
    for d, p in ((2, 5), sizes):
        s = torch.randn(2 * d + p, generator=gen, dtype=F64)
        s[2 * d:] *= 100  # the parameter gradient dominates the plain RMS
        want = max(float(s[:d].pow(2).mean().sqrt()), float(s[d:2 * d].pow(2).mean().sqrt()))
        a = close_number(as_number(call(seminorm, s.clone(), d, what="seminorm(s, d)"), "seminorm(s, d)"), want,
                         what="seminorm(s, d)", rel_tol=1e-8,
                         hint="the RMS over the first d entries and over the next d, the larger of the two; "
                              "g is ignored.")
        b = close_number(as_number(call(rms, s.clone(), what="rms(s)"), "rms(s)"), float(s.pow(2).mean().sqrt()),
                         what="rms(s)", rel_tol=1e-8, hint="the square root of the mean of the squares of all entries.")
        got = (a, b)
    return got
