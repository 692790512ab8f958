"""The book's training loop: seeded, with a progress bar, and resumable from a checkpoint.

``fit`` is *checkpoint-or-train*: with ``checkpoint="run.pt"`` it saves every ``checkpoint_every`` steps
(see :mod:`nodebook.checkpoint`: atomic, with a sha256 sidecar), resumes from the file if it exists, and
returns at once if that run is already complete. Ctrl-C saves before it stops, so a long run can go on
later. Everything random in a step (the mini-batch, dropout) is derived from ``(seed, step)``, so a
resumed run ends with the same weights as an uninterrupted one.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from . import _validate
from .checkpoint import load_run, save_run
from .data.split import n_batches, permutation
from .measure import timer
from .models import ode_blocks


@dataclass
class History:
    """What :func:`fit` measured, one entry per completed step (``eval_*``: one per evaluation).

    Attributes:
        loss: training loss of each step's mini-batch.
        time_s: wall time of each step (forward, backward, update), in seconds.
        nfe_forward, nfe_backward: evaluations of the dynamics in each step, summed over the model's
            ODE blocks (empty lists when it has none).
        eval_step, eval_value: step number and value of each ``eval_fn`` call.
    """

    loss: list[float] = field(default_factory=list)
    time_s: list[float] = field(default_factory=list)
    nfe_forward: list[int] = field(default_factory=list)
    nfe_backward: list[int] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    eval_value: list[float] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return len(self.loss)

    @property
    def wall_time_s(self) -> float:
        return sum(self.time_s)

    def as_dict(self) -> dict[str, list]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> History:
        names = {f.name for f in fields(cls)}
        if not isinstance(d, dict) or set(d) != names:
            raise ValueError(f"a History needs exactly the keys {sorted(names)}; got {_validate.describe(d)}")
        return cls(**{k: list(v) for k, v in d.items()})


def _model_device(model: nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, batch_size: int = 1024) -> float:
    """Share of ``argmax(model(x)) == y``, evaluated in eval mode, in batches, on the model's device.

    Args:
        model: maps ``(b, ...)`` inputs to ``(b, n_classes)`` logits.
        x: ``(n, ...)`` inputs; y: ``(n,)`` integer labels.
        batch_size: samples per forward pass.
    """
    _validate.features_and_labels(x, y)
    batch_size = _validate.positive_int("batch_size", batch_size)
    device, was_training = _model_device(model), model.training
    model.eval()
    correct = 0
    try:
        for i in range(0, len(x), batch_size):
            pred = model(x[i:i + batch_size].to(device)).argmax(-1)
            correct += int((pred == y[i:i + batch_size].to(device)).sum())
    finally:
        model.train(was_training)
    return correct / len(x)


def _derive(seed: int, k: int) -> int:
    """A seed for item ``k`` of a run seeded with ``seed`` (distinct pairs give distinct seeds)."""
    return (seed * 1_000_003 + k) % 2**63


@torch.no_grad()
def _evaluate(model: nn.Module, eval_fn: Callable[[nn.Module], float]) -> float:
    model.eval()
    try:
        return float(eval_fn(model))
    finally:
        model.train()


def fit(model: nn.Module, data: tuple[torch.Tensor, torch.Tensor], *, optimizer: torch.optim.Optimizer,
        steps: int, batch_size: int, loss_fn: Callable = F.cross_entropy,
        device: torch.device | str | None = None,
        seed: int = 0, scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
        checkpoint: str | Path | None = None, checkpoint_every: int = 100,
        eval_fn: Callable[[nn.Module], float] | None = None, eval_every: int | None = None,
        log_every: int = 10, progress: bool = True, desc: str = "training") -> History:
    """Train ``model`` for ``steps`` mini-batch steps of ``optimizer`` on ``loss_fn(model(xb), yb)``.

    Args:
        model: moved to ``device``; trained in place.
        data: ``(x, y)``, ``x (n, ...)`` and ``y (n,)``, moved to ``device``.
        optimizer: built on ``model``'s parameters.
        steps: total number of steps (a resumed run counts the steps already done).
        batch_size: samples per step; epochs are reshuffled from ``(seed, epoch)``.
        loss_fn: ``loss_fn(logits, yb) -> scalar``; default cross-entropy.
        device: default: the device of the model's parameters.
        seed: seeds the batch order and the global RNG of each step (the caller's RNG state is restored).
        scheduler: stepped after each optimizer step; saved in the checkpoint.
        checkpoint: file to save to every ``checkpoint_every`` steps and at the end, and to resume from.
        eval_fn: ``eval_fn(model) -> float``, run in eval mode without gradients every ``eval_every``
            steps (default: only after the last step), e.g. ``lambda m: accuracy(m, x_test, y_test)``.
        log_every: steps between updates of the progress bar's loss.
        progress: show a ``tqdm.auto`` progress bar.
        desc: the bar's label.

    Returns:
        The :class:`History` of the whole run (restored from the checkpoint when resuming).

    Raises:
        CheckpointError: the checkpoint is corrupt (it has been moved aside; see ``nodebook.checkpoint``).
        ValueError: the checkpoint belongs to another run (seed, batch size, data size, model).
        FloatingPointError: the loss became NaN or inf (nothing is saved for that step).
    """
    if not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise TypeError(f"data must be a pair (x, y) of tensors; got {_validate.describe(data)}")
    x, y = data
    _validate.features_and_labels(x, y)
    steps = _validate.positive_int("steps", steps)
    batch_size = _validate.positive_int("batch_size", batch_size)
    seed = _validate.seed(seed)
    checkpoint_every = _validate.positive_int("checkpoint_every", checkpoint_every)
    log_every = _validate.positive_int("log_every", log_every)
    eval_every = steps if eval_every is None else _validate.positive_int("eval_every", eval_every)
    dev = torch.device(device) if device is not None else _model_device(model)
    model.to(dev)
    x, y = x.to(dev), y.to(dev)
    n, per_epoch = len(x), n_batches(len(x), batch_size)
    run = {"seed": seed, "batch_size": batch_size, "n_train": n}
    path = Path(checkpoint) if checkpoint is not None else None
    history = History()
    if path is not None and path.exists():
        history = History.from_dict(load_run(path, run=run, model=model, optimizer=optimizer,
                                             scheduler=scheduler, map_location=dev))
    saved_at = history.steps

    def save() -> None:
        nonlocal saved_at
        save_run(path, run=run, model=model, optimizer=optimizer, scheduler=scheduler,
                 history=history.as_dict())
        saved_at = history.steps

    if history.steps >= steps:
        return history
    blocks = ode_blocks(model)
    bar = tqdm(total=steps, initial=history.steps, desc=desc, disable=not progress, dynamic_ncols=True)
    # The per-step seeding below happens inside fork_rng, so the caller's RNG state comes back unchanged.
    rng_devices, generators = [], [torch.default_generator]  # (torch.manual_seed is 100x slower)
    if dev.type == "cuda":
        rng_devices = [torch.cuda.current_device() if dev.index is None else dev.index]
        generators.append(torch.cuda.default_generators[rng_devices[0]])
    updating, order, order_epoch = False, None, -1
    model.train()
    try:
        with torch.random.fork_rng(devices=rng_devices):
            for step in range(history.steps, steps):
                epoch, i = divmod(step, per_epoch)
                if epoch != order_epoch:
                    order, order_epoch = permutation(n, _derive(seed, epoch)).to(dev), epoch
                idx = order[i * batch_size:(i + 1) * batch_size]
                for gen in generators:
                    gen.manual_seed(_derive(seed, step))
                with timer(dev) as tm:
                    optimizer.zero_grad(set_to_none=True)
                    loss = loss_fn(model(x[idx]), y[idx])
                    nfe_f = sum(b.nfe_forward for b in blocks)
                    value = float(loss.detach())
                    if not math.isfinite(value):
                        kept = f"; {path} keeps step {saved_at}" if path is not None else ""
                        raise FloatingPointError(f"the loss is {value} at step {step + 1}{kept}. Try a lower "
                                                 "learning rate or tighter solver tolerances")
                    loss.backward()
                    updating = True  # from here until the history is appended the state is in between steps
                    optimizer.step()
                    if scheduler is not None:
                        scheduler.step()
                history.loss.append(value)
                history.time_s.append(tm.seconds)
                if blocks:
                    history.nfe_forward.append(nfe_f)
                    history.nfe_backward.append(sum(b.nfe_backward for b in blocks))
                updating = False
                done = history.steps
                if eval_fn is not None and (done % eval_every == 0 or done == steps):
                    score = _evaluate(model, eval_fn)
                    history.eval_step.append(done)
                    history.eval_value.append(score)
                if path is not None and (done % checkpoint_every == 0 or done == steps):
                    save()
                bar.update(1)
                if done % log_every == 0 or done == steps:
                    bar.set_postfix(loss=f"{value:.4g}", **({"nfe": nfe_f} if blocks else {}))
    except KeyboardInterrupt:
        if path is not None:
            if updating:
                note = f"interrupted during a parameter update; {path} keeps step {saved_at}"
            else:
                save()
                note = f"interrupted: saved step {saved_at} to {path}"
            tqdm.write(f"{note}; call fit again with the same arguments to resume", file=sys.stderr)
        raise
    finally:
        bar.close()
    return history
