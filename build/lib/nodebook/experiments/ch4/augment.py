"""Chapter 4 (c): Augmented Neural ODEs (Dupont et al.): what a plain flow cannot learn, measured.

* :func:`crossing_map`: the 1-D map ``g(-1) = 1, g(1) = -1``. A flow on the line keeps the order of
  points, so its mean squared error is at least 1; with extra zero dimensions the trajectories can go
  around each other and the error can reach 0.
* :func:`circles`: Chapter 2's concentric circles, plain against augmented ODE-Net (its training code).
"""

from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F
from torch import nn

from ...config import Config
from ...models import MLPDynamics, ODEBlock
from ...train import fit
from .. import ch2
from .table import seeded, threads


class FirstCoordinate(nn.Module):
    """``x (n, 1) ↦ φ_1((x, 0, …, 0))[:, 0]``: a flow of ``R^(1 + augment_dim)`` read on its first axis."""

    def __init__(self, augment_dim: int = 0, width: int = 16, tol: float = 1e-3):
        super().__init__()
        self.augment_dim = int(augment_dim)
        self.body = ODEBlock(MLPDynamics(1 + self.augment_dim, width, time_dependent=True), rtol=tol, atol=tol)

    def lift(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, x.new_zeros(len(x), self.augment_dim)], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(self.lift(x))[:, 0]

    @torch.no_grad()
    def trajectory(self, x: torch.Tensor, ts: list[float]) -> torch.Tensor:
        """``(len(ts), n, 1 + augment_dim)`` states."""
        return self.body.trajectory(self.lift(x), ts)


def crossing_map(cfg: Config, augment_dims: tuple[int, ...] = (0, 1), steps: int | None = None) -> dict:
    """Fit ``g(-1) = 1, g(1) = -1`` with a plain (``augment_dim = 0``) and augmented ODE flows.

    Returns:
        Per augment dimension ``k`` (key ``str(k)``): ``loss`` (per step), ``final_loss``, ``nfe`` (forward
        NFE per step), ``outputs`` (``φ(-1), φ(1)`` read on the first axis), ``t`` and ``paths``
        (``(len(t), 2, 1 + k)`` nested lists: the two trajectories).
    """
    steps = steps or cfg.budget.get("augment_steps", 200)
    x = torch.tensor([[-1.0], [1.0]], dtype=cfg.dtype, device=cfg.device)
    target = -x[:, 0]
    ts = torch.linspace(0, 1, 21).tolist()
    out = {}
    with threads(cfg.device):
        for k in augment_dims:
            with seeded(cfg.seed):
                model = FirstCoordinate(k, cfg.budget.get("augment_width", 16)).to(cfg.device, cfg.dtype)
            opt = torch.optim.Adam(model.parameters(), lr=cfg.budget.get("augment_lr", 1e-2))
            hist = fit(model, (x, target), optimizer=opt, steps=steps, batch_size=2, loss_fn=F.mse_loss,
                       seed=cfg.seed, progress=False)
            with torch.no_grad():
                outputs = model(x).tolist()
            paths = model.trajectory(x, ts)
            out[str(k)] = {"loss": hist.loss, "final_loss": hist.loss[-1], "nfe": hist.nfe_forward,
                           "outputs": outputs, "t": ts, "paths": torch.round(paths.double(), decimals=4).tolist()}
    return out


def circles(cfg: Config) -> dict:
    """Chapter 2's plain and augmented ODE-Nets on concentric circles, with this chapter's step budget.

    Returns:
        ``rows`` per model (``odenet``, ``anode``): ``test_acc``, ``final_loss``, ``evals`` (forward NFE at
        the end), ``ms_per_step``; ``curves``: ``loss`` and ``nfe`` per step.
    """
    b = cfg.budget
    budget = {"n_train": b.get("circles_train", 512), "n_test": 256, "steps": b.get("circles_steps", 150),
              "batch_size": 128, "lr": 1e-2, "width": 32, "augment_dim": 1}
    cfg2 = dataclasses.replace(cfg, chapter="ch2", budget=budget)
    trained = ch2.train_models(cfg2, names=("odenet", "anode"))
    keep = ("test_acc", "final_loss", "evals", "ms_per_step", "params")
    return {"rows": {k: {f: r[f] for f in keep} for k, r in trained["rows"].items()}, "curves": trained["curves"]}
