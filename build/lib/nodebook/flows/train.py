"""Fitting a flow: one small loop for both objectives, with a progress bar, NFE and wall time per step.

* :func:`kl_loss`: ``E_q[log q(x) - log p̃(x)]`` from the flow's own samples (a target known only up to
  its normaliser ``Z``; the loss is ``KL(q‖p) - log Z``);
* :func:`nll_loss`: ``-E[log q(x)]`` on data (maximum likelihood).

:func:`fit_flow` is *checkpoint-or-train*, like :func:`nodebook.train.fit`: with ``checkpoint=`` it saves
every ``checkpoint_every`` steps (atomic, checksummed: :mod:`nodebook.checkpoint`), resumes from the file
when it exists and returns at once when that run is complete. With ``seed=`` the global torch generator
is re-seeded from ``(seed, step)`` before each step, so whatever a step draws (a mini-batch, the flow's
own samples, Hutchinson noise) is the same in a resumed run as in an uninterrupted one.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from .. import _validate
from ..checkpoint import load_run, save_run
from ..measure import synchronize
from .densities import target_log_density

_KEYS = ("loss", "nfe", "nfe_backward", "seconds", "lr")


def kl_loss(model: nn.Module, target: str, batch: int) -> torch.Tensor:
    """``E_q[log q(x) - log p̃(x)]`` over ``batch`` samples of ``model`` (which has ``sample(n)``)."""
    x, logq = model.sample(batch)
    return (logq - target_log_density(target, x)).mean()


def nll_loss(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Negative mean log-likelihood of the data ``x`` under ``model`` (which has ``log_prob(x)``)."""
    return -model.log_prob(x).mean()


def _step_seed(seed: int, step: int) -> int:
    return (seed * 1_000_003 + step) % 2**63


def fit_flow(model: nn.Module, loss_fn: Callable[[int], torch.Tensor], *, steps: int, lr: float = 1e-3,
             lr_final: float | None = None, progress: bool = False, desc: str = "flow", seed: int | None = None,
             checkpoint: str | Path | None = None, checkpoint_every: int = 100) -> dict[str, list[float]]:
    """Adam on ``loss_fn(step)`` for ``steps`` steps; return the history of loss, NFE and seconds per step.

    Args:
        model: trained in place.
        loss_fn: ``loss_fn(step) -> scalar``.
        steps: total number of steps (a resumed run counts those already done).
        lr, lr_final: with ``lr_final`` the learning rate follows a cosine from ``lr`` down to it; else constant.
        progress: a ``tqdm.auto`` bar (with its ETA) labelled ``desc``.
        seed: re-seed torch's global generator from ``(seed, step)`` before each step (the caller's random
            state is restored afterwards); ``None`` leaves it alone.
        checkpoint: file to save to every ``checkpoint_every`` steps and at the end, and to resume from.

    Returns:
        Lists, one entry per step: ``loss``; ``nfe`` (``model.last_nfe`` after the loss, 0 for a model
        without a solver); ``nfe_backward`` (``model.last_backward_nfe`` after ``backward()``);
        ``seconds``; ``lr``.

    Raises:
        CheckpointError: the checkpoint is corrupt (moved aside; see :mod:`nodebook.checkpoint`).
        ValueError: the checkpoint was written by another run (seed, steps, learning rates) or model.
    """
    steps = _validate.positive_int("steps", steps)
    checkpoint_every = _validate.positive_int("checkpoint_every", checkpoint_every)
    if seed is not None:
        seed = _validate.seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = None
    if lr_final is not None:
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=lr_final)
    hist: dict[str, list[float]] = {k: [] for k in _KEYS}
    device = next(model.parameters()).device
    run = {"seed": seed, "steps": steps, "lr": lr, "lr_final": lr_final}
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and path.exists():
        hist = load_run(path, run=run, model=model, optimizer=opt, scheduler=sched, map_location=device)

    def save() -> None:
        save_run(path, run=run, model=model, optimizer=opt, scheduler=sched, history=hist)

    done = len(hist["loss"])
    if done >= steps:
        return hist
    bar = tqdm(total=steps, initial=done, desc=desc, disable=not progress, leave=False, dynamic_ncols=True)
    updating = False
    try:
        cuda = device.type == "cuda"
        with torch.random.fork_rng(devices=[torch.cuda.current_device() if device.index is None else device.index]
                                   if cuda else []):
            for step in range(done, steps):
                if seed is not None:  # (torch.manual_seed is much slower than seeding the one generator)
                    torch.default_generator.manual_seed(_step_seed(seed, step))
                    if cuda:
                        torch.cuda.manual_seed(_step_seed(seed, step))
                synchronize(device)
                start = time.perf_counter()
                opt.zero_grad()
                loss = loss_fn(step)
                nfe = getattr(model, "last_nfe", 0)
                loss.backward()
                lr_now = opt.param_groups[0]["lr"]
                updating = True
                opt.step()
                if sched is not None:
                    sched.step()
                synchronize(device)
                for key, value in zip(_KEYS, (float(loss.detach()), nfe, getattr(model, "last_backward_nfe", 0),
                                              time.perf_counter() - start, lr_now), strict=True):
                    hist[key].append(value)
                updating = False
                if path is not None and ((step + 1) % checkpoint_every == 0 or step + 1 == steps):
                    save()
                bar.update(1)
                if progress:
                    bar.set_postfix(loss=f"{hist['loss'][-1]:.3f}", nfe=nfe)
    except KeyboardInterrupt:
        if path is not None and not updating:
            save()
            tqdm.write(f"interrupted: saved step {len(hist['loss'])} to {path}; run again to resume", file=sys.stderr)
        raise
    finally:
        bar.close()
    return hist
