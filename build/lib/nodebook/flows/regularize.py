"""Kinetic-energy and Jacobian-Frobenius regularisation of a CNF (Finlay et al., "How to train your neural ODE").

A CNF trained by maximum likelihood alone may learn any flow that maps the data to the base density, and
nothing stops it from learning a contorted one: the solver then needs more and more steps as training goes
on. Finlay et al. add two penalties, integrated along each trajectory together with the state:

    K = ∫₀ᵀ ‖f(t, z)‖² dt          (kinetic energy: prefer straight, constant-speed paths, as in optimal transport)
    B = ∫₀ᵀ ‖∂f/∂z‖_F² dt          (Jacobian Frobenius norm: prefer fields that change slowly in space)

and minimise ``NLL + λ_K E[K] + λ_J E[B]``. Both integrands are two more scalars per sample, integrated
by the same solve: ``[z, ℓ, K, B]``. In 2-D the Jacobian rows are already computed for the exact trace, so
``‖∂f/∂z‖_F²`` costs nothing more (in high dimension one uses ``‖εᵀ ∂f/∂z‖²`` with the Hutchinson noise).
"""

from __future__ import annotations

import torch
from torch import nn

from .cnf import CNF
from .densities import check_points


class _Regularised(nn.Module):
    """``[z, ℓ, K, B] ↦ [f, -tr ∂f/∂z, ‖f‖², ‖∂f/∂z‖_F²]`` with the exact Jacobian (one backward pass per dim)."""

    def __init__(self, dynamics: nn.Module, dim: int):
        super().__init__()
        self.dynamics, self.dim = dynamics, dim

    def forward(self, t: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        grad = torch.is_grad_enabled()
        with torch.enable_grad():
            z = state[:, :self.dim]
            if not z.requires_grad:
                z = z.detach().requires_grad_(True)
            f = self.dynamics(t, z)
            rows = [torch.autograd.grad(f[:, i].sum(), z, create_graph=grad, retain_graph=True)[0]
                    for i in range(self.dim)]
        trace = sum(r[:, i] for i, r in enumerate(rows))
        frob = sum(r.pow(2).sum(1) for r in rows)
        out = torch.cat([f, -trace[:, None], f.pow(2).sum(1, keepdim=True), frob[:, None]], 1)
        return out if grad else out.detach()


class RegularisedCNF(CNF):
    """A :class:`~nodebook.flows.CNF` (exact trace) that also integrates Finlay et al.'s two penalties.

    Same arguments as ``CNF`` (``trace`` is always exact). After each solve, ``last_kinetic`` and
    ``last_frobenius`` hold ``K`` and ``B`` per sample: ``(n,)``, integrated over ``[0, T]`` whichever way the
    solve ran. Pass the model to :func:`regularised_nll_loss`.
    """

    def __init__(self, dynamics: nn.Module, **kwargs):
        kwargs.pop("trace", None)
        super().__init__(dynamics, trace="exact", **kwargs)
        self.func = _Regularised(dynamics, self.dim)
        self.last_kinetic = self.last_frobenius = None

    def integrate(self, z: torch.Tensor, logp: torch.Tensor, times, *,
                  generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        check_points(z, self.dim)
        t = torch.as_tensor(times, dtype=z.dtype, device=z.device)
        ys = self._solve(torch.cat([z, logp[:, None], z.new_zeros(len(z), 2)], 1), t)
        sign = 1.0 if float(t[-1]) > float(t[0]) else -1.0  # a backward solve integrates -∫
        self.last_kinetic, self.last_frobenius = sign * ys[-1, :, self.dim + 1], sign * ys[-1, :, self.dim + 2]
        return ys[..., :self.dim], ys[..., self.dim]


def regularised_nll_loss(model: RegularisedCNF, x: torch.Tensor, *, kinetic: float = 0.0,
                         frobenius: float = 0.0) -> torch.Tensor:
    """``-E[log q(x)] + kinetic · E[K] + frobenius · E[B]`` (Finlay et al.'s λ_K and λ_J)."""
    if not isinstance(model, RegularisedCNF):
        raise TypeError(f"model must be a RegularisedCNF; got {type(model).__name__}")
    nll = -model.log_prob(x).mean()
    return nll + kinetic * model.last_kinetic.mean() + frobenius * model.last_frobenius.mean()
