"""(c) Faster adjoints: the backward solve's error norm (mixed, rms, seminorm) against a float64 reference."""

from __future__ import annotations

import time

import torch
from torch import nn

from ...adjoint import NORMS, AdjointStats, odeint_adjoint
from ...config import Config, seeded
from ...config import one_cpu_thread as _threads


class MLPField(nn.Module):
    """``f(t, y) = W₃ tanh(W₂ tanh(W₁ y))``: an autonomous MLP vector field ``dim → width → width → dim``."""

    def __init__(self, dim: int, width: int, gain: float = 1.0):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, width), nn.Tanh(), nn.Linear(width, width), nn.Tanh(),
                                 nn.Linear(width, dim))
        with torch.no_grad():  # a larger gain: faster, more curved trajectories, so the solver has work to do
            for layer in self.net[::2]:
                layer.weight.mul_(gain)

    def forward(self, t, y):
        return self.net(y)


def _problem(dim: int, width: int, batch: int, seed: int, dtype: torch.dtype, gain: float):
    with seeded(seed):
        field = MLPField(dim, width, gain).to(dtype)  # float32 draws, cast: both precisions solve the same problem
        y0 = torch.randn(batch, dim).to(dtype)
        weight = torch.randn(batch, dim).to(dtype)
    return field, y0, weight


def _gradient(field, y0, weight, *, t1: float, tol: float, norm: str | None, library: str = "nodebook"):
    """``dL/dθ`` for ``L = Σ w · y(t1)`` by the adjoint; also backward NFE and seconds."""
    t = torch.tensor([0.0, t1], dtype=y0.dtype)
    field.zero_grad()
    start = time.perf_counter()
    if library == "torchdiffeq":
        import torchdiffeq

        from ...measure import NFECounter

        counted = NFECounter(field)
        opts = {} if norm in (None, "mixed") else {"norm": norm}
        ys = torchdiffeq.odeint_adjoint(counted, y0, t, rtol=tol, atol=tol, adjoint_options=opts,
                                        adjoint_params=tuple(field.parameters()))
        forward = counted.reset()
        (ys[-1] * weight).sum().backward()
        nfe = counted.nfe
        del forward
    else:
        stats = AdjointStats()
        opts = None if norm is None else {"norm": norm}
        ys = odeint_adjoint(field, y0, t, rtol=tol, atol=tol, adjoint_options=opts, stats=stats)
        (ys[-1] * weight).sum().backward()
        nfe = stats.backward.nfe
    seconds = time.perf_counter() - start
    return torch.cat([p.grad.reshape(-1) for p in field.parameters()]).double(), nfe, seconds


def reference_gradient(dim: int, width: int, batch: int, seed: int = 0, *, gain: float = 1.0, t1: float = 10.0,
                       tol: float = 1e-10) -> torch.Tensor:
    """The float64 parameter gradient at a tight tolerance: the yardstick of :func:`norm_accuracy`."""
    field, y0, weight = _problem(dim, width, batch, seed, torch.float64, gain)
    return _gradient(field, y0, weight, t1=t1, tol=tol, norm="mixed")[0]


def norm_accuracy(dim: int = 16, width: int = 64, batch: int = 32, *, tol: float = 1e-5, seed: int = 0,
                  gain: float = 1.0, t1: float = 10.0, libraries: tuple[str, ...] = ("nodebook", "torchdiffeq"),
                  norms: tuple[str, ...] = NORMS, repeat: int = 1) -> list[dict]:
    """Relative parameter-gradient error (float32 at ``tol``) against a float64 reference, per norm.

    The problem: ``L = Σ w·y(t1)`` for random ``w`` and ``y0``, an :class:`MLPField` with layer weights
    scaled by ``gain`` (larger: a harder solve). Returns one row per (library, norm): ``rel_error``,
    backward ``nfe``, ``seconds`` (best of ``repeat``); torchdiffeq has no ``"rms"`` norm for its adjoint.
    """
    ref = reference_gradient(dim, width, batch, seed, gain=gain, t1=t1)
    if "torchdiffeq" in libraries:
        import torchdiffeq  # noqa: F401 (imported before any timing)
    rows = []
    for lib in libraries:
        for norm in norms:
            if lib == "torchdiffeq" and norm == "rms":
                continue
            field, y0, weight = _problem(dim, width, batch, seed, torch.float32, gain)
            best = None
            for _ in range(repeat):
                g, nfe, sec = _gradient(field, y0, weight, t1=t1, tol=tol, norm=norm, library=lib)
                best = sec if best is None else min(best, sec)
            rows.append({"library": lib, "norm": norm, "nfe": nfe, "seconds": best,
                         "rel_error": float((g - ref).norm() / ref.norm())})
    return rows


def seminorm_comparison(cfg: Config) -> dict:
    """The chapter's table: each norm's backward NFE, time and gradient error, nodebook and torchdiffeq."""
    b = cfg.budget["adjoint"]
    with _threads("cpu"):
        rows = norm_accuracy(b["dim"], b["width"], b["batch"], tol=b["tol"], seed=cfg.seed, gain=b["gain"],
                             t1=b["t1"], repeat=b["repeat"])
    return {"rows": rows, **b}
