"""The four models of Chen et al.'s Table 1, for 1-D sequences (and 2-D images).

All four share the set-up of the paper's MNIST experiment (``odenet_mnist.py`` of torchdiffeq), scaled to
the data: a *downsampling* stem (a convolution, then two stride-2 convolutions), a *feature* body, and a
head (norm, ReLU, pooling, linear). Only the body differs:

* ``mlp``: no convolutions at all, one hidden layer (the paper's 1-layer MLP, 300 units);
* ``resnet``: ``n_blocks`` residual blocks ``h ← h + f_k(h)``, each with its own :class:`ConvDynamics`;
* ``rknet``: one time-dependent :class:`ConvDynamics` integrated by fixed-step RK4 over ``[0, 1]``, with
  backpropagation through the solver's operations;
* ``odenet``: the same dynamics integrated by adaptive Dormand–Prince, gradients by the adjoint method.

The NFE counts live on the :class:`~nodebook.models.ODEBlock` (``nfe_forward``, ``nfe_backward``);
:func:`nfe` sums them over a model, and :func:`tolerance` changes the solver tolerance of a trained model.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from .. import _validate
from .blocks import ODEBlock, ResNetBlocks
from .classifier import ode_blocks
from .dynamics import ACTIVATIONS

TABLE1 = ("mlp", "resnet", "rknet", "odenet")
"""The model names of :func:`build_table1_model`, in the paper's order."""


def _conv(spatial_dims: int, *args, **kwargs) -> nn.Module:
    return (nn.Conv1d if spatial_dims == 1 else nn.Conv2d)(*args, **kwargs)


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(32, channels), channels)


class ConvDynamics(nn.Module):
    """Chen et al.'s convolutional ODE function ``f(t, h)``: norm, act, conv, norm, act, conv, norm.

    With ``time_dependent=True`` each convolution also sees ``t`` as one extra, constant input channel (the
    paper's ``ConcatConv``). The same module, time-independent, is the residual branch of a ResNet block.

    Args:
        channels: ``C``, channels in and out.
        spatial_dims: 1 (sequences, ``h (batch, C, L)``) or 2 (images, ``h (batch, C, H, W)``).
        kernel_size: odd; padding keeps the spatial size.
        time_dependent: feed ``t`` as an extra channel to both convolutions.
        activation: a key of :data:`~nodebook.models.ACTIVATIONS`. The paper's ReLU has kinks, where an
            adaptive solver must shorten its steps and the adjoint's backward solve loses accuracy; a
            smooth one (``softplus``) avoids both.

    Parameters: ``2·[(C + τ)·C·k^d + C] + 3·2C`` with ``τ = 1`` if time-dependent, ``k^d`` the kernel's size.
    """

    def __init__(self, channels: int, *, spatial_dims: int = 1, kernel_size: int = 3, time_dependent: bool = True,
                 activation: str = "relu"):
        super().__init__()
        self.channels = _validate.positive_int("channels", channels)
        if spatial_dims not in (1, 2):
            raise ValueError(f"spatial_dims must be 1 (sequences) or 2 (images); got {spatial_dims!r}")
        if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be an odd positive int (to keep the size); got {kernel_size!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; known: {', '.join(sorted(ACTIVATIONS))}")
        self.spatial_dims, self.time_dependent = spatial_dims, bool(time_dependent)
        self.act = ACTIVATIONS[activation]()
        c_in = channels + self.time_dependent
        pad = kernel_size // 2
        self.norm1, self.norm2, self.norm3 = _norm(channels), _norm(channels), _norm(channels)
        self.conv1 = _conv(spatial_dims, c_in, channels, kernel_size, padding=pad)
        self.conv2 = _conv(spatial_dims, c_in, channels, kernel_size, padding=pad)

    def _with_t(self, t, h: torch.Tensor) -> torch.Tensor:
        if not self.time_dependent:
            return h
        tt = torch.as_tensor(t, dtype=h.dtype, device=h.device).expand(len(h), 1, *h.shape[2:])
        return torch.cat([tt, h], dim=1)

    def forward(self, t, h: torch.Tensor) -> torch.Tensor:
        if h.dim() != 2 + self.spatial_dims or h.shape[1] != self.channels:
            want = "(batch, C, L)" if self.spatial_dims == 1 else "(batch, C, H, W)"
            raise ValueError(f"ConvDynamics(channels={self.channels}) expects h shaped {want} with "
                             f"C={self.channels}; got {tuple(h.shape)}")
        out = self.conv1(self._with_t(t, self.act(self.norm1(h))))
        out = self.conv2(self._with_t(t, self.act(self.norm2(out))))
        return self.norm3(out)


class ConvClassifier(nn.Module):
    """``head(body(stem(x)))`` for inputs shaped ``(batch, *in_shape)``.

    The stem maps one input channel to ``channels`` and halves the spatial size twice (kernel 4, stride 2):
    a sequence of length 40 becomes ``(channels, 10)``, a 28×28 image ``(channels, 7, 7)``. The head is
    norm, ReLU, then global average pooling (``pool=True``, as in the paper) or flattening, then linear.
    """

    def __init__(self, body: nn.Module, *, in_shape: Sequence[int], channels: int, n_classes: int = 10,
                 pool: bool = True):
        super().__init__()
        self.in_shape = tuple(int(s) for s in in_shape)
        if len(self.in_shape) not in (1, 2) or min(self.in_shape) < 4:
            raise ValueError(f"in_shape must be (length,) or (height, width), each >= 4; got {in_shape!r}")
        d = len(self.in_shape)
        self.stem = nn.Sequential(
            _conv(d, 1, channels, 3, padding=1), _norm(channels), nn.ReLU(),
            _conv(d, channels, channels, 4, stride=2, padding=1), _norm(channels), nn.ReLU(),
            _conv(d, channels, channels, 4, stride=2, padding=1))
        self.body = body
        reduced = [s // 4 for s in self.in_shape]
        flat = channels if pool else channels * int(torch.tensor(reduced).prod())
        pooling = (nn.AdaptiveAvgPool1d(1) if d == 1 else nn.AdaptiveAvgPool2d(1)) if pool else nn.Identity()
        self.head = nn.Sequential(_norm(channels), nn.ReLU(), pooling, nn.Flatten(), nn.Linear(flat, n_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The body's initial state: ``(batch, *in_shape) → (batch, C, *in_shape / 4)``."""
        if tuple(x.shape[1:]) != self.in_shape:
            raise ValueError(f"x must be shaped (batch, {', '.join(map(str, self.in_shape))}); got {tuple(x.shape)}")
        return self.stem(x.unsqueeze(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(self.features(x)))


class MLP(nn.Module):
    """The paper's 1-layer MLP: flatten, ``Linear(in, hidden)``, ReLU, ``Linear(hidden, n_classes)``."""

    def __init__(self, in_shape: Sequence[int], hidden: int = 300, n_classes: int = 10):
        super().__init__()
        self.in_shape = tuple(int(s) for s in in_shape)
        n_in = int(torch.tensor(self.in_shape).prod())
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def build_table1_model(name: str, *, in_shape: Sequence[int], n_classes: int = 10, channels: int = 64,
                       hidden: int = 300, resnet_blocks: int = 6, rk_steps: int = 4, rtol: float = 1e-3,
                       atol: float | None = None, pool: bool = True, adjoint: bool = True,
                       activation: str = "relu") -> nn.Module:
    """One of :data:`TABLE1`.

    Args:
        name: ``mlp``, ``resnet``, ``rknet`` or ``odenet``.
        in_shape: one sample's shape, ``(L,)`` or ``(H, W)``.
        channels: the convolutional models' width ``C``.
        hidden: the MLP's hidden units.
        resnet_blocks: residual blocks of the ResNet (the paper: 6).
        rk_steps: RK4 steps over ``[0, 1]`` for the RK-Net (``4·rk_steps`` evaluations of ``f``).
        rtol, atol: the ODE-Net's Dormand–Prince tolerances (``atol`` defaults to ``rtol``).
        pool: global average pooling in the head (else flatten).
        adjoint: the ODE-Net's gradients by the adjoint method (else backprop through dopri5).
        activation: of the convolutional dynamics (ResNet, RK-Net, ODE-Net); the paper's is ReLU.
    """
    if name not in TABLE1:
        raise ValueError(f"unknown model {name!r}; expected one of {', '.join(TABLE1)}")
    if name == "mlp":
        return MLP(in_shape, hidden, n_classes)
    d = len(tuple(in_shape))
    if name == "resnet":
        body = ResNetBlocks(lambda: ConvDynamics(channels, spatial_dims=d, time_dependent=False,
                                                 activation=activation), resnet_blocks, tied=False, step=1.0)
    elif name == "rknet":
        rk_steps = _validate.positive_int("rk_steps", rk_steps)
        body = ODEBlock(ConvDynamics(channels, spatial_dims=d, activation=activation), method="rk4",
                        options={"step_size": 1.0 / rk_steps})
    else:
        atol = rtol if atol is None else atol
        body = ODEBlock(ConvDynamics(channels, spatial_dims=d, activation=activation), method="dopri5", rtol=rtol,
                        atol=atol, adjoint=adjoint)
    return ConvClassifier(body, in_shape=in_shape, channels=channels, n_classes=n_classes, pool=pool)


def nfe(model: nn.Module) -> tuple[int, int]:
    """``(forward, backward)`` evaluations of the dynamics in the model's last pass, over all ODE blocks."""
    blocks = ode_blocks(model)
    return sum(b.nfe_forward for b in blocks), sum(b.nfe_backward for b in blocks)


@contextmanager
def tolerance(model: nn.Module, rtol: float, atol: float | None = None) -> Iterator[nn.Module]:
    """Run a trained model's adaptive ODE blocks at another tolerance, then restore the old one.

    ``with tolerance(model, 1e-5): model(x)``; ``atol`` defaults to ``rtol``.
    """
    rtol = _validate.positive_float("rtol", rtol)
    atol = rtol if atol is None else _validate.positive_float("atol", atol)
    blocks = ode_blocks(model)
    saved = [(b.rtol, b.atol) for b in blocks]
    for b in blocks:
        b.rtol, b.atol = rtol, atol
    try:
        yield model
    finally:
        for b, (r, a) in zip(blocks, saved, strict=True):
            b.rtol, b.atol = r, a
