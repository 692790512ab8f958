"""Hidden checks of Assignment 5 (continuous normalizing flows).

Values on fixed and per-run random inputs; shipped only in the autograder zip, never installed.
"""

from __future__ import annotations

import math
import os

import torch

from nodebook.grading._public import require_solver, solver_calls
from nodebook.grading._verdict import as_number, call, close_number, close_tensor

F64 = torch.float64


def _rng() -> torch.Generator:
    """A generator seeded afresh on every run: the hidden inputs are never the same twice."""
    return torch.Generator().manual_seed(int.from_bytes(os.urandom(4), "little"))
_LOG_2PI = math.log(2 * math.pi)


def check_affine_density(log_px: float) -> float:
    """Exercise 5.1: ``log p(x)`` at x = 2 for x = 2z + 1, z ~ N(0, 1)."""
    want = -0.5 * 0.5**2 - 0.5 * _LOG_2PI - math.log(2.0)
    return close_number(log_px, want, what="log p(2)", rel_tol=1e-4,
                        hint="invert the map to find z, then subtract log |dg/dz| from log p0(z).")


def check_hutchinson_variances(var_gaussian: float, var_rademacher: float) -> tuple[float, float]:
    """Exercise 5.2: the variance of εᵀAε for A = [[1, 2], [0, 3]] with Gaussian and with Rademacher ε."""
    a = close_number(var_gaussian, 24.0, what="the Gaussian variance", rel_tol=1e-6,
                     hint="Σ_ij A_ij² + Σ_ij A_ij A_ji: the second sum pairs A_ij with its mirror entry A_ji.")
    b = close_number(var_rademacher, 4.0, what="the Rademacher variance", rel_tol=1e-6, abs_tol=1e-9,
                     hint="the same two sums, over i ≠ j only.")
    return a, b


def check_hutchinson_trace(hutchinson) -> torch.Tensor:
    """Exercise 5.3: ``hutchinson(f, z, eps)`` returns εᵀ(∂f/∂z)ε per row of a batch ``z: (n, D)``."""
    for gen in (torch.Generator().manual_seed(5), _rng()):  # a fixed case, a new one each run
        out = _check_hutchinson_trace(hutchinson, gen)
    return out


def _check_hutchinson_trace(hutchinson, gen):
    w = torch.randn(3, 3, generator=gen, dtype=F64)

    def f(z):  # row-wise: f(z)_n depends on z_n only
        return torch.tanh(z @ w) * z.sin()

    z = torch.randn(6, 3, generator=gen, dtype=F64)
    eps = torch.randn(6, 3, generator=gen, dtype=F64)
    zg = z.clone().requires_grad_(True)
    out = f(zg)
    rows = [torch.autograd.grad(out[:, j].sum(), zg, retain_graph=True)[0] for j in range(3)]  # ∂f_j/∂z, per row
    jac = torch.stack(rows, dim=1)  # (n, D, D): jac[n, j, i] = ∂f_j/∂z_i
    want = torch.einsum("nj,nji,ni->n", eps, jac, eps)
    got = call(hutchinson, f, z.clone(), eps.clone(), what="hutchinson(f, z, eps)")
    return close_tensor(got, want, what="the estimates εᵀ(∂f/∂z)ε", rel_tol=1e-8,
                        hint="one torch.autograd.grad of f(z) with grad_outputs=eps gives εᵀ∂f/∂z for every row "
                             "at once (z must require grad); then multiply by eps and sum over D.")


def check_linear_cnf(log_prob) -> torch.Tensor:
    """Exercise 5.4 (hard): ``log_prob(x, A, T)`` for the CNF ``dz/dt = A z`` with base N(0, I), by integrating."""
    gen = _rng()
    cases = [(torch.tensor([[0.3, -1.0], [0.8, -0.6]], dtype=F64),
              torch.tensor([[0.5, -1.0], [2.0, 0.3], [-1.5, 1.2]], dtype=F64), 1.5),
             (torch.randn(2, 2, generator=gen, dtype=F64) * 0.6, torch.randn(4, 2, generator=gen, dtype=F64),
              0.5 + float(torch.rand(1, generator=gen)))]
    for a, x, t in cases:
        z0 = x @ torch.linalg.matrix_exp(-t * a).T
        want = -0.5 * z0.pow(2).sum(-1) - _LOG_2PI - t * torch.trace(a)
        got, calls = solver_calls(log_prob, x.clone(), a.clone(), t, what="log_prob(x, A, T)")
        close_tensor(got, want, what=f"log p(x) for {len(x)} points", rel_tol=1e-5,
                     hint="start at z(T) = x, ℓ(T) = 0; integrate dz/dt = A z, dℓ/dt = -tr A back to 0; then "
                          "log p(x) = log p0(z(0)) - ℓ(0). Check the sign of each term.")
        require_solver(calls, "log_prob")
    return as_number(got.sum(), "sum")
