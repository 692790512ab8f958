"""Dynamics ``f(t, h)``: the right-hand side ``dh/dt = f(t, h, θ)`` an ODE block integrates.

The same module is one residual branch in a ResNet (``h ← h + step·f(t, h)``) and the vector field of an
ODE-Net, which is what lets a chapter compare the two with the very same parameters.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _validate

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "tanh": nn.Tanh, "relu": nn.ReLU, "softplus": nn.Softplus, "elu": nn.ELU, "silu": nn.SiLU,
}
"""Activation name → module class. Smooth ones (tanh, softplus, silu) keep adaptive solvers cheap."""


class MLPDynamics(nn.Module):
    """An MLP vector field ``f(t, h)`` from ``dim`` to ``dim``.

    ``depth`` linear layers (``dim → width → … → width → dim``) with ``activation`` between them. With
    ``time_dependent=True`` the time is appended to the input, ``f(t, h) = MLP([h, t])``, so the field
    can change along the trajectory; otherwise ``t`` is ignored (an autonomous ODE, like a weight-tied
    ResNet).

    Args:
        dim: state size.
        width: hidden width (unused when ``depth == 1``, a linear field).
        depth: number of linear layers, ``>= 1``.
        activation: a key of :data:`ACTIVATIONS`.
        time_dependent: feed ``t`` to the first layer.

    Shapes:
        ``t``: 0-d tensor or float; ``h``: ``(batch, dim)``; output ``(batch, dim)``.
    """

    def __init__(self, dim: int, width: int, *, depth: int = 2, activation: str = "tanh",
                 time_dependent: bool = False):
        super().__init__()
        self.dim = _validate.positive_int("dim", dim)
        self.width = _validate.positive_int("width", width)
        self.depth = _validate.positive_int("depth", depth)
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; known: {', '.join(sorted(ACTIVATIONS))}")
        self.activation = activation
        self.time_dependent = bool(time_dependent)
        sizes = [dim + self.time_dependent] + [width] * (depth - 1) + [dim]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            if i > 0:
                layers.append(ACTIVATIONS[activation]())
            layers.append(nn.Linear(a, b))
        self.net = nn.Sequential(*layers)

    def forward(self, t: torch.Tensor | float, h: torch.Tensor) -> torch.Tensor:
        if h.shape[-1] != self.dim:
            raise ValueError(f"MLPDynamics(dim={self.dim}) expects h shaped (..., {self.dim}); "
                             f"got {tuple(h.shape)}")
        if self.time_dependent:
            tt = torch.as_tensor(t, dtype=h.dtype, device=h.device).expand(*h.shape[:-1], 1)
            h = torch.cat([h, tt], dim=-1)
        return self.net(h)

    def extra_repr(self) -> str:
        return f"time_dependent={self.time_dependent}"
