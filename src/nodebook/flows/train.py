"""Fitting a flow: one small loop for both objectives, with a progress bar, NFE and wall time per step.

* :func:`kl_loss`: ``E_q[log q(x) - log p̃(x)]`` from the flow's own samples (a target known only up to
  its normaliser ``Z``; the loss is ``KL(q‖p) - log Z``);
* :func:`nll_loss`: ``-E[log q(x)]`` on data (maximum likelihood).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from .. import _validate
from ..measure import synchronize
from .densities import target_log_density


def kl_loss(model: nn.Module, target: str, batch: int) -> torch.Tensor:
    """``E_q[log q(x) - log p̃(x)]`` over ``batch`` samples of ``model`` (which has ``sample(n)``)."""
    x, logq = model.sample(batch)
    return (logq - target_log_density(target, x)).mean()


def nll_loss(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Negative mean log-likelihood of the data ``x`` under ``model`` (which has ``log_prob(x)``)."""
    return -model.log_prob(x).mean()


def fit_flow(model: nn.Module, loss_fn: Callable[[int], torch.Tensor], *, steps: int, lr: float = 1e-3,
             lr_final: float | None = None, progress: bool = False, desc: str = "flow") -> dict[str, list[float]]:
    """Adam on ``loss_fn(step)`` for ``steps`` steps; return the history of loss, NFE and seconds per step.

    With ``lr_final`` the learning rate follows a cosine from ``lr`` down to ``lr_final``; else it is constant.

    ``nfe`` is ``model.last_nfe`` after the loss (the forward solve; 0 for a model without a solver) and
    ``nfe_backward`` ``model.last_backward_nfe`` after ``backward()``; ``lr`` the learning rate of each step.
    """
    steps = _validate.positive_int("steps", steps)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = None
    if lr_final is not None:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=lr_final)
    hist: dict[str, list[float]] = {"loss": [], "nfe": [], "nfe_backward": [], "seconds": [], "lr": []}
    device = next(model.parameters()).device
    bar = tqdm(range(steps), desc=desc, disable=not progress, leave=False)
    for step in bar:
        synchronize(device)
        start = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(step)
        nfe = getattr(model, "last_nfe", 0)
        loss.backward()
        hist["lr"].append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None:
            sched.step()
        synchronize(device)
        hist["seconds"].append(time.perf_counter() - start)
        hist["loss"].append(float(loss.detach()))
        hist["nfe"].append(nfe)
        hist["nfe_backward"].append(getattr(model, "last_backward_nfe", 0))
        if progress:
            bar.set_postfix(loss=f"{hist['loss'][-1]:.3f}", nfe=nfe)
    return hist
