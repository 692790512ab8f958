"""Hidden checks of Assignment 3 (the adjoint method).

Values on fixed and per-run random inputs; shipped only in the autograder zip, never installed.
"""

from __future__ import annotations

import math
import os

import torch

from nodebook.grading._public import require_solver, solver_calls
from nodebook.grading._verdict import CheckFailed, as_number, call, close_number, close_tensor
from nodebook.solvers import odeint

F64 = torch.float64


def _rng() -> torch.Generator:
    """A generator seeded afresh on every run: the hidden inputs are never the same twice."""
    return torch.Generator().manual_seed(int.from_bytes(os.urandom(4), "little"))


def check_constant_input(dl_dz0: float, dl_dc: float) -> tuple[float, float]:
    """Exercise 3.1: ``dz/dt = -z + c``, ``L = z(2)``: the adjoint's answers for dL/dz0 and dL/dc."""
    a = close_number(dl_dz0, math.exp(-2.0), what="dL/dz0", rel_tol=1e-4,
                     hint="solve da/dt = -a ∂f/∂z backwards from a(2) = 1; dL/dz0 = a(0).")
    b = close_number(dl_dc, 1 - math.exp(-2.0), what="dL/dc", rel_tol=1e-4,
                     hint="dL/dc = ∫₀² a(t) ∂f/∂c dt, and ∂f/∂c = 1.")
    return a, b


def check_jump(a_after: float, a_before: float) -> tuple[float, float]:
    """Exercise 3.2: ``dz/dt = -z``, ``L = z(1) + z(2)``: the adjoint just after and just before t = 1."""
    a = close_number(a_after, math.exp(-1.0), what="a(1⁺)", rel_tol=1e-4,
                     hint="on (1, 2] only z(2) matters: a(2) = 1, then solve da/dt = a backwards to t = 1.")
    b = close_number(a_before, 1 + math.exp(-1.0), what="a(1⁻)", rel_tol=1e-4,
                     hint="at an observation time the adjoint jumps by ∂ℓ_i/∂z(t_i).")
    return a, b


def check_linear_adjoint(adjoint_at_zero) -> torch.Tensor:
    """Exercise 3.3: ``adjoint_at_zero(A, w, t1)`` solves the adjoint ODE of ``dz/dt = A z``, ``L = w·z(t1)``."""
    a = torch.tensor([[-0.5, 2.0, 0.0], [-2.0, -0.5, 0.3], [0.1, 0.0, -1.0]], dtype=F64)
    w = torch.tensor([1.0, -2.0, 0.5], dtype=F64)
    gen = _rng()
    a2 = torch.randn(3, 3, generator=gen, dtype=F64) * 0.7
    w2 = torch.randn(3, generator=gen, dtype=F64)
    got, calls = solver_calls(adjoint_at_zero, a2.clone(), w2.clone(), 0.8, what="adjoint_at_zero(A, w, t1)")
    require_solver(calls, "adjoint_at_zero")
    close_tensor(got, w2 @ torch.linalg.matrix_exp(0.8 * a2), what="a(0) for a second system", rel_tol=1e-5,
                 hint="start at a(t1) = w and solve da/dt = -a A from t1 back to 0.")
    got = call(adjoint_at_zero, a.clone(), w.clone(), 1.5, what="adjoint_at_zero(A, w, t1)")
    return close_tensor(got, w @ torch.linalg.matrix_exp(1.5 * a), what="a(0)", rel_tol=1e-5,
                        hint="a is a row vector: da/dt = -a A, i.e. for the column aᵀ, daᵀ/dt = -Aᵀ aᵀ; start at "
                             "a(t1) = w and solve from t1 back to 0 (pass the times in decreasing order).")


def check_end_time_gradient(grad_end_time) -> float:
    """Exercise 3.4 (hard): ``grad_end_time(f, z0, t1, loss)`` returns dL/dt1 for ``L = loss(z(t1))``."""
    gen = _rng()
    got = None
    for w, z0, t1 in ((torch.tensor([[-0.5, 2.0], [-2.0, -0.5]], dtype=F64), torch.tensor([1.0, 0.0], dtype=F64), 1.5),
                      (torch.randn(2, 2, generator=gen, dtype=F64), torch.randn(2, generator=gen, dtype=F64),
                       0.5 + float(torch.rand(1, generator=gen)))):
        def f(t, z, w=w):
            return torch.tanh(w @ z) + 0.1 * t

        def loss(z):
            return 0.5 * z.pow(2).sum()

        z1 = odeint(f, z0, torch.tensor([0.0, t1], dtype=F64), rtol=1e-11, atol=1e-12)[-1].requires_grad_(True)
        dl_dz1 = torch.autograd.grad(loss(z1), z1)[0]
        want = float(dl_dz1 @ f(torch.tensor(t1, dtype=F64), z1.detach()))
        got = call(grad_end_time, f, z0.clone(), t1, loss, what="grad_end_time(f, z0, t1, loss)")
        if not isinstance(got, float | int | torch.Tensor) or isinstance(got, bool):
            raise CheckFailed(f"grad_end_time: wrong type: expected a number, got {type(got).__name__}")
        close_number(as_number(got, "grad_end_time(f, z0, t1, loss)"), want, what="dL/dt1", rel_tol=1e-4,
                     hint="moving the end time by δ moves z(t1) by δ·f(t1, z(t1)); chain rule with a(t1).")
    return as_number(got, "dL/dt1")
