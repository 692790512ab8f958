"""Chapter 4 (b): the Figure 3 analogues, measured on the trained ODE-Net.

* :func:`tolerance_scan`: the trained model run at other tolerances: forward NFE, test error and time
  (Fig. 3a, 3d), and forward and backward (adjoint) NFE of one training step (Fig. 3b);
* :func:`training_nfe`: forward and backward NFE per training step (Fig. 3b, 3c).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ...config import Config
from ...measure import timer
from ...models import nfe, tolerance
from .table import threads


def tolerance_scan(cfg: Config, trained: dict, tolerances: list[float] | None = None) -> list[dict]:
    """Run the trained ODE-Net at each tolerance (``rtol = atol``), training tolerance restored after.

    Returns:
        One row per tolerance: ``tol``; ``nfe_forward``, ``test_error_pct`` and ``time_ms`` of a pass over
        the first ``budget["scan_test"]`` test samples; ``step_nfe_forward`` / ``step_nfe_backward`` of one
        forward and adjoint backward pass on a training batch.
    """
    model, data = trained["models"]["odenet"], trained["data"]
    tols = tolerances or cfg.budget.get("tolerances", [1e-1, 1e-2, 1e-3, 1e-4, 1e-5])
    n = cfg.budget["batch_size"]
    xb, yb = data.x_train[:n], data.y_train[:n]
    m = cfg.budget.get("scan_test")  # a subset of the test set keeps quick mode quick
    x_te, y_te = data.x_test[:m], data.y_test[:m]
    rows = []
    with threads(cfg.device):
        for tol in tols:
            with tolerance(model, tol):
                with torch.no_grad(), timer(cfg.device) as tm:
                    pred = model(x_te).argmax(-1)
                fwd = nfe(model)[0]
                err = 100 * float((pred != y_te).float().mean())
                model.zero_grad(set_to_none=True)
                F.cross_entropy(model(xb), yb).backward()
                step_f, step_b = nfe(model)
            model.zero_grad(set_to_none=True)
            rows.append({"tol": tol, "nfe_forward": fwd, "test_error_pct": err, "time_ms": 1e3 * tm.seconds,
                         "step_nfe_forward": step_f, "step_nfe_backward": step_b})
    return rows


def training_nfe(trained: dict, name: str = "odenet") -> dict:
    """Per training step of ``name``: ``forward`` and ``backward`` NFE, and ``ratio`` = backward / forward
    over the whole run (the paper: about one half)."""
    h = trained["histories"][name]
    total_f, total_b = sum(h.nfe_forward), sum(h.nfe_backward)
    return {"forward": list(h.nfe_forward), "backward": list(h.nfe_backward),
            "ratio": total_b / total_f if total_f else float("nan")}


def smoothness(cfg: Config, tol: float = 1e-4, ref_tol: float = 1e-8, channels: int = 4, batch: int = 3) -> dict:
    """Why the chapter's dynamics use softplus, not the paper's ReLU: the same random ODE function with each.

    For each activation: forward and backward (adjoint) NFE of one pass at ``tol``, and the relative error
    of the adjoint's parameter gradient against backpropagation through a solve at ``ref_tol`` (float64).
    """
    from ...models import ConvDynamics, ODEBlock
    from .table import seeded

    out = {}
    with threads(cfg.device):
        for act in ("relu", "softplus"):
            with seeded(cfg.seed):
                func = ConvDynamics(channels, activation=act).to(cfg.device, torch.float64)
                h = torch.randn(batch, channels, 10, dtype=torch.float64, device=cfg.device)
            grads, counts = [], None
            for adjoint, t in ((False, ref_tol), (True, tol)):
                block = ODEBlock(func, rtol=t, atol=t, adjoint=adjoint)
                func.zero_grad(set_to_none=True)
                (block(h) ** 2).sum().backward()
                grads.append(torch.cat([p.grad.flatten() for p in func.parameters()]))
                counts = (block.nfe_forward, block.nfe_backward)
            err = float((grads[1] - grads[0]).abs().max() / grads[0].abs().max())
            out[act] = {"nfe_forward": counts[0], "nfe_backward": counts[1], "grad_error": err}
    return {"tol": tol, "ref_tol": ref_tol, **out}


def memory_vs_nfe(cfg: Config, trained: dict, rk_steps: tuple[int, ...] = (1, 2, 4, 8),
                  tolerances: tuple[float, ...] = (1e-1, 1e-3, 1e-5)) -> dict:
    """Table 1's memory column, measured: peak memory of a training step against the NFE it took.

    The trained RK-Net is run with ``n`` RK4 steps (``4n`` evaluations, all kept for backpropagation);
    the trained ODE-Net at each tolerance (adjoint: only what restarts the backward solve is kept).

    Returns:
        ``rknet`` and ``odenet``: lists of ``{"nfe", "memory_mib"}`` (``nfe``: forward evaluations).
    """
    from .table import step_memory

    data, n = trained["data"], cfg.budget["batch_size"]
    xb, yb = data.x_train[:n], data.y_train[:n]
    out = {"rknet": [], "odenet": []}
    with threads(cfg.device):
        body = trained["models"]["rknet"].body
        saved = body.options
        try:
            for k in rk_steps:
                body.options = {"step_size": 1.0 / k}
                mem = step_memory(trained["models"]["rknet"], xb, yb, cfg.device)
                out["rknet"].append({"nfe": body.nfe_forward, "memory_mib": mem / 2**20})
        finally:
            body.options = saved
        model = trained["models"]["odenet"]
        for tol in tolerances:
            with tolerance(model, tol):
                mem = step_memory(model, xb, yb, cfg.device)
                out["odenet"].append({"tol": tol, "nfe": model.body.nfe_forward, "memory_mib": mem / 2**20})
    return out


def initial_nfe(cfg: Config, budget: dict | None = None, tolerances: list[float] | None = None) -> list[dict]:
    """Forward NFE of the ODE-Net *before* training, at each tolerance, on the test set.

    The model is built exactly as :func:`~nodebook.experiments.ch4.train_table` builds it (same seed, sizes
    from ``budget``, default ``cfg.budget``), so set against a trained model's :func:`tolerance_scan` it
    measures how much harder training made the dynamics to integrate, tolerance by tolerance.

    Returns:
        One row per tolerance: ``tol``, ``nfe_forward``.
    """
    import dataclasses

    from .table import build_model, dataset

    b = dict(budget if budget is not None else cfg.budget)
    cfg2 = dataclasses.replace(cfg, budget=b)
    data = dataset(cfg2)
    model = build_model("odenet", cfg2, data)
    x = data.x_test[:b.get("scan_test")]
    rows = []
    with threads(cfg.device), torch.no_grad():
        for tol in tolerances or b.get("tolerances", [1e-1, 1e-2, 1e-3, 1e-4, 1e-5]):
            with tolerance(model, tol):
                model(x)
                rows.append({"tol": tol, "nfe_forward": nfe(model)[0]})
    return rows
