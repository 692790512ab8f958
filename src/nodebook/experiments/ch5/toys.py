"""(c) FFJORD-style CNFs trained by maximum likelihood on the 2-D toy densities; adjoint gradients, NFE vs tolerance."""

from __future__ import annotations

import numpy as np
import torch
from tqdm.auto import tqdm

from ...config import Config
from ...config import one_cpu_thread as _threads
from ...config import seeded as _seeded
from ...flows import (
    CNF,
    ConcatSquashDynamics,
    fit_flow,
    grid,
    nll_loss,
    sample_toy,
    toy_entropy,
)
from ._common import LIM, _checkpoint


def build_toy_model(cfg: Config, *, trace: str = "exact") -> CNF:
    """FFJORD's toy model: concat-squash MLP, dopri5 at the budget's tolerance, end time ``toy_t1``."""
    b = cfg.budget
    with _seeded(cfg.seed):
        dyn = ConcatSquashDynamics(2, tuple(b["toy_hidden"]))
    return CNF(dyn, t1=b["toy_t1"], trace=trace, method="dopri5", rtol=b["toy_tol"],
               atol=b["toy_tol"]).to(device=cfg.device, dtype=cfg.dtype)


def _evaluate(model: CNF, x: torch.Tensor, tol: float, chunk: int = 4096) -> torch.Tensor:
    """``log p(x)`` at a tighter tolerance than in training, without building a graph."""
    saved = dict(model.solver)
    model.solver.update(rtol=tol, atol=tol)
    try:
        with torch.no_grad():
            return torch.cat([model.log_prob(x[i:i + chunk]) for i in range(0, len(x), chunk)])
    finally:
        model.solver = saved


def toy_steps(name: str, budget: dict) -> int:
    """The budget's ``toy_steps``: one number for every density, or ``{name: steps}``."""
    steps = budget["toy_steps"]
    return int(steps[name]) if isinstance(steps, dict) else int(steps)


def gaussian_nll(x_train: torch.Tensor, x_test: torch.Tensor) -> float:
    """Test NLL (nats) of one Gaussian fitted to the training data by maximum likelihood: the trivial baseline."""
    x, y = x_train.double().cpu(), x_test.double().cpu()
    fitted = torch.distributions.MultivariateNormal(x.mean(0), torch.cov(x.T, correction=0))
    return -float(fitted.log_prob(y).mean())


def train_toy(name: str, cfg: Config, *, progress: bool = False) -> dict:
    """Train one FFJORD-style CNF on ``name`` by maximum likelihood, then measure and draw it.

    Returns:
        ``test_nll`` (at ``eval_tol``), ``optimum`` (the density's entropy, :func:`~nodebook.flows.toy_entropy`;
        ``None`` if unknown), ``gaussian_nll`` (one fitted Gaussian), ``mass`` (the learned density summed
        over the plotting grid), the training curves ``loss``/``nfe``, ``seconds``, ``ms_per_step``, and
        for the figures ``times``, ``density`` (one grid per time), ``samples``, ``data``, ``axis``, ``model``.
    """
    b = cfg.budget
    x_train = sample_toy(name, b["n_train"], seed=cfg.seed, dtype=cfg.dtype, device=cfg.device)
    x_test = sample_toy(name, b["n_test"], seed=cfg.seed + 1, dtype=cfg.dtype, device=cfg.device)
    model = build_toy_model(cfg)

    def loss(step: int) -> torch.Tensor:  # fit_flow seeds the generator from (seed, step): resumable
        idx = torch.randint(0, len(x_train), (b["toy_batch"],)).to(cfg.device)
        return nll_loss(model, x_train[idx])

    with _threads(cfg.device):
        hist = fit_flow(model, loss, steps=toy_steps(name, b), lr=b["toy_lr"], lr_final=b.get("toy_lr_final"),
                        progress=progress, desc=name, seed=cfg.seed, checkpoint=_checkpoint(f"toy-{name}", cfg),
                        checkpoint_every=b.get("checkpoint_every", 100))
        test_nll = -float(_evaluate(model, x_test, b["eval_tol"]).mean())
        axis, pts, cell = grid(LIM, b["grid"], dtype=cfg.dtype, device=cfg.device)
        times = np.linspace(0.0, b["toy_t1"], b["frames"]).tolist()
        dens = [_evaluate_at(model, pts, t, b["eval_tol"]).exp().reshape(len(axis), -1).cpu().numpy()
                for t in times]
        with torch.no_grad(), _seeded(cfg.seed):
            z0 = model.base_std * torch.randn(b["n_samples"], 2, dtype=cfg.dtype, device=cfg.device)
            zs, _ = model(z0, times=times)
    return {"name": name, "test_nll": test_nll, "optimum": toy_entropy(name),
            "gaussian_nll": gaussian_nll(x_train, x_test), "mass": float(dens[-1].sum() * cell),
            "loss": hist["loss"], "nfe": hist["nfe"], "seconds": sum(hist["seconds"]),
            "ms_per_step": 1000 * float(np.median(hist["seconds"])),
            "times": times, "density": dens, "samples": zs.cpu().numpy(), "data": x_test.cpu().numpy(),
            "axis": axis.cpu().numpy(), "model": model}


def _evaluate_at(model: CNF, x: torch.Tensor, t: float, tol: float) -> torch.Tensor:
    saved = dict(model.solver)
    model.solver.update(rtol=tol, atol=tol)
    try:
        with torch.no_grad():
            return model.log_prob(x, t=t)
    finally:
        model.solver = saved


def train_toys(cfg: Config, *, progress: bool = False) -> dict[str, dict]:
    """:func:`train_toy` for every density in the budget's ``toys`` (with a bar over them when ``progress``)."""
    names = tqdm(cfg.budget["toys"], desc="ch5 toy densities (NLL)", disable=not progress, dynamic_ncols=True)
    return {name: train_toy(name, cfg, progress=progress) for name in names}


def adjoint_gradients(cfg: Config, model: CNF, x: torch.Tensor, *, tol: float = 1e-4) -> dict:
    """The NLL gradient of a trained CNF's parameters, by backprop through the solver and by the adjoint.

    Returns:
        ``rel_diff``: ``‖g_adjoint - g_backprop‖ / ‖g_backprop‖``; ``nfe_forward``, ``nfe_backward`` of the
        adjoint's solves, and ``nfe_backprop`` of the forward solve differentiated directly.
    """
    grads, nfes = {}, {}
    with _threads(cfg.device):
        for adjoint in (False, True):
            cnf = CNF(model.func.dynamics, t1=model.t1, rtol=tol, atol=tol, adjoint=adjoint)
            cnf.zero_grad()
            nll_loss(cnf, x).backward()
            grads[adjoint] = torch.cat([p.grad.reshape(-1) for p in cnf.parameters()])
            nfes[adjoint] = (cnf.last_nfe, cnf.last_backward_nfe)
        cnf.zero_grad()
    rel = float((grads[True] - grads[False]).norm() / grads[False].norm())
    return {"rel_diff": rel, "nfe_backprop": nfes[False][0], "nfe_forward": nfes[True][0],
            "nfe_backward": nfes[True][1], "tol": tol}


def nfe_vs_tolerance(cfg: Config, model: CNF, x: torch.Tensor, tols: list[float]) -> list[dict]:
    """Test NLL of ``x`` and the NFE of its density solve at each tolerance (the model is left unchanged)."""
    rows = []
    with _threads(cfg.device):
        for tol in tols:
            nll = -float(_evaluate(model, x, tol).mean())
            rows.append({"tol": tol, "nfe": model.last_nfe, "nll": nll})
    return rows
