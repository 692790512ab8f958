"""One training loop for every series model of the chapter (latent ODE, RNN-VAE, RNN baseline).

Batches of irregular series don't fit :func:`nodebook.train.fit`'s ``(x, y)`` tensors, so the loop takes
a function ``sample_batch(generator)`` that returns the arguments of ``model.loss``:
``(t_obs, x_obs, m_obs)`` or ``(t_obs, x_obs, m_obs, t_pred, x_pred, m_pred)``. Each step's generator is
seeded from ``(seed, step)``, so a run is reproducible whatever else draws random numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from .. import _validate
from ..checkpoint import load_run, save_run
from ..measure import synchronize
from ..train import History

# The same record as the classifier's training loop (:class:`nodebook.train.History`): loss and wall time
# per step (the NFE fields stay empty here).
SeriesHistory = History


def kl_schedule(step: int, warmup: int, *, steps_per_epoch: int | None = None, kind: str = "linear") -> float:
    """The KL weight at ``step`` (0-based).

    ``kind="linear"`` (the book's): a linear ramp from 0 to 1 over ``warmup`` steps (1 when ``warmup == 0``).
    ``kind="published"`` (Rubanova et al.'s ``run_models.py``): 0 for the first 10 epochs, then
    ``1 - 0.99 ** (epoch - 10)``, with ``epoch = (step + 1) // steps_per_epoch`` as their loop counts it.

    Annealing the KL term lets the decoder learn to use ``z0`` before the prior pulls the posterior onto it.
    """
    if kind == "published":
        epoch = (step + 1) // _validate.positive_int("steps_per_epoch", steps_per_epoch)
        return 0.0 if epoch < 10 else 1.0 - 0.99 ** (epoch - 10)
    if kind != "linear":
        raise ValueError(f"kl_schedule kind must be 'linear' or 'published'; got {kind!r}")
    if warmup <= 0:
        return 1.0
    return min(1.0, step / warmup)


def learning_rate(step: int, lr: float, decay: float = 1.0, floor: float | None = None) -> float:
    """The rate of optimiser step ``step`` (0-based): ``max(lr * decay ** (step + 1), floor)``.

    As Rubanova et al.'s ``update_learning_rate`` (decay before each step, floor ``lr / 10``), which is also
    the default ``floor``: without one, ``0.999`` per step for 300 Hopper epochs (48 000 steps) ends near
    ``1e-23``, and training stops long before the last epoch.
    """
    floor = lr / 10 if floor is None else floor
    return max(lr * decay ** (step + 1), floor)


_OPTIMIZERS = {"adam": torch.optim.Adam, "adamax": torch.optim.Adamax}


def fit_series(model: nn.Module, sample_batch: Callable[[torch.Generator], tuple], *, steps: int,
               lr: float = 1e-2, seed: int = 0, kl_warmup: int = 0, n_samples: int = 1,
               lr_decay: float = 1.0, lr_floor: float | None = None, optimizer: str | type = "adam",
               kl_kind: str = "linear", steps_per_epoch: int | None = None,
               clip: float | None = 10.0, progress: bool = False,
               desc: str = "training", checkpoint: str | Path | None = None, checkpoint_every: int = 100,
               eval_fn: Callable[[nn.Module], float] | None = None, eval_every: int | None = None,
               run: dict | None = None) -> SeriesHistory:
    """Train ``model`` for ``steps`` optimiser steps of ``model.loss(*sample_batch(gen))``.

    Args:
        model: has ``loss(*batch, kl_weight=..., n_samples=...) -> (scalar, info)``; trained in place.
        sample_batch: draws a batch (on the model's device) with the given ``torch.Generator``.
        steps: optimizer steps.
        lr: the learning rate; ``lr_decay`` multiplies it before every step, never below ``lr_floor``
            (default ``lr / 10``; see :func:`learning_rate`).
        optimizer: ``"adam"`` (the book's), ``"adamax"`` (Rubanova et al.'s) or an optimiser class.
        kl_kind, steps_per_epoch: the KL schedule (see :func:`kl_schedule`).
        seed: seeds each step's generator as ``seed * 1_000_003 + step``.
        kl_warmup: steps of linear KL annealing (see :func:`kl_schedule`).
        n_samples: posterior samples per series in the ELBO.
        clip: gradient-norm clip (``None``: off).
        progress: show a tqdm bar with the loss.
        checkpoint: a file to save model, optimizer, scheduler and history to every ``checkpoint_every``
            steps and at the end; when it exists, training resumes from it (a finished run returns at
            once). Each step's batch is seeded from ``(seed, step)``, so a resumed run draws what an
            unbroken one would.
        eval_fn, eval_every: ``eval_fn(model)`` (in eval mode) every ``eval_every`` steps and after the
            last, recorded in ``eval_step``/``eval_value``: a learning curve against ``time_s``.
        run: what identifies the run in the checkpoint (sizes, task); a checkpoint of another run is refused.

    Returns:
        A :class:`SeriesHistory`.

    Raises:
        FloatingPointError: the loss became NaN or infinite (says at which step).
    """
    steps = _validate.positive_int("steps", steps)
    lr = _validate.positive_float("lr", lr)
    _validate.seed(seed)
    if isinstance(optimizer, str):
        if optimizer not in _OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(_OPTIMIZERS)}; got {optimizer!r}")
        optimizer = _OPTIMIZERS[optimizer]
    opt = optimizer(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: learning_rate(s, lr, lr_decay, lr_floor) / lr)
    device = next(model.parameters()).device
    gen = torch.Generator(device="cpu")
    hist = SeriesHistory()
    ident = {"seed": seed, "steps": steps, **(run or {})}
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and path.exists():
        hist = SeriesHistory.from_dict(load_run(path, run=ident, model=model, optimizer=opt, scheduler=sched,
                                                map_location=device))

    def save() -> None:
        if path is not None:
            save_run(path, run=ident, model=model, optimizer=opt, scheduler=sched, history=hist.as_dict())

    def evaluate(step: int) -> None:
        if eval_fn is not None and (not hist.eval_step or hist.eval_step[-1] != step):
            model.eval()
            hist.eval_step.append(step)
            hist.eval_value.append(float(eval_fn(model)))
            model.train()

    model.train()
    bar = tqdm(range(hist.steps, steps), desc=desc, disable=not progress, leave=False)
    for step in bar:
        start = time.perf_counter()
        gen.manual_seed((seed * 1_000_003 + step) % 2**63)
        batch = sample_batch(gen)
        opt.zero_grad(set_to_none=True)
        kl_weight = kl_schedule(step, kl_warmup, steps_per_epoch=steps_per_epoch, kind=kl_kind)
        loss, _ = model.loss(*batch, kl_weight=kl_weight, n_samples=n_samples)
        value = float(loss.detach())
        if not math.isfinite(value):
            raise FloatingPointError(f"loss became {value} at step {step}; lower lr or tighten the solver")
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        sched.step()
        synchronize(device)
        hist.loss.append(value)
        hist.time_s.append(time.perf_counter() - start)
        if progress and step % 10 == 0:
            bar.set_postfix(loss=f"{value:.3g}")
        if eval_every and (step + 1) % eval_every == 0 and step + 1 < steps:
            evaluate(step + 1)
        if path is not None and (step + 1) % checkpoint_every == 0:
            save()
    evaluate(steps)
    save()
    model.eval()
    return hist


__all__ = ["SeriesHistory", "fit_series", "kl_schedule", "learning_rate"]
