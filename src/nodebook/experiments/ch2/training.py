"""(b) A ResNet, an ODE-Net and an augmented ODE-Net trained side by side on concentric circles."""

from __future__ import annotations

import torch

from ...config import Config
from ...config import one_cpu_thread as _threads
from ...config import seeded as _seeded
from ...data import concentric_circles, train_test_split
from ...models import Classifier, MLPDynamics, ODEBlock, ResNetBlocks, count_parameters
from ...train import accuracy, fit

MODELS = ("resnet", "odenet", "anode")
TRAIN_TOL = 1e-3
"""The ODE-Nets' solver tolerance in training (``rtol = atol``)."""
LABELS = {"resnet": "ResNet", "odenet": "ODE-Net", "anode": "augmented ODE-Net"}


def circles(cfg: Config) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The chapter's data: ``x_train, x_test, y_train, y_test`` of concentric circles, on ``cfg.device``."""
    n_train, n_test = cfg.budget["n_train"], cfg.budget.get("n_test", 256)
    x, y = concentric_circles(n_train + n_test, seed=cfg.seed, dtype=cfg.dtype, device=cfg.device)
    return train_test_split(x, y, test_fraction=n_test / (n_train + n_test), seed=cfg.seed)


def build_model(name: str, cfg: Config) -> Classifier:
    """One of :data:`MODELS`, initialised from ``cfg.seed``.

    * ``resnet``: ``resnet_blocks`` untied residual blocks, each its own width-``width`` MLP, step
      ``1/N`` so that depth runs over ``[0, 1]`` like the ODE's time;
    * ``odenet``: one time-dependent MLP field integrated by dopri5 over ``[0, 1]`` (``rtol = atol =
      1e-3``: :data:`TRAIN_TOL`), acting on the plane itself;
    * ``anode``: the same with ``augment_dim`` zero dimensions appended to the input (Dupont et al.).
    """
    width = cfg.budget.get("width", 32)
    with _seeded(cfg.seed):
        if name == "resnet":
            body = ResNetBlocks(lambda: MLPDynamics(2, width), cfg.budget.get("resnet_blocks", 4), tied=False)
            model = Classifier(body, in_dim=2)
        elif name in ("odenet", "anode"):
            dim = 2 + (cfg.budget.get("augment_dim", 1) if name == "anode" else 0)
            body = ODEBlock(MLPDynamics(dim, width, time_dependent=True), rtol=TRAIN_TOL, atol=TRAIN_TOL)
            model = Classifier(body, in_dim=2, hidden_dim=dim)
        else:
            raise ValueError(f"unknown model {name!r}; expected one of {', '.join(MODELS)}")
    return model.to(device=cfg.device, dtype=cfg.dtype)


def train_models(cfg: Config, names: tuple[str, ...] = MODELS, progress: bool = False) -> dict:
    """Train each model with Adam on the circles; the same data, batches, steps and seed for all.

    Returns:
        ``data`` (the split), ``models`` (trained), and per model in ``rows``: ``test_acc``,
        ``train_acc``, ``params``, ``time_s`` (training wall time), ``ms_per_step``, ``evals`` (evaluations
        of ``f`` per forward pass at the end of training: the number of blocks, or the ODE solver's NFE on
        the last training batch), ``test_nfe`` (the same, on the whole test set in one pass: every model on
        the same data), ``test_errors`` (misclassified test points), ``final_loss``; in ``curves``: ``loss``
        and ``nfe`` per step.
    """
    data = circles(cfg)
    x_tr, x_te, y_tr, y_te = data
    models, rows, curves = {}, {}, {}
    with _threads(cfg.device):
        for name in names:
            model = build_model(name, cfg)
            opt = torch.optim.Adam(model.parameters(), lr=cfg.budget.get("lr", 1e-2))
            hist = fit(model, (x_tr, y_tr), optimizer=opt, steps=cfg.budget["steps"],
                       batch_size=cfg.budget["batch_size"], seed=cfg.seed, progress=progress,
                       desc=LABELS[name])
            body = model.body
            evals = body.n_blocks if isinstance(body, ResNetBlocks) else hist.nfe_forward[-1]
            models[name] = model
            test_acc = accuracy(model, x_te, y_te, batch_size=len(x_te))  # one pass: its NFE is the test set's
            test_nfe = body.n_blocks if isinstance(body, ResNetBlocks) else body.nfe_forward
            rows[name] = {
                "test_acc": test_acc, "test_nfe": test_nfe, "test_errors": round((1 - test_acc) * len(x_te)),
                "train_acc": accuracy(model, x_tr, y_tr),
                "params": count_parameters(model), "time_s": hist.wall_time_s,
                "ms_per_step": 1e3 * hist.wall_time_s / hist.steps, "evals": evals,
                "final_loss": sum(hist.loss[-10:]) / len(hist.loss[-10:]),
            }
            curves[name] = {"loss": hist.loss, "nfe": hist.nfe_forward or [evals] * hist.steps}
    return {"data": data, "models": models, "rows": rows, "curves": curves}
