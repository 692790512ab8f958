"""Newton's method for the stage equations of an implicit Runge–Kutta step ``Z = rhs + gh·f(t, Z)``.

The iterations run without a graph; when gradients are wanted, one last Newton step from the converged
``Z`` with the Jacobian at ``Z`` carries the graph. Its derivative is the implicit function theorem's,
``dZ = (I - gh·J)⁻¹ (d rhs + gh·∂f/∂θ dθ + ...)``, exact whatever the iterations did, and the graph
holds one evaluation of ``f`` per stage instead of every iteration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

JACOBIANS = ("auto", "autograd", "finite_difference")


@dataclass
class Failure:
    """Why a stage (or a step) failed: ``kind`` is "nan", "newton" or "error"; ``detail`` says more."""

    kind: str
    detail: str


def fd_jacobian(func, t: torch.Tensor, y: torch.Tensor, fy: torch.Tensor | None = None) -> torch.Tensor:
    """``∂f/∂y`` by forward differences, one evaluation per state entry (for an ``f`` autograd cannot see)."""
    y = y.detach()
    with torch.no_grad():
        fy = func(t, y) if fy is None else fy.detach()
        flat = y.reshape(-1)
        typical = max(float(flat.abs().max()) if flat.numel() else 0.0, 1e-5)
        root_eps = math.sqrt(torch.finfo(y.dtype).eps)
        cols = []
        for j in range(flat.numel()):
            step = root_eps * max(abs(float(flat[j])), 1e-3 * typical)
            yj = flat.clone()
            yj[j] += step
            cols.append((func(t, yj.view_as(y)) - fy).reshape(-1) / step)
    return torch.stack(cols, dim=1) if cols else y.new_zeros(0, 0)


def jacobian(func, t: torch.Tensor, y: torch.Tensor, mode: str = "auto",
             keep_graph: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """``(J, f)``: ``∂f/∂y`` at ``(t, y)`` as a ``(numel, numel)`` matrix and ``f(t, y)``.

    Autograd: one evaluation and one backward pass per row. When ``f``'s output does not require grad
    although ``y`` does, autograd cannot see how ``f`` depends on ``y`` (computed through NumPy, under
    ``no_grad``, or ``f`` ignores ``y``): ``mode="auto"`` then uses finite differences (exactly zero for
    an ``f`` that ignores ``y``), ``mode="autograd"`` raises unless they show that ``f`` ignores ``y``.
    ``keep_graph``: ``f`` keeps its graph to ``t`` and the parameters (``y`` enters as a fresh leaf).
    """
    if mode == "finite_difference":
        fy = func(t, y.detach()) if keep_graph else None
        return fd_jacobian(func, t, y, fy), fy
    with torch.enable_grad():
        v = y.detach().requires_grad_(True)
        f = func(t, v)
        n = f.numel()
        if not f.requires_grad:
            jac = fd_jacobian(func, t, y, f)
            if mode == "autograd" and bool(jac.abs().max() > 0):
                raise TypeError(
                    "sdirk2 needs ∂f/∂y from autograd, but func(t, y) returned a tensor that does not require "
                    "grad although y does, and f does change with y: f is computed outside torch's autograd "
                    "(NumPy, .item(), .detach(), torch.no_grad). Compute f with torch operations, or pass "
                    "options={'jacobian': 'finite_difference'} (or 'auto') for a finite-difference Jacobian.")
            return jac, f
        flat = f.reshape(-1)
        rows = [torch.autograd.grad(flat[i], v, retain_graph=keep_graph or i < n - 1, allow_unused=True)[0]
                for i in range(n)]
    jac = torch.stack([torch.zeros_like(v) if r is None else r for r in rows]).reshape(n, -1)
    return jac, (f if keep_graph else f.detach())


def iterate(func, t: torch.Tensor, rhs: torch.Tensor, gh: float, lu, guess: torch.Tensor, tol: torch.Tensor,
            max_iter: int, norm, refresh) -> tuple[torch.Tensor | None, object, Failure | None]:
    """Simplified Newton for ``Z = rhs + gh·f(t, Z)``, without a graph: ``(Z, lu, None)`` or ``(None, lu, why)``.

    Stops when the scaled update ``norm(ΔZ / tol)`` is at most 1, or when the observed contraction rate
    θ predicts the remaining error ``θ/(1-θ)·‖ΔZ‖`` is (Hairer & Wanner IV.8). When it converges slowly
    (θ > 0.5) the Jacobian is refreshed at the current iterate once (``refresh(Z) -> lu``).
    """
    z, rhs = guess.detach(), rhs.detach()
    shape, prev, rate, d = rhs.shape, None, float("nan"), float("inf")
    refreshed = False
    with torch.no_grad():
        for k in range(max_iter):
            fz = func(t, z)
            if not bool(torch.isfinite(fz).all()):
                return None, lu, Failure("nan", f"func returned NaN or inf at the stage time {float(t):.6g} "
                                                f"(Newton iteration {k + 1})")
            delta = torch.linalg.lu_solve(*lu, (z - rhs - gh * fz).reshape(-1, 1)).view(shape)
            z = z - delta
            d = norm(delta / tol)
            if not math.isfinite(d):
                return None, lu, Failure("nan", f"Newton's update became NaN or inf at iteration {k + 1}")
            if d <= 1.0:
                return z, lu, None
            if prev is not None:
                rate = d / prev
                if rate < 1.0 and rate / (1.0 - rate) * d <= 1.0:
                    return z, lu, None
                if rate > 0.5 and not refreshed:  # a new matrix: the old rate says nothing about it
                    lu, refreshed, prev = refresh(z), True, None
                    continue
            prev = d
    return None, lu, Failure("newton", f"Newton's iteration did not converge in {max_iter} iterations "
                                       f"(last scaled update {d:.3g}, contraction rate {rate:.3g})")


def attach(func, t, rhs: torch.Tensor, gh: float, ghx, z: torch.Tensor, mode: str) -> torch.Tensor:
    """One Newton step from the converged ``z`` that carries the graph (the implicit function theorem).

    ``gh``: γh as a float; ``ghx``: the same, or a tensor carrying the times' graph.
    """
    jac, f = jacobian(func, t, z, mode, keep_graph=True)
    eye = torch.eye(jac.shape[0], dtype=z.dtype, device=z.device)
    residual = z.detach() - rhs - ghx * f
    return z.detach() - torch.linalg.solve(eye - gh * jac, residual.reshape(-1, 1)).view(z.shape)
