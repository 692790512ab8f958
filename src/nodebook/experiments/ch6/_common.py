"""What chapter 6's experiments share: solver settings, checkpoint paths and the training call."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch

from ...config import Config, cache_dir
from ...latent import fit_series


def solver_settings(budget: dict, step_size: float | None = None) -> dict:
    """``method``/``rtol``/``atol``/``step_size`` for a latent ODE from a budget block.

    Fixed-step methods get ``step_size`` (the data spacing), so no step is longer than it; dopri5 gets
    Rubanova et al.'s tolerances (rtol 1e-3, atol 1e-4) unless the budget names others.
    """
    settings = {"method": budget.get("method", "rk4")}
    if settings["method"] == "dopri5":
        settings.update(rtol=budget.get("rtol", 1e-3), atol=budget.get("atol", 1e-4))
    else:
        settings["step_size"] = step_size
    return settings


def checkpoint_path(cfg: Config, part: str, name: str) -> Path | None:
    """Where a full-mode training run of ``name`` keeps its checkpoint (``None`` unless the budget says
    ``checkpoint: true``). The file name carries a hash of the part's budget, so a changed budget starts
    afresh instead of resuming another run."""
    if not cfg.budget.get("checkpoint", False):
        return None
    ident = {"part": cfg.budget[part.split("-")[0]], "seed": cfg.seed, "recipe": cfg.budget.get("recipe", "book"),
             "shrink": cfg.budget.get("shrink")}
    key = json.dumps(ident, sort_keys=True, default=str)
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return cache_dir("ch6-runs") / f"{part}-{name}-{digest}.pt"


def train_one(cfg: Config, model: torch.nn.Module, sample_batch, b: dict, steps: int, *, part: str, name: str,
              eval_fn=None, progress: bool = False):
    """:func:`nodebook.latent.fit_series` with the budget's optimiser settings, a checkpoint in full mode
    and a learning curve every ``b["eval_every"]`` steps when ``eval_fn`` is given."""
    spe = b.get("steps_per_epoch") or 1
    return fit_series(model, sample_batch, steps=steps, lr=b["lr"], lr_decay=b.get("lr_decay", 1.0),
                      lr_floor=b.get("lr_floor"), optimizer=b.get("optimizer", "adam"), seed=cfg.seed,
                      kl_warmup=b.get("kl_warmup", 0), kl_kind=b.get("kl_kind", "linear"), steps_per_epoch=spe,
                      n_samples=b.get("n_samples", 1), clip=b.get("clip", 10.0), progress=progress,
                      desc=f"{part} {name}",
                      checkpoint=checkpoint_path(cfg, part, name), checkpoint_every=b.get("checkpoint_every", 50),
                      eval_fn=eval_fn, eval_every=b.get("eval_every"), run={"part": part, "name": name})


def curve(hist) -> dict:
    """A learning curve from a history: cumulative training seconds and the evaluation at each point."""
    cum, total = [], 0.0
    for t in hist.time_s:
        total += t
        cum.append(total)
    return {"step": list(hist.eval_step), "time_s": [cum[s - 1] if s > 0 else 0.0 for s in hist.eval_step],
            "value": list(hist.eval_value)}
