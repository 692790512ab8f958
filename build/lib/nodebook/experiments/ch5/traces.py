"""(b) Hutchinson's trace estimator: mean and variance on fixed matrices, and its cost against the exact trace."""

from __future__ import annotations

import torch

from ...config import Config
from ...config import one_cpu_thread as _threads
from ...config import seeded as _seeded
from ...flows import (
    ConcatSquashDynamics,
    exact_trace,
    hutchinson_trace,
    hutchinson_variance,
    sample_noise,
)
from ...measure import time_call


def trace_variance(cfg: Config) -> dict:
    """Hutchinson estimates of ``tr A`` for a random and a diagonal ``D × D`` matrix, both noises.

    Returns:
        ``rows``: per (matrix, noise): exact trace, empirical mean and variance over ``hutch_samples``
        draws, the closed-form variance, and the mean's standard error.
    """
    d, n = cfg.budget["hutch_dim"], cfg.budget["hutch_samples"]
    g = torch.Generator().manual_seed(cfg.seed)
    random_a = torch.randn(d, d, generator=g, dtype=torch.float64)
    mats = {"random": random_a, "diagonal": torch.diag(torch.diagonal(random_a))}
    rows = []
    for mat_name, a in mats.items():
        for kind in ("gaussian", "rademacher"):
            e = sample_noise((n, d), kind, dtype=torch.float64, generator=g)
            est = torch.einsum("ni,ij,nj->n", e, a, e)
            rows.append({"matrix": mat_name, "noise": kind, "exact": float(torch.trace(a)),
                         "mean": float(est.mean()), "var": float(est.var()),
                         "var_theory": hutchinson_variance(a, kind),
                         "stderr": float(est.std() / n**0.5)})
    return {"dim": d, "samples": n, "rows": rows}


def trace_cost(cfg: Config) -> dict:
    """Seconds for one evaluation of ``f`` plus its trace, exact vs Hutchinson, as the dimension grows.

    ``f`` is a concat-squash MLP ``D → 64 → 64 → D`` on a batch of ``trace_batch`` states.
    """
    b = cfg.budget
    rows = []
    with _threads(cfg.device):
        for d in b["trace_dims"]:
            with _seeded(cfg.seed):
                f = ConcatSquashDynamics(d, (64, 64)).to(device=cfg.device, dtype=cfg.dtype)
                z = torch.randn(b["trace_batch"], d, device=cfg.device, dtype=cfg.dtype).requires_grad_(True)
            e = sample_noise((b["trace_batch"], d), "rademacher", dtype=cfg.dtype, device=cfg.device)

            def exact(f=f, z=z):
                return exact_trace(f(0.5, z), z)

            def hutch(f=f, z=z, e=e):
                return hutchinson_trace(f(0.5, z), z, e)

            t_exact = time_call(exact, repeat=b["trace_repeat"], device=cfg.device)
            t_hutch = time_call(hutch, repeat=b["trace_repeat"], device=cfg.device)
            rows.append({"dim": d, "exact_ms": 1000 * t_exact, "hutchinson_ms": 1000 * t_hutch,
                         "ratio": t_exact / t_hutch})
    return {"rows": rows, "batch": b["trace_batch"]}
