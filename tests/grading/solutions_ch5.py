"""Reference solutions of Assignment 5 (instructor copy)."""

import math

import torch

import nodebook as nb

# z = (x - 1)/2 = 0.5, log p(x) = log N(0.5) - log 2
log_px = -0.5 * 0.25 - 0.5 * math.log(2 * math.pi) - math.log(2.0)
# Gaussian: Σ A_ij² + Σ A_ij A_ji = 14 + 10; Rademacher: the same over i ≠ j = 4 + 0
var_gaussian = 24.0
var_rademacher = 4.0


def hutchinson(f, z, eps):
    z = z.detach().requires_grad_(True)
    (vjp,) = torch.autograd.grad(f(z), z, grad_outputs=eps)
    return (vjp * eps).sum(-1)


def log_prob(x, A, T):
    n = x.shape[0]

    def augmented(t, s):
        z = s[:, :2]
        return torch.cat([z @ A.T, -torch.trace(A).expand(n, 1)], dim=1)

    s_t = torch.cat([x, torch.zeros(n, 1, dtype=x.dtype)], dim=1)
    s0 = nb.odeint(augmented, s_t, torch.tensor([T, 0.0], dtype=x.dtype), rtol=1e-10, atol=1e-12)[-1]
    z0, l0 = s0[:, :2], s0[:, 2]
    log_p0 = -0.5 * z0.pow(2).sum(-1) - math.log(2 * math.pi)
    return log_p0 - l0
