"""Reference solutions of Assignment 4 (instructor copy)."""

import math

import torch

nfe = 16  # 4 steps of 4 stages
# the best order-keeping fit to the decreasing targets (2, 0, -1) is constant at their mean 1/3
bound = 0.5 * sum((1 / 3 - g) ** 2 for g in (2.0, 0.0, -1.0))


class _ResBlock(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norms = torch.nn.ModuleList(torch.nn.GroupNorm(min(32, c), c) for _ in range(3))
        self.convs = torch.nn.ModuleList(torch.nn.Conv1d(c, c, 3, padding=1) for _ in range(2))

    def forward(self, z):
        h = z
        for norm, conv in zip(self.norms, self.convs, strict=False):
            h = conv(torch.nn.functional.softplus(norm(h)))
        return z + self.norms[2](h)


def res_block(c):
    return _ResBlock(c)


def flow_can_negate(d):
    return d % 2 == 0  # det(-I) = (-1)^d must be positive; for even d, rotate each plane by π


def field(t, z):
    return math.pi * torch.stack([-z[..., 1], z[..., 0]], dim=-1)
