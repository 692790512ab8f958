"""Where the adjoint goes wrong: reconstructing a fast-forgetting state backwards in time, and checkpoints."""

from __future__ import annotations

import math

import torch

from ...adjoint import AdjointStats, odeint_adjoint
from ...config import Config
from ...solvers import odeint, solve
from .memory import budget_threads


class LeakyIntegrator(torch.nn.Module):
    """``x' = -k x`` (forgets fast), ``y' = θ x`` (records x): the state is ``z = (x, y)``, shape ``(2,)``.

    Forward, x shrinks by ``e^{-kT}``; run backwards, any error in ``x(T)`` grows by ``e^{kT}``. With
    ``L = y(T)``, ``dL/dθ = ∫ x dt = x0 (1 - e^{-kT}) / k`` reads x along the whole reconstructed path.
    """

    def __init__(self, k: float = 10.0, theta: float = 1.0):
        super().__init__()
        self.k = k
        self.theta = torch.nn.Parameter(torch.tensor(theta, dtype=torch.float64))

    def forward(self, t, z):
        x = z[..., :1]
        return torch.cat([-self.k * x, self.theta * x], dim=-1)


def checkpointed_adjoint(func, y0, t, *, segments: int, **kwargs) -> torch.Tensor:
    """:func:`~nodebook.odeint_adjoint` with ``segments - 1`` checkpoints inside each output interval.

    The forward solve also keeps ``z`` at the checkpoints (``segments`` times as many stored states), and
    the backward pass restarts its reconstruction of ``z`` from them, so drift can grow only over one
    segment. Returns the solution at ``t`` only, shaped ``(len(t), *y0.shape)``.
    """
    if not isinstance(segments, int) or isinstance(segments, bool) or segments < 1:
        raise ValueError(f"segments must be an int >= 1; got {segments!r}")
    pieces = [torch.linspace(float(a), float(b), segments + 1, dtype=t.dtype, device=t.device)[:-1]
              for a, b in zip(t[:-1], t[1:], strict=True)]
    fine = torch.cat([*pieces, t[-1:]])
    return odeint_adjoint(func, y0, fine, **kwargs)[::segments]


@budget_threads
def reconstruction(cfg: Config, k: float = 10.0, t1: float = 1.0, x0: float = 1.0) -> dict:
    """Reconstruction error of ``z(t0)`` and gradient error vs tolerance on :class:`LeakyIntegrator`.

    For each tolerance (dopri5, rtol = atol): the adjoint's reconstruction error and the relative error
    of its ``dL/dθ`` against the exact value, the same for backprop through the solver and for the
    adjoint with ``cfg.budget['segments']`` checkpoints; plus, for three tolerances, the error of ``x``
    along the reverse-time solve of ``z`` alone from the forward ``z(T)`` (what the backward pass
    reconstructs), for a figure.
    """
    f64 = torch.float64
    exact = x0 * (1 - math.exp(-k * t1)) / k
    t = torch.tensor([0.0, t1], dtype=f64)
    segments = cfg.budget["segments"]
    rows = []
    for tol in cfg.budget["failure_tolerances"]:
        row: dict = {"tol": tol}
        for name in ("adjoint", "backprop", "checkpointed"):
            func, stats = LeakyIntegrator(k), AdjointStats()
            z0 = torch.tensor([x0, 0.0], dtype=f64)
            kw = {"method": "dopri5", "rtol": tol, "atol": tol}
            if name == "adjoint":
                ys = odeint_adjoint(func, z0, t, stats=stats, **kw)
            elif name == "checkpointed":
                ys = checkpointed_adjoint(func, z0, t, segments=segments, stats=stats, **kw)
            else:
                ys = odeint(func, z0, t, **kw)
            (g,) = torch.autograd.grad(ys[-1, 1], func.theta)
            row[f"{name}_grad_error"] = abs(float(g) - exact) / exact
            if name != "backprop":
                row[f"{name}_reconstruction_error"] = stats.reconstruction_error
                row[f"{name}_nfe"] = [stats.forward.nfe, stats.backward.nfe]
        rows.append(row)
    t_back = torch.linspace(t1, 0.0, 41, dtype=f64)
    x_true = x0 * torch.exp(-k * t_back)
    paths = {}
    tols = cfg.budget["failure_tolerances"]
    for tol in (tols[0], tols[len(tols) // 2], tols[-1]):
        func = LeakyIntegrator(k)
        with torch.no_grad():
            z_end = odeint(func, torch.tensor([x0, 0.0], dtype=f64), t, rtol=tol, atol=tol)[-1]
            back = solve(func, z_end, t_back, rtol=tol, atol=tol).ys
        paths[f"{tol:.0e}"] = (back[:, 0] - x_true).abs().tolist()
    return {"k": k, "t1": t1, "x0": x0, "exact_grad": exact, "amplification": math.exp(k * t1),
            "segments": segments, "rows": rows, "t": t_back.tolist(), "x_true": x_true.tolist(),
            "x_error": paths}
