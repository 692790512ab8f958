"""Chapter 4: why the 1-layer MLP scores what it scores on MNIST-1D, measured against the published MLP.

Greydanus & Kobak report 68% for an MLP on MNIST-1D. Their training code (``mnist1d`` repository,
``notebooks/train.py`` and ``models.py``) trains ``MLPBase``: ``Linear(40, 100)``, ReLU, a residual
``h + ReLU(Linear(100, 100) h)``, ``Linear(100, 10)``; Adam at a constant learning rate of 1e-2, batches of
100, 8,000 steps, no weight decay, the test accuracy evaluated every 250 steps. :func:`mlp_gap` trains
that model with that recipe, and the paper's 1-layer MLP with the recipe the convolutional models share,
so the page can say how much of the gap to 68% is the recipe and how much remains.
"""

from __future__ import annotations

import torch
from torch import nn

from ...config import Config, seeded
from ...train import accuracy, fit
from .table import build_model, dataset, threads

PUBLISHED_RECIPE = {"lr": 1e-2, "batch_size": 100, "steps": 8000, "eval_every": 250}
"""The MNIST-1D paper's MLP recipe (their ``get_model_args``): Adam, constant learning rate."""


class MNIST1DMLP(nn.Module):
    """The MNIST-1D paper's ``MLPBase``: two hidden layers of ``hidden`` units, the second residual."""

    def __init__(self, n_in: int = 40, hidden: int = 100, n_classes: int = 10):
        super().__init__()
        self.linear1, self.linear2 = nn.Linear(n_in, hidden), nn.Linear(hidden, hidden)
        self.linear3 = nn.Linear(hidden, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.linear1(x.flatten(1)).relu()
        return self.linear3(h + self.linear2(h).relu())


def mlp_gap(cfg: Config, recipe: dict | None = None) -> dict:
    """Test accuracies that locate the MLP row against the published 68%.

    Returns:
        ``shared_recipe``: the paper's 1-layer MLP trained like the convolutional models (AdamW, one-cycle
        ``budget["lr"]``, ``budget["steps"]`` of ``budget["batch_size"]``); ``published_final`` and
        ``published_best``: the MNIST-1D paper's MLP with their recipe, at the last step and the best of
        the evaluations every ``eval_every`` steps; ``recipe``: the recipe used.
    """
    r = {**PUBLISHED_RECIPE, **(recipe or {})}
    b = cfg.budget
    data = dataset(cfg)
    with threads(cfg.device):
        shared = build_model("mlp", cfg, data)
        opt = torch.optim.AdamW(shared.parameters(), lr=b.get("lr", 3e-3), weight_decay=b.get("weight_decay", 0))
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=b.get("lr", 3e-3), total_steps=b["steps"])
        fit(shared, (data.x_train, data.y_train), optimizer=opt, scheduler=sched, steps=b["steps"],
            batch_size=b["batch_size"], seed=cfg.seed, progress=False)
        with seeded(cfg.seed):
            model = MNIST1DMLP(data.x_train[0].numel(), n_classes=data.n_classes).to(cfg.device, cfg.dtype)
        hist = fit(model, (data.x_train, data.y_train), optimizer=torch.optim.Adam(model.parameters(), lr=r["lr"]),
                   steps=r["steps"], batch_size=r["batch_size"], seed=cfg.seed, progress=False,
                   eval_fn=lambda m: accuracy(m, data.x_test, data.y_test), eval_every=r["eval_every"])
        final = accuracy(model, data.x_test, data.y_test)
    evals = hist.eval_value or [final]
    return {"shared_recipe": accuracy(shared, data.x_test, data.y_test), "published_final": final,
            "published_best": max(evals), "recipe": r}
