"""Tuple states ``y0 = (a, b, ...)``, as torchdiffeq accepts them: flattened into one tensor inside.

``func`` receives and returns tuples shaped like ``y0``; the solvers see one flat tensor; the output is
a tuple of ``(len(t), *part.shape)`` tensors. The adaptive error norm is the largest of the parts' RMS
norms (torchdiffeq's mixed norm), so a small part is not drowned by a large one.
"""

from __future__ import annotations

import torch

from ._check import check_y0
from .dopri5 import rms


class Packed:
    """The parts' shapes and the flat state ``flat`` (differentiable with respect to every part)."""

    def __init__(self, y0: tuple):
        if len(y0) == 0:
            raise ValueError("y0 must hold at least one tensor; got an empty tuple")
        for i, part in enumerate(y0):
            check_y0(part, name=f"y0[{i}]")
        first = y0[0]
        for i, part in enumerate(y0[1:], start=1):
            if part.dtype != first.dtype or part.device != first.device:
                raise TypeError(
                    f"the tensors of a tuple y0 must share one dtype and device; got y0[0]: {first.dtype} on "
                    f"{first.device} and y0[{i}]: {part.dtype} on {part.device}")
        self.shapes = [part.shape for part in y0]
        self.sizes = [part.numel() for part in y0]
        self.flat = torch.cat([part.reshape(-1) for part in y0])

    def split(self, flat: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``(..., total)`` → tuple of ``(..., *shape_i)``."""
        lead = flat.shape[:-1]
        return tuple(p.reshape((*lead, *s)) for p, s in zip(flat.split(self.sizes, dim=-1), self.shapes, strict=True))

    def wrap(self, func):
        """``func`` on tuples as a function on the flat state."""
        k = len(self.shapes)

        def flat_func(t, y):
            out = func(t, self.split(y))
            if not isinstance(out, (tuple, list)) or len(out) != k:
                got = f"a {type(out).__name__} of length {len(out)}" if isinstance(out, (tuple, list)) \
                    else type(out).__name__
                raise TypeError(f"func(t, y) must return a tuple of {k} tensors shaped like y; got {got}")
            for i, (o, s) in enumerate(zip(out, self.shapes, strict=True)):
                if not isinstance(o, torch.Tensor) or o.shape != s:
                    got = f"shape {tuple(o.shape)}" if isinstance(o, torch.Tensor) else type(o).__name__
                    raise ValueError(f"func(t, y)[{i}] must be a tensor of shape {tuple(s)} like y[{i}]; got {got}")
            return torch.cat([o.reshape(-1) for o in out])

        return flat_func

    def norm(self, x: torch.Tensor) -> float:
        """The largest RMS over the parts of a flat tensor."""
        return max(rms(p) for p in x.split(self.sizes))
