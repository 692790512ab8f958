"""The adjoint's gradients against backprop through the same solver, and the adjoint written by hand."""

from __future__ import annotations

import torch

from ...adjoint import AdjointStats, odeint_adjoint
from ...config import Config
from ...measure import fit_order
from ...solvers import odeint
from .memory import budget_threads, mlp_problem


def relative_error(got, want) -> float:
    """Largest ``max|g - e| / max|e|`` over pairs of tensors (e.g. the gradient of each parameter)."""
    return max(float((g - e).abs().max() / e.abs().max()) for g, e in zip(got, want, strict=True))


def adjoint_by_hand(f, theta, z0, t1, loss, n_steps=100):
    """dL/dz0 and dL/dθ for L = loss(z(t1)), dz/dt = f(t, z, θ)."""
    opts = {"method": "rk4", "options": {"step_size": t1 / n_steps}}
    t, n = torch.tensor([0.0, t1], dtype=z0.dtype), z0.numel()
    with torch.no_grad():  # forward: no graph, keep only z(t1)
        z1 = odeint(lambda t, z: f(t, z, theta), z0, t, **opts)[-1]
    z1.requires_grad_(True)
    a1 = torch.autograd.grad(loss(z1), z1)[0]  # a(t1) = ∂L/∂z(t1)

    def augmented(t, s):  # s = [z, a, g] as one flat vector
        z, th = s[:n].detach().requires_grad_(True), theta.detach().requires_grad_(True)
        with torch.enable_grad():
            dz = f(t, z, th)
            az, ath = torch.autograd.grad(dz, (z, th), s[n:2 * n])  # aᵀ∂f/∂z, aᵀ∂f/∂θ
        return torch.cat([dz.detach(), -az, -ath.reshape(-1)])

    s1 = torch.cat([z1.detach(), a1, torch.zeros(theta.numel(), dtype=z0.dtype)])
    s0 = odeint(augmented, s1, t.flip(0), **opts)[-1]  # from t1 back to 0
    return s0[n:2 * n], s0[2 * n:].view_as(theta)


@budget_threads
def gradient_agreement(cfg: Config, batch: int = 4) -> dict:
    """nodebook's adjoint vs backprop through the same RK4 solver, float64, loss on three time points.

    The loss ``L = Σ_i <w_i, y(t_i)>`` makes the adjoint jump at ``t = 0.5``. The two gradients differ
    by the discretisation error (backprop differentiates the discrete map, the adjoint solves the
    continuous adjoint ODE), so their gap shrinks like ``h^4``: the fitted order is reported.
    """
    import torchdiffeq

    b = cfg.budget
    odd = [n for n in b["agreement_steps"] if n % 2]
    if odd:
        raise ValueError("agreement_steps must be even, so that the RK4 grid passes through the observation "
                         f"time 0.5 (where torchdiffeq's would too); got {odd}")
    func, y0, _ = mlp_problem(batch, dim=b.get("dim", 64), width=b.get("width", 256), device=cfg.device,
                              dtype=torch.float64)
    t = torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64, device=cfg.device)
    w = torch.randn(len(t), *y0.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    w = w.to(cfg.device)

    def grads(solver, method, n, **kw):
        y = y0.clone().requires_grad_(True)
        ys = solver(func, y, t, method=method, options={"step_size": 1.0 / n}, **kw)
        return torch.autograd.grad((w * ys).sum(), (y, *func.parameters()))

    rows = []
    for n in b["agreement_steps"]:
        stats = AdjointStats()
        adj = grads(odeint_adjoint, "rk4", n, stats=stats)
        rows.append({"steps": n, "rel_error": relative_error(adj, grads(odeint, "rk4", n)),
                     "forward_nfe": stats.forward.nfe, "backward_nfe": stats.backward.nfe})
    order = fit_order([1.0 / r["steps"] for r in rows], [r["rel_error"] for r in rows], floor=0.0, finest=None)
    n = b["agreement_steps"][0]
    rk38 = relative_error(grads(odeint_adjoint, "rk38", n), grads(torchdiffeq.odeint_adjoint, "rk4", n))
    return {"rows": rows, "order": order, "rk38_vs_torchdiffeq": rk38, "rk38_steps": n}
