"""Reference solutions of Assignment 1 (instructor copy)."""

import math

import numpy as np
import torch

import nodebook as nb

y_euler = 0.5  # y1 = 1 + 0.5·(0 - 1) = 0.5; y2 = 0.5 + 0.5·(0.5 - 0.5) = 0.5
error = abs(y_euler - 2 * math.exp(-1.0))


def fitted_order(hs, errors):
    return float(np.polyfit(np.log(hs), np.log(errors), 1)[0])


def ralston_step(f, t, y, h):
    k1 = f(t, y)
    k2 = f(t + 2 * h / 3, y + 2 * h / 3 * k1)
    return y + h * (k1 / 4 + 3 * k2 / 4)


def kutta3_step(f, t, y, h):
    k1 = f(t, y)
    k2 = f(t + h / 2, y + h / 2 * k1)
    k3 = f(t + h, y - h * k1 + 2 * h * k2)
    return y + h / 6 * (k1 + 4 * k2 + k3)


def _decays(h, rate=10.0):
    y0 = torch.ones(1, dtype=torch.float64)
    t = torch.tensor([0.0, 400 * h], dtype=torch.float64)
    y = nb.odeint(lambda t, y: -rate * y, y0, t, method="rk4", options={"step_size": h})
    return y[-1].abs().item() < 1.0


lo, hi = 0.1, 0.5  # decays at lo, not at hi
for _ in range(30):
    mid = (lo + hi) / 2
    lo, hi = (mid, hi) if _decays(mid) else (lo, mid)
h_max = lo
