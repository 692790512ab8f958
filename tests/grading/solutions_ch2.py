"""Reference solutions of Assignment 2 (instructor copy)."""

import math

import torch

import nodebook as nb

z_out = 2 * 0.75**4
n_blocks = next(n for n in range(1, 1000) if abs(2 * math.exp(-1) - 2 * (1 - 1 / n) ** n) < 0.01)


def flow_det(func, z0, t1):
    t = torch.tensor([0.0, t1], dtype=z0.dtype)
    jac = torch.autograd.functional.jacobian(lambda z: nb.odeint(func, z, t, rtol=1e-10, atol=1e-12)[-1], z0)
    return float(torch.linalg.det(jac))


s_max = 1.0 / float(torch.linalg.matrix_norm(torch.tensor([[2.0, 1.0], [0.0, 3.0]]), ord=2))


def invert_block(g, y, n_iter):
    z = y.clone()
    for _ in range(n_iter):
        z = y - g(z)
    return z
