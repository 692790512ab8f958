"""Chapter 4 (b): the Figure 3 analogues, measured on the trained ODE-Net.

Chen et al.'s Figure 3 has four panels: (a) the numerical error of the ODE solution against the forward NFE,
(b) wall time against NFE, (c) backward against forward NFE, (d) NFE over training.

* :func:`tolerance_scan`: the trained model run at other tolerances: the forward NFE and the numerical error
  of z(T) against a tight float64 solve (Fig. 3a), the wall time (Fig. 3b), the forward and backward
  (adjoint) NFE of one training step on one batch (Fig. 3c), and the test error (not a panel of the paper);
* :func:`training_nfe`: forward and backward NFE per training step (Fig. 3c, 3d);
* :func:`adjoint_state_size`: what the adjoint's backward solve carries, counted from the model.
"""

from __future__ import annotations

import copy
import statistics

import torch
import torch.nn.functional as F

from ...config import Config
from ...measure import timer
from ...models import count_parameters, nfe, tolerance
from .table import threads


def _reference_state(body: torch.nn.Module, h0: torch.Tensor, ref_tol: float) -> torch.Tensor:
    """``z(T)`` from ``h0`` solved by a float64 copy of ``body`` at ``rtol = atol = ref_tol``."""
    tight = copy.deepcopy(body).to(torch.float64)
    tight.rtol = tight.atol = ref_tol
    with torch.no_grad():
        return tight(h0.to(torch.float64))


def tolerance_scan(cfg: Config, trained: dict, tolerances: list[float] | None = None) -> list[dict]:
    """Run the trained ODE-Net at each tolerance (``rtol = atol``), training tolerance restored after.

    Returns:
        One row per tolerance: ``tol``; ``nfe_forward``, ``test_error_pct`` and ``time_ms`` (median of
        ``budget["scan_repeats"]`` timings of the ODE block) of a pass over the first ``budget["scan_test"]``
        test samples; ``solution_error``: ``‖z(T) − z_ref(T)‖ / ‖z_ref(T)‖`` over the first
        ``budget["error_samples"]`` of them, ``z_ref`` solved in float64 at ``ref_tol`` (a hundredth of the
        tightest tolerance); ``step_nfe_forward`` / ``step_nfe_backward``: forward and adjoint backward NFE
        of one training step on one and the same training batch.
    """
    model, data = trained["models"]["odenet"], trained["data"]
    tols = tolerances or cfg.budget.get("tolerances", [1e-1, 1e-2, 1e-3, 1e-4, 1e-5])
    n = cfg.budget["batch_size"]
    xb, yb = data.x_train[:n], data.y_train[:n]
    m = cfg.budget.get("scan_test")  # a subset of the test set keeps quick mode quick
    x_te, y_te = data.x_test[:m], data.y_test[:m]
    k = cfg.budget.get("error_samples", 256)
    repeats = max(1, int(cfg.budget.get("scan_repeats", 1)))
    ref_tol = min(tols) / 100
    rows = []
    with threads(cfg.device):
        with torch.no_grad():
            h0 = model.features(x_te)
            z_ref = _reference_state(model.body, h0[:k], ref_tol)
        for tol in tols:
            with tolerance(model, tol):
                times = []
                with torch.no_grad():
                    for _ in range(repeats):
                        with timer(cfg.device) as tm:
                            z = model.body(h0)
                        times.append(tm.seconds)
                    fwd = model.body.nfe_forward
                    pred = model.head(z).argmax(-1)
                err = 100 * float((pred != y_te).float().mean())
                diff = (z[:k].to(torch.float64) - z_ref).norm() / z_ref.norm()
                model.zero_grad(set_to_none=True)
                F.cross_entropy(model(xb), yb).backward()  # one training step's forward and backward: same batch
                step_f, step_b = nfe(model)
            model.zero_grad(set_to_none=True)
            rows.append({"tol": tol, "nfe_forward": fwd, "test_error_pct": err,
                         "time_ms": 1e3 * statistics.median(times), "solution_error": float(diff),
                         "ref_tol": ref_tol, "step_nfe_forward": step_f, "step_nfe_backward": step_b})
    return rows


def adjoint_state_size(model: torch.nn.Module, batch_size: int) -> dict:
    """What the ODE-Net's adjoint carries backwards for a batch: ``[z, a, a_θ]`` (Chapter 3).

    ``D`` is the forward state (``batch · C · L``), ``P`` the parameters of ``f``; the augmented state has
    ``2·D + P`` numbers, plus one (``a_t``) only when the integration times are learned (here they are not).

    Returns:
        ``D``, ``P``, ``augmented`` (``2·D + P``) and ``ratio`` (``augmented / D``).
    """
    per_sample = model.features(torch.zeros(1, *model.in_shape, dtype=next(model.parameters()).dtype,
                                             device=next(model.parameters()).device)).numel()
    d = int(batch_size) * per_sample
    p = count_parameters(model.body.func)
    return {"D": d, "P": p, "augmented": 2 * d + p, "ratio": (2 * d + p) / d}


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
