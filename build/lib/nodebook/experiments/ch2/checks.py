"""Self-checks for chapter 2's exercises."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ...config import Config
from ...config import one_cpu_thread as _threads
from ...data import concentric_circles
from ...exercises import verdict_close, verdict_order
from ...measure import fit_order
from .euler import euler_gaps, flow, random_dynamics


def check_block_order(block: Callable, expected_order: int, cfg: Config | None = None, *,
                      tol: float = 0.2) -> float:
    """Self-check: a residual block ``block(func, t, h, step)`` converges to the flow with ``expected_order``.

    The block is stacked ``N = 8 … 128`` times with step ``1/N`` on the chapter's random field, and the
    order is the fitted slope of log(gap) against log(step), as in :func:`euler_limit`.

    Returns:
        The measured order.
    """
    # Not setup(): a self-check must not reseed the learner's random state.
    cfg = cfg or Config(chapter="ch2", mode="quick", device=torch.device("cpu"), dtype=torch.float64, seed=0)
    f = random_dynamics(cfg)
    h0 = concentric_circles(64, seed=cfg.seed, dtype=torch.float64, device=cfg.device)[0]
    n_blocks = [8, 16, 32, 64, 128]
    with _threads(cfg.device):
        exact, _ = flow(f, h0, [0.0, 1.0])
    gaps = euler_gaps(block, f, h0, exact[-1], n_blocks)
    order = fit_order([1.0 / n for n in n_blocks], gaps)
    return verdict_order(order, expected_order, tol, f"gaps {gaps[0]:.2e} … {gaps[-1]:.2e}",
                         "the block must return h plus step times a combination of slopes of f.")


def check_gap_constant(c: float, rate: float = 1.0) -> float:
    """Self-check: the constant ``C`` in ``e^a - (1 + a/N)^N ≈ C/N`` for ``dh/dt = a·h``, ``h(0) = 1``.

    Returns:
        The exact constant ``a² e^a / 2``.
    """
    exact = rate**2 * math.exp(rate) / 2
    return verdict_close(c, exact, what=f"C for a = {rate:g}",
                         hint="expand N·log(1 + a/N) to second order in 1/N, or measure N·gap for a large N.",
                         success=f"C = {float(c):.4g}: the gap of a tied ResNet on dh/dt = {rate:g}·h "
                                 f"is about {exact:.4g}/N")
