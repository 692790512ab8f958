"""(b) NFE growth during training, and Finlay et al.'s kinetic + Jacobian-Frobenius regularisation."""

from __future__ import annotations

import time

import torch
from tqdm.auto import tqdm

from ...config import Config, seeded
from ...config import one_cpu_thread as _threads
from ...flows import CNF, ConcatSquashDynamics, RegularisedCNF, regularised_nll_loss, sample_toy


def _eval(dynamics, x: torch.Tensor, *, t1: float, tol: float) -> tuple[float, int]:
    """Test NLL and NFE of one density solve of ``x`` with a plain CNF (no penalty states) at ``tol``."""
    plain = CNF(dynamics, t1=t1, rtol=tol, atol=tol)
    with torch.no_grad():
        nll = -float(plain.log_prob(x).mean())
    return nll, plain.last_nfe


def train_regularised(cfg: Config, lam: float, *, progress: bool = False) -> dict:
    """Train one CNF on the budget's toy density with ``λ_K = λ_J = lam``; NFE and NLL over training.

    ``nfe_train``: the training solve's NFE at each step (with the penalty states); ``eval_nfe`` and
    ``eval_nll``: a plain density solve of held-out points every ``eval_every`` steps, at the training
    tolerance: the cost of one forward pass of the model as it stands. ``test_nll`` at the end is at the
    tighter ``eval_tol``. Same seed, data and batches for every ``lam``.
    """
    b = cfg.budget["reg"]
    x_train = sample_toy(b["toy"], b["n_train"], seed=cfg.seed, dtype=cfg.dtype, device=cfg.device)
    x_test = sample_toy(b["toy"], b["n_test"], seed=cfg.seed + 1, dtype=cfg.dtype, device=cfg.device)
    with seeded(cfg.seed):
        dyn = ConcatSquashDynamics(2, tuple(b["hidden"]))
    model = RegularisedCNF(dyn, t1=b["t1"], rtol=b["tol"], atol=b["tol"]).to(device=cfg.device, dtype=cfg.dtype)
    opt = torch.optim.Adam(model.parameters(), lr=b["lr"])
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=b["steps"], eta_min=b["lr"] * 0.1)
    g = torch.Generator().manual_seed(cfg.seed)
    hist = {"nfe_train": [], "loss": [], "kinetic": [], "frobenius": [], "eval_step": [], "eval_nfe": [],
            "eval_nll": []}
    start = time.perf_counter()
    with _threads(cfg.device):
        bar = tqdm(range(b["steps"]), desc=f"λ={lam:g}", disable=not progress, leave=False)
        for step in bar:
            idx = torch.randint(0, len(x_train), (b["batch"],), generator=g).to(cfg.device)
            opt.zero_grad()
            loss = regularised_nll_loss(model, x_train[idx], kinetic=lam, frobenius=lam)
            hist["nfe_train"].append(model.last_nfe)
            hist["kinetic"].append(float(model.last_kinetic.detach().mean()))
            hist["frobenius"].append(float(model.last_frobenius.detach().mean()))
            loss.backward()
            opt.step()
            sched.step()
            hist["loss"].append(float(loss.detach()))
            if step % b["eval_every"] == 0 or step == b["steps"] - 1:
                nll, nfe = _eval(dyn, x_test[:b["eval_points"]], t1=b["t1"], tol=b["tol"])
                hist["eval_step"].append(step)
                hist["eval_nfe"].append(nfe)
                hist["eval_nll"].append(nll)
                bar.set_postfix(nll=f"{nll:.3f}", nfe=nfe)
        seconds = time.perf_counter() - start
        test_nll, _ = _eval(dyn, x_test, t1=b["t1"], tol=b["eval_tol"])
        _, final_nfe = _eval(dyn, x_test, t1=b["t1"], tol=b["tol"])
    return {"lam": lam, "test_nll": test_nll, "final_nfe": final_nfe, "seconds": seconds, **hist}


def regularisation(cfg: Config, *, progress: bool = False) -> dict:
    """:func:`train_regularised` for each λ of the budget (the first is 0: no penalty), and the headline ratio."""
    b = cfg.budget["reg"]
    runs = [train_regularised(cfg, lam, progress=progress) for lam in b["lams"]]
    base = runs[0]
    for r in runs:
        r["nfe_ratio"] = base["final_nfe"] / r["final_nfe"]
        r["nll_diff"] = r["test_nll"] - base["test_nll"]
    return {"runs": runs, "toy": b["toy"], "steps": b["steps"], "tol": b["tol"], "eval_tol": b["eval_tol"]}
