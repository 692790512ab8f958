"""(c) How the trained models move the plane through depth and time, and (d) what the continuous model
buys (any-time read-out, a test-time tolerance, invertibility) and what a discrete one does instead."""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch

from ...config import Config
from ...config import one_cpu_thread as _threads
from ...models import Classifier
from ...solvers import solve
from ...train import accuracy
from .training import TRAIN_TOL


def plane_grid(cfg: Config, n: int | None = None, extent: float = 2.0) -> torch.Tensor:
    """``(n*n, 2)`` points of a square grid over ``[-extent, extent]²``, on ``cfg.device``."""
    n = n or cfg.budget.get("grid", 21)
    g = torch.linspace(-extent, extent, n, dtype=cfg.dtype, device=cfg.device)
    return torch.stack(torch.meshgrid(g, g, indexing="xy"), dim=-1).reshape(-1, 2)


def _rounded(x: torch.Tensor, digits: int = 3) -> list:
    """Coordinates rounded for the figures: a smaller page, and the same JSON on every run."""
    return torch.round(x.detach().double().cpu(), decimals=digits).tolist()


@torch.no_grad()
def transport(cfg: Config, trained: dict) -> dict:
    """Where the trained models carry a grid over the plane and the test points.

    Returns:
        ``odenet``: ``t`` (the frame times), ``grid`` and ``points`` as ``(T, n, 2)`` nested lists;
        ``resnet``: the same with ``t`` the block times ``k/N``; plus ``grid_class`` (each grid point's
        predicted class, per model) and ``labels`` of the test points.
    """
    grid, (_, x_te, _, y_te) = plane_grid(cfg), trained["data"]
    n_frames = cfg.budget.get("frames", 11)
    out = {"labels": y_te.cpu().tolist()}
    with _threads(cfg.device):
        for name in ("odenet", "resnet"):
            model = trained["models"][name]
            if name == "odenet":
                ts = torch.linspace(0, model.body.t1, n_frames).tolist()
                g, p = model.trajectory(grid, ts), model.trajectory(x_te, ts)
            else:
                ts = model.body.times.tolist()
                g, p = model.trajectory(grid), model.trajectory(x_te)
            out[name] = {"t": ts, "grid": _rounded(g), "points": _rounded(p),
                         "grid_class": model(grid).argmax(-1).cpu().tolist()}
    return out


# ------------------------------------------------------------------------------- (d) the continuous view
def _jacobians(fn: Callable, x: torch.Tensor) -> torch.Tensor:
    """``(batch, 2, 2)`` Jacobians of a row-wise map ``(batch, 2) → (batch, 2)``, in float64.

    Summing an output column over the batch and differentiating gives every row's derivative at once,
    because row ``i`` of the output depends on row ``i`` of the input only (an adaptive solver's step
    sizes depend on the whole batch, but they are plain floats, not part of the graph).
    """
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        y = fn(x)
        rows = [torch.autograd.grad(y[:, i].sum(), x, retain_graph=i == 0)[0] for i in range(2)]
    return torch.stack(rows, dim=1).double()


def _ode64(trained: dict) -> tuple[Classifier, torch.Tensor, torch.Tensor]:
    """A float64 copy of the trained ODE-Net and the test set: test-time tolerances down to 1e-10 are
    then about the solver, not about float32's resolution (and the trained model is left alone)."""
    _, x_te, _, y_te = trained["data"]
    return copy.deepcopy(trained["models"]["odenet"]).double(), x_te.double(), y_te


@torch.no_grad()
def read_out(cfg: Config, trained: dict) -> dict:
    """Test accuracy read out at other depths: the ODE-Net at end times ``T`` (``any_time``, with the
    NFE), the ResNet after ``k`` of its blocks (``any_depth``)."""
    ode, x64, y_te = _ode64(trained)
    rows = []
    for t_end in cfg.budget.get("end_times", [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0]):
        ode.body.t1 = t_end
        rows.append({"t": t_end, "acc": accuracy(ode, x64, y_te), "nfe": ode.body.nfe_forward})
    res = trained["models"]["resnet"]
    states = res.trajectory(trained["data"][1])
    depth = [{"t": t, "blocks": k, "acc": float((res.head(states[k]).argmax(-1) == y_te).double().mean())}
             for k, t in enumerate(res.body.times.tolist())]
    return {"any_time": rows, "any_depth": depth}


@torch.no_grad()
def tolerance_sweep(cfg: Config, trained: dict) -> list[dict]:
    """The trained ODE-Net solved at other tolerances: NFE, test accuracy, and the largest change of the
    final state against the tightest tolerance (``state_change``)."""
    ode, x64, y_te = _ode64(trained)
    h0, finals, rows = ode.encode(x64), [], []
    for tol in cfg.budget.get("tolerances", [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8]):
        ode.body.rtol = ode.body.atol = tol
        finals.append(ode.body(h0))
        rows.append({"tol": tol, "nfe": ode.body.nfe_forward,
                     "acc": float((ode.head(finals[-1]).argmax(-1) == y_te).double().mean())})
    for row, h1 in zip(rows, finals, strict=True):
        row["state_change"] = float((h1 - finals[-1]).norm(dim=-1).max())
    return rows


@torch.no_grad()
def round_trip(cfg: Config, trained: dict) -> list[dict]:
    """Integrate the test points' states from ``t = 0`` to ``1`` and back: the largest reconstruction
    error and the NFE of both solves, per tolerance."""
    ode, x64, _ = _ode64(trained)
    h0 = ode.encode(x64)
    forward, backward = (torch.tensor(ts, dtype=h0.dtype, device=h0.device) for ts in ([0.0, 1.0], [1.0, 0.0]))
    rows = []
    for tol in cfg.budget.get("inverse_tolerances", [1e-3, 1e-5, 1e-7]):
        fwd = solve(ode.body.func, h0, forward, rtol=tol, atol=tol)
        back = solve(ode.body.func, fwd.ys[-1], backward, rtol=tol, atol=tol)
        rows.append({"tol": tol, "error": float((back.ys[-1] - h0).norm(dim=-1).max()),
                     "nfe": fwd.stats.nfe + back.stats.nfe})
    return rows


def folding(cfg: Config, trained: dict, flow_tol: float = 1e-7) -> dict:
    """Does a trained body fold the plane? Per model: the smallest Jacobian determinant of
    ``x ↦ body(lift(x))`` over the plane grid and the share of the grid where it is ``<= 0``; for the
    ResNet also each block's largest ``‖step·∂f_k/∂h‖₂`` (a block can only fold where it is >= 1).

    The ODE-Net's map is solved in float64 at ``rtol = atol = flow_tol``: Liouville's formula is about
    the flow, and a solver at a loose tolerance is only near it (its own map can fold where the learned
    field is hard to integrate).
    """
    ode, _, _ = _ode64(trained)
    ode.body.rtol = ode.body.atol = flow_tol
    grid, out = plane_grid(cfg), {}
    for name, model in (("odenet", ode), ("resnet", trained["models"]["resnet"])):
        x = grid.to(next(model.parameters()).dtype)
        det = torch.linalg.det(_jacobians(lambda x, m=model: m.body(m.encode(x)), x))
        out[name] = {"min_det": float(det.min()), "folded_share": float((det <= 0).double().mean())}
    out["odenet"]["tol"] = flow_tol
    body = trained["models"]["resnet"].body
    zero = torch.zeros((), dtype=grid.dtype, device=grid.device)
    out["resnet"]["block_lipschitz"] = [
        float(torch.linalg.matrix_norm(_jacobians(lambda x, f=f: body.step * f(zero, x), grid), ord=2).max())
        for f in body.funcs]
    return out


def continuous_view(cfg: Config, trained: dict) -> dict:
    """What the continuous model buys, measured: :func:`read_out` (``any_time``, ``any_depth``),
    :func:`tolerance_sweep` (``tolerance``), :func:`round_trip` (``inverse``) and :func:`folding`."""
    with _threads(cfg.device):
        return {**read_out(cfg, trained), "train_tol": TRAIN_TOL, "tolerance": tolerance_sweep(cfg, trained),
                "inverse": round_trip(cfg, trained), "folding": folding(cfg, trained)}
