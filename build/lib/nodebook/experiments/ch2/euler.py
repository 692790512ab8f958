"""(a) The Euler limit: a weight-tied ResNet with ``N`` blocks of step ``1/N`` against the ODE flow of the
same fixed, random dynamics; the gap shrinks like ``1/N``."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ...config import Config
from ...config import one_cpu_thread as _threads
from ...config import seeded as _seeded
from ...data import concentric_circles
from ...measure import fit_order
from ...models import MLPDynamics, ResNetBlocks
from ...solvers import solve

FLOW_TOL = 1e-10  # the "exact" flow: dopri5 this tight in float64 is far below any Euler gap measured


def random_dynamics(cfg: Config, *, dim: int = 2, width: int = 32, gain: float = 4.0) -> MLPDynamics:
    """The fixed, randomly initialised field ``f(h)`` of the Euler-limit study (float64, seeded).

    ``gain`` scales the output layer so that trajectories over ``t ∈ [0, 1]`` bend visibly.
    """
    with _seeded(cfg.seed):
        f = MLPDynamics(dim, width)
    with torch.no_grad():
        f.net[-1].weight.mul_(gain)
        f.net[-1].bias.mul_(gain)
    return f.to(device=cfg.device, dtype=torch.float64).requires_grad_(False)


def flow(func: Callable, h0: torch.Tensor, ts: torch.Tensor | list[float], tol: float = FLOW_TOL):
    """The ODE flow of ``func`` from ``h0`` at times ``ts``, by dopri5 at ``rtol = atol = tol``.

    Returns:
        ``(len(ts), *h0.shape)`` states and the solve's NFE.
    """
    t = torch.as_tensor(ts, dtype=h0.dtype, device=h0.device)
    sol = solve(func, h0, t, method="dopri5", rtol=tol, atol=tol)
    return sol.ys, sol.stats.nfe


def euler_gaps(block: Callable, func: Callable, h0: torch.Tensor, exact: torch.Tensor,
               n_blocks: list[int]) -> list[float]:
    """Largest distance ``max_i |h_N(x_i) - h(1; x_i)|`` after ``N`` applications of ``block``.

    Args:
        block: ``block(func, t, h, step) -> h_next``, one residual block with step ``1/N``.
        func: the dynamics ``func(t, h)``.
        h0: ``(batch, dim)`` starting points; exact: ``(batch, dim)`` the flow at ``t = 1``.
        n_blocks: the depths ``N`` to try.
    """
    gaps = []
    with _threads(h0.device), torch.no_grad():
        for n in n_blocks:
            h, step = h0, 1.0 / n
            for k in range(n):
                h = block(func, torch.tensor(k * step, dtype=h0.dtype, device=h0.device), h, step)
            gaps.append(float((h - exact).norm(dim=-1).max()))
    return gaps


def euler_block(func: Callable, t: torch.Tensor, h: torch.Tensor, step: float) -> torch.Tensor:
    """One residual block ``h + step·f(t, h)``: an explicit Euler step."""
    return h + step * func(t, h)


def euler_limit(cfg: Config, n_points: int = 256, frame_blocks: tuple[int, ...] = (1, 2, 4, 8, 16, 32),
                n_paths: int = 12) -> dict:
    """Weight-tied ResNets of depth ``N`` (step ``1/N``) against the ODE flow of the same random field.

    Returns:
        ``n_blocks``, ``gap`` (largest distance to the flow at ``t = 1``), ``order`` (fitted on the four
        deepest nets), ``slope`` (of log gap against log N, ``= -order``), ``flow_nfe``, and ``frames``:
        for each depth in ``frame_blocks``, the paths of ``n_paths`` points through the blocks, with the
        flow's paths in ``exact_paths`` (for the slider figure).
    """
    f = random_dynamics(cfg)
    h0 = concentric_circles(n_points, seed=cfg.seed, dtype=torch.float64, device=cfg.device)[0]
    n_blocks = list(cfg.budget.get("euler_blocks", [1, 2, 4, 8, 16, 32, 64, 128]))
    with _threads(cfg.device), torch.no_grad():
        exact, nfe = flow(f, h0, [0.0, 1.0])
        gaps = euler_gaps(euler_block, f, h0, exact[-1], n_blocks)
        # The paths drawn: points on a circle of radius 1, through tied blocks and along the flow.
        angle = torch.arange(n_paths, dtype=torch.float64, device=cfg.device) * (2 * math.pi / n_paths)
        starts = torch.stack([angle.cos(), angle.sin()], dim=1)
        exact_paths, _ = flow(f, starts, torch.linspace(0, 1, 65))
        frames = []
        for n in frame_blocks:
            states = ResNetBlocks(f, n, tied=True, t1=1.0).trajectory(starts)
            frames.append({"n": n, "paths": states.permute(1, 0, 2).cpu().tolist(),
                           "gap": float((states[-1] - exact_paths[-1]).norm(dim=-1).max())})
    order = fit_order([1.0 / n for n in n_blocks], gaps)
    return {"n_blocks": n_blocks, "gap": gaps, "order": order, "slope": -order, "flow_nfe": nfe,
            "flow_tol": FLOW_TOL, "frames": frames, "exact_paths": exact_paths.permute(1, 0, 2).cpu().tolist()}
