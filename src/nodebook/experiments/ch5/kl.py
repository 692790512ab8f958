"""(a) The paper's Figure 4 analogue: planar flows (K layers) against CNFs (width M) fitted by KL."""

from __future__ import annotations

import numpy as np
import torch

from ...config import Config
from ...config import one_cpu_thread as _threads
from ...config import seeded as _seeded
from ...flows import (
    CNF,
    HyperDynamics,
    PlanarFlow,
    fit_flow,
    grid,
    kl_loss,
    log_normaliser,
    target_log_density,
)
from ._common import LIM, _hist2d


def build_kl_model(kind: str, size: int, cfg: Config) -> torch.nn.Module:
    """A planar flow with ``K = size`` layers or a CNF of width ``M = size`` (RK4, fixed steps)."""
    b = cfg.budget
    with _seeded(cfg.seed + size):
        if kind == "planar":
            model = PlanarFlow(2, size)
        else:
            model = CNF(HyperDynamics(2, size, hidden=b["cnf_hidden"]), t1=1.0, trace="analytic",
                        method="rk4", options={"step_size": 1.0 / b["kl_rk4_steps"]})
    return model.to(device=cfg.device, dtype=cfg.dtype)


def planar_vs_cnf(cfg: Config, *, progress: bool = False) -> dict:
    """Fit every model of the comparison to every target; report ``KL(q‖p)`` in nats (``log Z`` added).

    Returns:
        ``rows``: one dict per (target, model, size) with ``kl``, ``params``, ``seconds``, ``loss``
        (the curve); ``hists``: ``{(target, kind, size): 2-D histogram of 20k samples}``; ``targets``:
        ``{target: density on the grid}``; ``axis``: the grid's axis.
    """
    b = cfg.budget
    axis, pts, _ = grid(LIM, b["grid"], dtype=torch.float64)
    rows, hists, targets = [], {}, {}
    with _threads(cfg.device):
        for target in b["targets"]:
            log_z = log_normaliser(target)
            targets[target] = (target_log_density(target, pts) - log_z).exp().reshape(len(axis), -1).numpy()
            for kind, sizes in (("planar", b["planar_k"]), ("cnf", b["cnf_m"])):
                for size in sizes:
                    model = build_kl_model(kind, size, cfg)
                    with _seeded(cfg.seed):
                        hist = fit_flow(model, lambda s, m=model, t=target: kl_loss(m, t, b["kl_batch"]),
                                        steps=b["kl_steps"], lr=b["kl_lr"], progress=progress,
                                        desc=f"{target} {kind} {size}")
                        with torch.no_grad():
                            x, logq = model.sample(b["kl_eval"])
                    kl = float((logq - target_log_density(target, x)).mean()) + log_z
                    hists[(target, kind, size)] = _hist2d(x, b["grid"])
                    rows.append({"target": target, "kind": kind, "size": size, "kl": kl,
                                 "params": sum(p.numel() for p in model.parameters()),
                                 "seconds": sum(hist["seconds"]),
                                 "ms_per_step": 1000 * float(np.median(hist["seconds"])), "loss": hist["loss"]})
    return {"rows": rows, "hists": hists, "targets": targets, "axis": axis.numpy()}
