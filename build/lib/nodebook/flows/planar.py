"""A planar normalizing flow (Rezende & Mohamed, 2015): ``K`` layers ``z ↦ z + u h(wᵀz + b)``.

One layer changes the log-density by ``-log|det ∂f/∂z| = -log|1 + uᵀψ(z)|`` with
``ψ(z) = h'(wᵀz + b) w`` (the matrix determinant lemma: the Jacobian ``I + u ψᵀ`` is a rank-one update
of the identity). That closed form is what makes the layer usable; a general layer would need an
``O(D³)`` determinant. With ``h = tanh`` the layer is invertible when ``wᵀu ≥ -1``; :class:`PlanarLayer`
enforces it by the reparametrisation ``û = u + (m(wᵀu) - wᵀu) w / ‖w‖²``, ``m(a) = -1 + softplus(a)``.
There is no closed-form inverse, so a planar flow is fitted by ``KL(q‖p)`` from its own samples, not by
maximum likelihood on data.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .. import _validate
from .densities import check_points


def standard_normal_log_prob(z: torch.Tensor, std: float = 1.0) -> torch.Tensor:
    """``log N(z; 0, std² I)`` summed over the last dimension: ``(n, D)`` → ``(n,)``."""
    d = z.shape[-1]
    return -0.5 * (z / std).pow(2).sum(-1) - d * math.log(std) - 0.5 * d * math.log(2 * math.pi)


class PlanarLayer(nn.Module):
    """One planar layer in ``D`` dimensions; ``forward(z)`` returns ``(f(z), log|det ∂f/∂z|)``."""

    def __init__(self, dim: int, init_scale: float = 0.5):
        super().__init__()
        self.w = nn.Parameter(init_scale * torch.randn(dim))
        self.u = nn.Parameter(init_scale * torch.randn(dim))
        self.b = nn.Parameter(torch.zeros(()))

    def u_hat(self) -> torch.Tensor:
        """``û``, with ``wᵀû ≥ -1`` so that the layer is invertible."""
        wu = self.w @ self.u
        return self.u + (-1 + F.softplus(wu) - wu) * self.w / (self.w @ self.w + 1e-12)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        u = self.u_hat()
        a = z @ self.w + self.b  # (n,)
        h = torch.tanh(a)
        psi = (1 - h**2)[:, None] * self.w  # h'(a) w, (n, D)
        logdet = torch.log((1 + psi @ u).abs() + 1e-12)
        return z + h[:, None] * u, logdet


class PlanarFlow(nn.Module):
    """``K`` planar layers on a base ``N(0, base_std² I)``: samples and their log-densities.

    Args:
        dim: dimension ``D``.
        n_layers: ``K``.
        base_std: standard deviation of the Gaussian base density.
    """

    def __init__(self, dim: int = 2, n_layers: int = 8, base_std: float = 1.0):
        super().__init__()
        self.dim = _validate.positive_int("dim", dim)
        self.layers = nn.ModuleList(PlanarLayer(dim) for _ in range(_validate.positive_int("n_layers", n_layers)))
        self.base_std = _validate.positive_float("base_std", base_std)

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Push base points ``z``: ``(n, D)`` through the layers; return ``x`` and ``Σ log|det|``: ``(n,)``."""
        check_points(z, self.dim)
        total = z.new_zeros(len(z))
        for layer in self.layers:
            z, logdet = layer(z)
            total = total + logdet
        return z, total

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` samples ``x`` and their log-densities ``log q(x) = log p₀(z) - Σ log|det|``."""
        p = next(self.parameters())
        z = self.base_std * torch.randn(_validate.positive_int("n", n), self.dim, generator=generator,
                                        dtype=p.dtype, device=p.device if generator is None else "cpu").to(p.device)
        x, logdet = self(z)
        return x, standard_normal_log_prob(z, self.base_std) - logdet
