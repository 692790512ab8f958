"""Dynamics ``f(t, z)`` for continuous normalizing flows.

* :class:`HyperDynamics`: Chen et al.'s CNF of width ``M``,
  ``f(z, t) = (1/M) Σₘ σ(gₘ(t)) ⊙ uₘ(t) tanh(wₘ(t)ᵀz + bₘ(t))``, whose ``3MD + M`` parameters are the
  output of a small hypernetwork of ``t``. It is a planar layer's update spread over ``M`` units and
  made continuous in time; its divergence has a closed form (:meth:`HyperDynamics.with_divergence`).
* :class:`ConcatSquashDynamics`: FFJORD's MLP, each layer ``(W z + c) ⊙ σ(a t + a₀) + b t``, a
  time-gated linear map, with tanh between layers.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _validate


def _time(t: torch.Tensor | float, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(t, dtype=like.dtype, device=like.device).reshape(1, 1)


class HyperDynamics(nn.Module):
    """Chen et al.'s gated, hypernetwork dynamics of width ``M`` (``width``).

    Args:
        dim: dimension ``D`` of the state.
        width: ``M``, the number of planar-like units summed at each time.
        hidden: width of the hypernetwork ``t ↦ (W, U, G, B)``.
    """

    def __init__(self, dim: int = 2, width: int = 8, hidden: int = 32):
        super().__init__()
        self.dim = _validate.positive_int("dim", dim)
        self.width = _validate.positive_int("width", width)
        hidden = _validate.positive_int("hidden", hidden)
        self.hyper = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                   nn.Linear(hidden, 3 * width * dim + width))

    def weights(self, t: torch.Tensor | float, like: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``W, U``: ``(M, D)`` (``U`` already gated) and ``B``: ``(M,)`` at time ``t``."""
        p = self.hyper(_time(t, like)).reshape(-1)
        md = self.width * self.dim
        w, u, g = (p[k * md:(k + 1) * md].reshape(self.width, self.dim) for k in range(3))
        return w, u * torch.sigmoid(g), p[3 * md:]

    def forward(self, t: torch.Tensor | float, z: torch.Tensor) -> torch.Tensor:
        w, u, b = self.weights(t, z)
        return torch.tanh(z @ w.T + b) @ u / self.width

    def with_divergence(self, t: torch.Tensor | float, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``f(t, z)`` and its divergence ``tr ∂f/∂z = (1/M) Σₘ (1 - tanh²(wₘᵀz + bₘ)) uₘᵀwₘ`` in closed
        form, from one evaluation of the hypernetwork: ``(n, D)`` → ``(n, D)``, ``(n,)``."""
        w, u, b = self.weights(t, z)
        h = torch.tanh(z @ w.T + b)
        return h @ u / self.width, (1 - h**2) @ (u * w).sum(-1) / self.width


class ConcatSquash(nn.Module):
    """``(W z + c) ⊙ σ(a t + a₀) + b t``: a linear layer gated and shifted by the time."""

    def __init__(self, d_in: int, d_out: int):
        super().__init__()
        self.linear = nn.Linear(d_in, d_out)
        self.gate = nn.Linear(1, d_out)
        self.shift = nn.Linear(1, d_out, bias=False)

    def forward(self, t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.linear(z) * torch.sigmoid(self.gate(t)) + self.shift(t)


class ConcatSquashDynamics(nn.Module):
    """FFJORD's toy dynamics: concat-squash layers ``D → hidden … → D`` with tanh in between.

    Args:
        dim: dimension ``D``.
        hidden: hidden widths, e.g. ``(64, 64, 64)`` as in the FFJORD toy experiments.
    """

    def __init__(self, dim: int = 2, hidden: tuple[int, ...] = (64, 64, 64)):
        super().__init__()
        self.dim = _validate.positive_int("dim", dim)
        sizes = [dim, *(_validate.positive_int("hidden width", h) for h in hidden), dim]
        self.layers = nn.ModuleList(ConcatSquash(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))

    def forward(self, t: torch.Tensor | float, z: torch.Tensor) -> torch.Tensor:
        tt = _time(t, z)
        for k, layer in enumerate(self.layers):
            z = layer(tt, z)
            if k < len(self.layers) - 1:
                z = torch.tanh(z)
        return z
