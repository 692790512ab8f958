"""Chapter 4 (a): the Table 1 analogue: MLP, ResNet, RK-Net and ODE-Net trained alike on one data set."""

from __future__ import annotations

import hashlib
import json
import statistics

import torch
import torch.nn.functional as F

from ...config import Config, cache_dir, seeded
from ...config import one_cpu_thread as threads
from ...data import DigitSet, load_mnist, load_mnist1d, load_sklearn_digits
from ...measure import peak_memory
from ...models import TABLE1, build_table1_model, count_parameters
from ...train import accuracy, fit

LABELS = {"mlp": "1-layer MLP", "resnet": "ResNet", "rknet": "RK-Net", "odenet": "ODE-Net"}
DATASETS = ("mnist1d", "digits", "mnist")

PAPER_TABLE1 = {
    # Chen et al. 2018, Table 1 (MNIST), transcribed: test error in %, parameters in millions, memory, time.
    "mlp": {"test_error_pct": 1.60, "params_m": 0.24, "memory": "–", "time": "–"},
    "resnet": {"test_error_pct": 0.41, "params_m": 0.60, "memory": "O(L)", "time": "O(L)"},
    "rknet": {"test_error_pct": 0.47, "params_m": 0.22, "memory": "O(L̃)", "time": "O(L̃)"},
    "odenet": {"test_error_pct": 0.42, "params_m": 0.22, "memory": "O(1)", "time": "O(L̃)"},
}
MNIST1D_PUBLISHED = {"logistic regression": 0.32, "MLP": 0.68, "CNN": 0.94, "GRU": 0.91, "human": 0.96}
"""Published MNIST-1D test accuracies (Greydanus & Kobak)."""






def dataset(cfg: Config) -> DigitSet:
    """The data set named by ``cfg.budget["dataset"]`` (default MNIST-1D), on ``cfg.device``.

    ``n_train`` / ``n_test`` in the budget keep the first samples only (``None``: all).
    """
    name = cfg.budget.get("dataset", "mnist1d")
    if name == "mnist1d":
        data = load_mnist1d()
    elif name == "digits":
        data = load_sklearn_digits(seed=cfg.seed)
    elif name == "mnist":
        data = load_mnist(cfg.budget.get("mnist_dir"))
    else:
        raise ValueError(f"unknown dataset {name!r}; expected one of {', '.join(DATASETS)}")
    n_tr, n_te = cfg.budget.get("n_train"), cfg.budget.get("n_test")
    data.x_train, data.y_train = data.x_train[:n_tr], data.y_train[:n_tr]
    data.x_test, data.y_test = data.x_test[:n_te], data.y_test[:n_te]
    return data.to(cfg.device, cfg.dtype)


def build_model(name: str, cfg: Config, data: DigitSet) -> torch.nn.Module:
    """One of :data:`~nodebook.models.TABLE1` with the budget's sizes, initialised from ``cfg.seed``."""
    b = cfg.budget
    with seeded(cfg.seed):
        model = build_table1_model(
            name, in_shape=data.shape, n_classes=data.n_classes, channels=b.get("channels", 16),
            hidden=b.get("hidden", 300), resnet_blocks=b.get("resnet_blocks", 6), rk_steps=b.get("rk_steps", 2),
            rtol=b.get("train_tol", 1e-3), pool=b.get("pool", False), adjoint=True,
            activation=b.get("activation", "softplus"))
    return model.to(device=cfg.device, dtype=cfg.dtype)


def _checkpoint(name: str, cfg: Config) -> str | None:
    """Where a run is saved (``budget["checkpoint"]``): a file keyed by everything that shapes the run."""
    if not cfg.budget.get("checkpoint"):
        return None
    key = json.dumps({"model": name, "seed": cfg.seed, "dtype": str(cfg.dtype), "budget": cfg.budget},
                     sort_keys=True, default=str)
    return str(cache_dir("ch4") / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt")


def step_memory(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, device: torch.device) -> int:
    """Peak extra bytes of one training step's forward and backward pass (activations kept for backward).

    Gradients are returned by ``autograd.grad`` rather than accumulated into ``.grad``: the measured call
    then frees only what it allocated itself (the CPU profiler warns about blocks allocated before it).
    """
    params = [p for p in model.parameters() if p.requires_grad]
    model.zero_grad(set_to_none=True)

    def step():
        torch.autograd.grad(F.cross_entropy(model(x), y), params)
    return peak_memory(step, device)


def train_table(cfg: Config, names: tuple[str, ...] = TABLE1, progress: bool = False) -> dict:
    """Train each model with Adam (one-cycle learning rate) on the same batches from the same seed.

    Returns:
        ``data``, ``models`` (trained), ``histories``, and per model in ``rows``: ``test_acc``,
        ``test_error_pct``, ``train_acc``, ``params``, ``ms_per_step`` (median wall time of a training
        step), ``memory_mib`` (peak extra memory of one forward and backward pass on a training batch),
        ``nfe_forward`` / ``nfe_backward`` (last step; blocks for the ResNet), ``final_loss``.
    """
    b = cfg.budget
    data = dataset(cfg)
    models, rows, hists = {}, {}, {}
    with threads(cfg.device):
        for name in names:
            model = build_model(name, cfg, data)
            opt = torch.optim.AdamW(model.parameters(), lr=b.get("lr", 3e-3), weight_decay=b.get("weight_decay", 0))
            sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=b.get("lr", 3e-3), total_steps=b["steps"])
            hist = fit(model, (data.x_train, data.y_train), optimizer=opt, scheduler=sched, steps=b["steps"],
                       batch_size=b["batch_size"], seed=cfg.seed, progress=progress, desc=LABELS[name],
                       checkpoint=_checkpoint(name, cfg), checkpoint_every=b.get("checkpoint_every", 500))
            n = b["batch_size"]
            mem = step_memory(model, data.x_train[:n], data.y_train[:n], cfg.device)
            test_acc = accuracy(model, data.x_test, data.y_test)
            blocks = getattr(model, "body", None)
            fwd = hist.nfe_forward[-1] if hist.nfe_forward else getattr(blocks, "n_blocks", 0)
            rows[name] = {
                "test_acc": test_acc, "test_error_pct": 100 * (1 - test_acc),
                "train_acc": accuracy(model, data.x_train, data.y_train), "params": count_parameters(model),
                "ms_per_step": 1e3 * statistics.median(hist.time_s[1:] or hist.time_s),
                "memory_mib": mem / 2**20, "nfe_forward": fwd,
                "nfe_backward": hist.nfe_backward[-1] if hist.nfe_backward else 0,
                "final_loss": sum(hist.loss[-10:]) / len(hist.loss[-10:]),
            }
            models[name], hists[name] = model, hist
    return {"data": data, "models": models, "rows": rows, "histories": hists}


def full_mode_columns(record: dict | None) -> dict[str, dict[str, str]]:
    """Per model, the committed full-mode run's test error and parameters as table cells (``"–"`` if none).

    Args:
        record: ``nodebook.results.load_results("ch4")`` (``None`` when no full-mode run is committed).
    """
    out = {}
    for name in TABLE1:
        row = (record or {}).get("metrics", {}).get("models", {}).get(name)
        out[name] = ({"error": f"{row['test_error_pct']:.1f}%", "params": f"{row['params']:,}",
                      "ms": f"{row['ms_per_step']:.1f}", "mib": f"{row['memory_mib']:.1f}"} if row else
                     {"error": "–", "params": "–", "ms": "–", "mib": "–"})
    return out
