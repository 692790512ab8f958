"""A classifier for low-dimensional data: lift the input, carry it through a body, read off the classes.

``x (batch, in_dim) → h(0) (batch, hidden_dim) → body → h(T) → linear head → logits (batch, n_classes)``.
The lift is either zero-padding (the *augmented* Neural ODE of Dupont et al.: extra dimensions give
trajectories room to go around each other instead of crossing) or a learned linear map.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .. import _validate
from .blocks import ODEBlock, ResNetBlocks

LIFTS = ("augment", "linear")


class Classifier(nn.Module):
    """``head(body(lift(x)))``.

    Args:
        body: an :class:`ODEBlock`, :class:`ResNetBlocks` or any module ``(batch, hidden_dim) → (batch,
            hidden_dim)``.
        in_dim: input size.
        hidden_dim: size of the state the body carries; default ``in_dim``.
        n_classes: number of classes (logits).
        lift: ``"augment"`` appends ``hidden_dim - in_dim`` zeros (with ``hidden_dim == in_dim`` the body
            acts on the input space itself); ``"linear"`` learns ``nn.Linear(in_dim, hidden_dim)``.

    Shapes:
        ``x``: ``(batch, in_dim)``; output ``(batch, n_classes)`` logits.
    """

    def __init__(self, body: nn.Module, *, in_dim: int = 2, hidden_dim: int | None = None,
                 n_classes: int = 2, lift: str = "augment"):
        super().__init__()
        if not isinstance(body, nn.Module):
            raise TypeError(f"body must be an nn.Module; got {_validate.describe(body)}")
        self.in_dim = _validate.positive_int("in_dim", in_dim)
        self.hidden_dim = in_dim if hidden_dim is None else _validate.positive_int("hidden_dim", hidden_dim)
        self.n_classes = _validate.positive_int("n_classes", n_classes, minimum=2)
        if lift not in LIFTS:
            raise ValueError(f"lift must be one of {', '.join(LIFTS)}; got {lift!r}")
        if lift == "augment" and self.hidden_dim < in_dim:
            raise ValueError(f"lift='augment' pads with zeros, so hidden_dim must be >= in_dim={in_dim}; "
                             f"got hidden_dim={self.hidden_dim} (use lift='linear' to project down)")
        self.lift = nn.Linear(in_dim, self.hidden_dim) if lift == "linear" else None
        self.body = body
        self.head = nn.Linear(self.hidden_dim, self.n_classes)

    @property
    def augment_dim(self) -> int:
        """Zero dimensions appended to the input (0 with a linear lift)."""
        return 0 if self.lift is not None else self.hidden_dim - self.in_dim

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, in_dim) → (batch, hidden_dim)``: the body's initial state."""
        if x.dim() != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"x must be shaped (batch, {self.in_dim}); got {tuple(x.shape)}")
        if self.lift is not None:
            return self.lift(x)
        return torch.cat([x, x.new_zeros(len(x), self.augment_dim)], dim=1) if self.augment_dim else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(self.encode(x)))

    def trajectory(self, x: torch.Tensor, ts: torch.Tensor | Sequence[float] | None = None) -> torch.Tensor:
        """Hidden states through depth or time, for drawing how the body transports the inputs.

        Args:
            x: ``(batch, in_dim)`` inputs.
            ts: output times for an :class:`ODEBlock` body (default: 21 points from 0 to ``t1``). A
                :class:`ResNetBlocks` body has states only after each block (at ``body.times``), so
                ``ts`` must be left out.

        Returns:
            ``(T, batch, hidden_dim)``.
        """
        h = self.encode(x)
        if isinstance(self.body, ODEBlock):
            return self.body.trajectory(h, torch.linspace(0, self.body.t1, 21) if ts is None else ts)
        if isinstance(self.body, ResNetBlocks):
            if ts is not None:
                raise ValueError("a ResNetBlocks body has states only after each block (at body.times); "
                                 f"call trajectory(x) without ts; got ts={_validate.describe(ts)}")
            return self.body.trajectory(h)
        raise TypeError(f"trajectory needs an ODEBlock or ResNetBlocks body; got {type(self.body).__name__}")


def count_parameters(model: nn.Module, *, trainable_only: bool = True) -> int:
    """Number of (trainable) scalar parameters; a parameter shared by several layers counts once."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module; got {_validate.describe(model)}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def ode_blocks(model: nn.Module) -> list[ODEBlock]:
    """The :class:`ODEBlock` submodules of ``model`` (itself included), in registration order."""
    return [m for m in model.modules() if isinstance(m, ODEBlock)]
