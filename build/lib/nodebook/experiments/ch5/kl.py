"""(a) The paper's Figure 4 analogue: planar flows (K layers) against CNFs (width M) fitted by KL."""

from __future__ import annotations

import numpy as np
import torch
from tqdm.auto import tqdm

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
    standard_normal_log_prob,
    target_log_density,
)
from ._common import LIM, _checkpoint, _hist2d


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


def _base_kl(target: str, log_z: float, cfg: Config) -> float:
    """The trivial baseline: ``KL(q‖p)`` of the base ``N(0, I)`` itself (no flow, ``K = M = 0``)."""
    g = torch.Generator().manual_seed(cfg.seed)
    z = torch.randn(cfg.budget["kl_eval"], 2, generator=g, dtype=torch.float64)
    return float((standard_normal_log_prob(z) - target_log_density(target, z)).mean()) + log_z


def planar_vs_cnf(cfg: Config, *, progress: bool = False) -> dict:
    """Fit every model of the comparison to every target; report ``KL(q‖p)`` in nats (``log Z`` added).

    Returns:
        ``rows``: one dict per (target, model, size) with ``kl``, ``params``, ``seconds``, ``loss`` (the
        curve); ``base``: ``{target: KL of the base N(0, I) itself}``, the trivial baseline; ``hists``:
        ``{(target, kind, size): 2-D histogram of samples}``; ``targets``: ``{target: density on the
        grid}``; ``axis``: the grid's axis.
    """
    b = cfg.budget
    axis, pts, _ = grid(LIM, b["grid"], dtype=torch.float64)
    rows, hists, targets, base = [], {}, {}, {}
    runs = [(target, kind, size) for target in b["targets"]
            for kind, sizes in (("planar", b["planar_k"]), ("cnf", b["cnf_m"])) for size in sizes]
    phase = tqdm(runs, desc="ch5 planar vs CNF (KL)", disable=not progress, dynamic_ncols=True)
    with _threads(cfg.device):
        for target, kind, size in phase:
            log_z = log_normaliser(target)
            if target not in targets:
                targets[target] = (target_log_density(target, pts) - log_z).exp().reshape(len(axis), -1).numpy()
                base[target] = _base_kl(target, log_z, cfg)
            model = build_kl_model(kind, size, cfg)
            hist = fit_flow(model, lambda s, m=model, t=target: kl_loss(m, t, b["kl_batch"]),
                            steps=b["kl_steps"], lr=b["kl_lr"], progress=progress, desc=f"{target} {kind} {size}",
                            seed=cfg.seed, checkpoint=_checkpoint(f"kl-{target}-{kind}{size}", cfg),
                            checkpoint_every=b.get("checkpoint_every", 100))
            with torch.no_grad(), _seeded(cfg.seed):
                x, logq = model.sample(b["kl_eval"])
            kl = float((logq - target_log_density(target, x)).mean()) + log_z
            hists[(target, kind, size)] = _hist2d(x, b["grid"])
            rows.append({"target": target, "kind": kind, "size": size, "kl": kl,
                         "params": sum(p.numel() for p in model.parameters()),
                         "seconds": sum(hist["seconds"]),
                         "ms_per_step": 1000 * float(np.median(hist["seconds"])), "loss": hist["loss"]})
    return {"rows": rows, "base": base, "hists": hists, "targets": targets, "axis": axis.numpy()}
