"""Hidden checks of Assignment 2 (a ResNet is an Euler step).

Values on fixed and per-run random inputs; shipped only in the autograder zip, never installed.
"""

from __future__ import annotations

import math
import os

import torch

from nodebook.grading._public import count
from nodebook.grading._verdict import CheckFailed, as_number, as_tensor, call, close_number, close_tensor
from nodebook.solvers import odeint

F64 = torch.float64


def _tied_gap(n: int) -> float:
    return abs(2 * math.exp(-1.0) - 2 * (1 - 1 / n) ** n)


def check_tied_resnet(z_out: float, n_blocks: int) -> tuple[float, int]:
    """Exercise 2.1: 4 tied blocks on ``dz/dt = -z``, ``z(0) = 2``; then the fewest blocks whose gap is < 0.01."""
    z = close_number(z_out, 2 * 0.75**4, what="the output of 4 tied blocks", rel_tol=1e-6,
                     hint="each block of step 1/4 multiplies z by the same factor: which one?")
    n = count(n_blocks, "n_blocks")
    want = next(k for k in range(1, 10_000) if _tied_gap(k) < 0.01)
    if n != int(n):
        raise CheckFailed(f"n_blocks = {n:g}: wrong type: a number of blocks is a whole number")
    if int(n) != want:
        direction = "too large" if n > want else "too small"
        hint = ("the gap at that depth is already below 0.01 with fewer blocks" if n > want else
                "the gap at that depth is still 0.01 or more")
        raise CheckFailed(f"n_blocks = {int(n)} is {direction}: {hint}. Hint: compare 2(1 - 1/N)^N with the flow "
                          "2/e for increasing N.")
    print(f"✓ n_blocks = {int(n)} is right")
    return z, int(n)


def _reference_det(func, z0: torch.Tensor, t1: float) -> float:
    def end(z):
        return odeint(func, z, torch.tensor([0.0, t1], dtype=F64), method="rk4", options={"step_size": t1 / 400})[-1]

    return float(torch.linalg.det(torch.autograd.functional.jacobian(end, z0)))


def check_flow_det(flow_det) -> float:
    """Exercise 2.2: ``flow_det(func, z0, t1)`` returns det ∂z(t1)/∂z(0) for one state ``z0: (d,)``."""
    w = torch.tensor([[-0.8, 1.5], [-1.2, 0.3]], dtype=F64)
    cases = [
        (lambda t, z: torch.tanh(w @ z) + 0.3 * torch.sin(t), torch.tensor([0.5, -1.0], dtype=F64), 1.0),
        (lambda t, z: -z + 0.5 * torch.tanh(z.flip(0)), torch.tensor([1.0, 2.0], dtype=F64), 1.5),
    ]
    got = None
    for func, z0, t1 in cases:
        got = as_number(call(flow_det, func, z0.clone(), t1, what="flow_det(func, z0, t1)"), "flow_det(func, z0, t1)")
        close_number(got, _reference_det(func, z0, t1), what="det ∂z(t1)/∂z(0)", rel_tol=1e-4,
                     hint="differentiate the solve: torch.autograd.functional.jacobian of z0 ↦ nb.odeint(...)[-1], "
                          "then torch.linalg.det; or integrate Liouville's formula along the trajectory.")
    return got


def check_invertible_step(s_max: float) -> float:
    """Exercise 2.3: the largest step ``s`` for which ``z + s·tanh(W z)`` is guaranteed invertible (Lipschitz < 1)."""
    w = torch.tensor([[2.0, 1.0], [0.0, 3.0]], dtype=F64)
    return close_number(s_max, 1.0 / float(torch.linalg.matrix_norm(w, ord=2)), what="s_max", rel_tol=1e-3,
                        hint="tanh is 1-Lipschitz, so the Lipschitz constant of s·tanh(W z) is s times a norm of W: "
                             "which norm bounds |W a - W b| by a multiple of |a - b|?")


def check_invert_block(invert_block) -> torch.Tensor:
    """Exercise 2.4: ``invert_block(g, y, n_iter)`` returns z with z + g(z) = y for a contractive residual branch."""
    for gen in (torch.Generator().manual_seed(3),  # a fixed case, then a new one each run
                torch.Generator().manual_seed(int.from_bytes(os.urandom(4), "little"))):
        w = torch.randn(2, 2, generator=gen, dtype=F64)
        w = 1.5 * w / torch.linalg.matrix_norm(w, ord=2)

        def g(z, w=w):  # Lipschitz 0.75 < 1
            return 0.5 * torch.tanh(z @ w.T)

        y = torch.randn(5, 2, generator=gen, dtype=F64)
        z = as_tensor(call(invert_block, g, y.clone(), 100, what="invert_block(g, y, n_iter)"), tuple(y.shape),
                      "invert_block(g, y, n_iter)")
        close_tensor(z + g(z), y,
                     what="block(invert_block(g, y)), which should give y back", rel_tol=1e-8,
                     hint="z = y - g(z) is a fixed point equation; iterate it starting from z = y.")
    return z
