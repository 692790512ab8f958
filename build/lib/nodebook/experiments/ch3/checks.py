"""Self-checks for chapter 3's exercises."""

from __future__ import annotations

import math

import torch

from ...solvers import odeint
from .gradients import relative_error


def check_exponential_gradients(grad_z0: float, grad_theta: float, *, z0: float = 1.5, theta: float = -0.7,
                                t1: float = 2.0) -> tuple[float, float]:
    """Check ``dL/dz0`` and ``dL/dθ`` for ``z' = θ z``, ``L = z(t1)² / 2`` (Exercise 1).

    Returns:
        The exact ``(dL/dz0, dL/dθ)``.
    """
    from ...exercises import verdict_close

    zt = z0 * math.exp(theta * t1)
    exact = (zt * math.exp(theta * t1), t1 * zt * zt)
    hint = "a(t) = a(t1) e^{θ (t1 - t)} with a(t1) = z(t1); dL/dz0 = a(0) and dL/dθ = ∫ a(t) z(t) dt."
    for name, got, want in (("dL/dz0", grad_z0, exact[0]), ("dL/dθ", grad_theta, exact[1])):
        verdict_close(got, want, what=f"{name} (z0={z0}, θ={theta}, t1={t1})", hint=hint,
                      success=f"{name} = {want:.6g}", rel_tol=1e-6)
    return exact


def check_two_times(adjoint_two_times) -> float:
    """Check a from-scratch adjoint for a loss on two times, ``L = ℓ_a(z(t_a)) + ℓ_b(z(t_b))`` (Exercise 2).

    ``adjoint_two_times(f, theta, z0, t_a, t_b, loss_a, loss_b)`` must return ``(dL/dz0, dL/dθ)``; it is
    run on ``f(t, z, W) = tanh(W z)`` and compared with backprop through RK4 with fine steps.

    Returns:
        The relative error of the gradients.
    """
    f64 = torch.float64
    w = torch.tensor([[-0.5, 2.0], [-2.0, -0.5]], dtype=f64)
    z0 = torch.tensor([1.0, 0.0], dtype=f64)

    def f(t, z, w):
        return torch.tanh(w @ z)

    def loss_a(z):
        return z[0]

    def loss_b(z):
        return 0.5 * z.pow(2).sum()

    got = adjoint_two_times(f, w, z0, 1.0, 2.0, loss_a, loss_b)
    wr, zr = w.clone().requires_grad_(True), z0.clone().requires_grad_(True)
    ys = odeint(lambda t, z: f(t, z, wr), zr, torch.tensor([0.0, 1.0, 2.0], dtype=f64), method="rk4",
                options={"step_size": 0.01})
    want = torch.autograd.grad(loss_a(ys[1]) + loss_b(ys[2]), (zr, wr), retain_graph=True)
    no_jump = torch.autograd.grad(loss_b(ys[2]), (zr, wr))
    err = relative_error(got, want)
    if not err < 1e-5:
        hint = ("it matches the gradient of ℓ_b alone: add ∂ℓ_a/∂z(t_a) to a when the backward solve reaches "
                "t_a" if relative_error(got, no_jump) < 1e-5 else
                "solve [z, a, g] from t_b back to t_a, add ∂ℓ_a/∂z(t_a) to a, then go on to 0")
        raise AssertionError(f"gradients differ from backprop by {err:.2e} (relative); expected < 1e-5. Hint: {hint}")
    print(f"✓ matches backprop through the solver to {err:.1e} (relative)")
    return err
