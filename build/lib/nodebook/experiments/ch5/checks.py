"""Self-checks for chapter 5's exercises."""

from __future__ import annotations

import torch

from ...exercises import verdict_close


def check_planar_logdet(logdet_fn, *, seed: int = 0) -> float:
    """Self-check: ``logdet_fn(z, w, u, b)`` returns ``log|det ∂f/∂z|`` of ``f(z) = z + u tanh(wᵀz + b)``.

    Compared with the determinant of the Jacobian computed by autograd at 5 random points (float64).

    Returns:
        The largest absolute error.
    """
    g = torch.Generator().manual_seed(seed)
    w, u, z = (torch.randn(n, 2, generator=g, dtype=torch.float64) for n in (1, 1, 5))
    w, u, bias = w[0], u[0], 0.3
    worst = 0.0
    for zi in z:
        jac = torch.autograd.functional.jacobian(lambda v: v + u * torch.tanh(w @ v + bias), zi)
        got = float(logdet_fn(zi[None], w, u, bias).reshape(-1)[0])
        worst = max(worst, abs(got - float(torch.linalg.det(jac).abs().log())))
    verdict_close(1.0 + worst, 1.0, what="log-determinant error", rel_tol=1e-8,
                  hint="the Jacobian is I + u ψᵀ with ψ = tanh'(wᵀz + b) w: use the matrix determinant lemma.",
                  success=f"log-determinant matches autograd's (largest error {worst:.1e})")
    return worst
