"""Hidden checks of Assignment 4 (ODE-Nets for classification).

Values on fixed and per-run random inputs; shipped only in the autograder zip, never installed.
"""

from __future__ import annotations

import math

import torch

from nodebook.grading._public import count
from nodebook.grading._verdict import CheckFailed, as_tensor, call, close_number, close_tensor
from nodebook.solvers import odeint

F64 = torch.float64


def check_rknet_nfe(nfe: int) -> float:
    """Exercise 4.1: evaluations of f in one forward pass of an RK-Net (RK4, step 1/4, over [0, 1])."""
    count(nfe, "nfe")  # a count is an int: 16.4 (or 16.0) is not one
    return close_number(nfe, 16, what="the RK-Net's NFE per forward pass", rel_tol=0.0, abs_tol=0.5,
                        hint="count the steps, and the evaluations of f inside one RK4 step.")


def check_flow_bound(bound: float) -> float:
    """Exercise 4.2: the smallest loss any flow on the line can reach on x = (-1, 0, 1), g = (2, 0, -1)."""
    return close_number(bound, 7 / 3, what="the lower bound", rel_tol=1e-4,
                        hint="a flow keeps the order φ(-1) ≤ φ(0) ≤ φ(1); minimise the loss under that "
                             "constraint (what is the best order-keeping fit to a decreasing target?).")


def check_resblock(res_block) -> int:
    """Exercise 4.3: ``res_block(c)`` builds the ResNet block of Section 4.2 as an ``nn.Module``."""
    block = call(res_block, 16, what="res_block(16)")
    if not isinstance(block, torch.nn.Module):
        raise CheckFailed(f"res_block(16): wrong type: expected a torch.nn.Module, got {type(block).__name__}")
    n = sum(p.numel() for p in block.parameters())
    want = 2 * (16 * 16 * 3 + 16) + 3 * 2 * 16
    if n != want:
        direction = "too many" if n > want else "too few"
        raise CheckFailed(f"res_block(16) has {n} parameters: {direction}. Hint: two Conv1d(c, c, 3, padding=1) "
                          "with bias and three GroupNorm(min(32, c), c).")
    z = torch.randn(4, 16, 10, generator=torch.Generator().manual_seed(0))
    as_tensor(block(z), (4, 16, 10), "res_block(16)(z) for z of shape (4, 16, 10)")
    with torch.no_grad():
        for m in block.modules():
            if isinstance(m, torch.nn.Conv1d):
                m.weight.zero_()
                if m.bias is not None:
                    m.bias.zero_()
        out = block(z)
    if not torch.allclose(out, z, atol=1e-6):
        raise CheckFailed("with every convolution set to zero the block should return its input unchanged: it does "
                          "not. Hint: a residual block returns z + branch(z).")
    print(f"✓ res_block: {n} parameters, shape kept, residual connection in place")
    return n


def check_even_dims(flow_can_negate) -> list[bool]:
    """Exercise 4.4a: ``flow_can_negate(d)`` says whether a flow of R^d (no augmentation) can map z to -z."""
    got = [call(flow_can_negate, d, what="flow_can_negate(d)") for d in range(1, 7)]
    if not all(isinstance(g, bool) for g in got):
        raise CheckFailed("flow_can_negate(d): wrong type: expected True or False")
    if got != [d % 2 == 0 for d in range(1, 7)]:
        raise CheckFailed("flow_can_negate is wrong for at least one d in 1…6. Hint: what is the sign of "
                          "det(-I) in d dimensions, and what does Liouville's formula say about a flow's?")
    print("✓ flow_can_negate is right for d = 1…6")
    return got


def check_negating_field(field) -> torch.Tensor:
    """Exercise 4.4b: ``field(t, z)`` on R² whose flow from t = 0 to 1 maps every z to -z."""
    z0 = torch.randn(64, 2, generator=torch.Generator().manual_seed(1), dtype=F64) * 2
    try:
        z1 = odeint(lambda t, z: call(field, t, z, what="field(t, z)"), z0, torch.tensor([0.0, 1.0], dtype=F64),
                    rtol=1e-9, atol=1e-10)[-1]
    except (TypeError, ValueError, RuntimeError) as err:
        raise CheckFailed(f"field(t, z) could not be integrated for z of shape (64, 2): {err}") from None
    if not math.isfinite(float(z1.abs().max())):
        raise CheckFailed("the flow of field(t, z) blew up")
    return close_tensor(z1, -z0, what="z(1) for 64 random starting points", rel_tol=1e-5,
                        hint="in the plane, -z is a rotation: which linear field rotates by an angle θ per unit time?")
