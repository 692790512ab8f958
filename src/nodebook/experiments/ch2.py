"""Chapter 2's experiments: a ResNet is an Euler step.

* :func:`euler_limit`: a weight-tied ResNet with ``N`` blocks of step ``1/N`` against the ODE flow of the
  same (fixed, random) dynamics; the gap shrinks like ``1/N``.
* :func:`train_models`: a ResNet, an ODE-Net and an augmented ODE-Net trained side by side on concentric
  circles: accuracy, parameters, training time, NFE.
* :func:`transport`: how the trained models move the plane through depth (blocks) and time.
* :func:`continuous_view`: what the continuous model buys (any-time evaluation, a test-time tolerance,
  invertibility) and what a discrete one does instead (folding the plane).

Each function takes the chapter's :class:`~nodebook.config.Config` (sizes from ``cfg.budget``) and returns
plain numbers and lists; :func:`train_models` also returns the trained models for the later experiments.
:func:`check_block_order` and :func:`check_gap_constant` are the self-checks of the chapter's exercises.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from ..config import Config, torch_threads
from ..data import concentric_circles, train_test_split
from ..exercises import verdict_close, verdict_order
from ..measure import fit_order
from ..models import Classifier, MLPDynamics, ODEBlock, ResNetBlocks, count_parameters
from ..solvers import solve
from ..train import accuracy, fit

MODELS = ("resnet", "odenet", "anode")
LABELS = {"resnet": "ResNet", "odenet": "ODE-Net", "anode": "augmented ODE-Net"}
FLOW_TOL = 1e-10  # the "exact" flow: dopri5 this tight in float64 is far below any Euler gap measured


def _threads(device: torch.device):
    """One CPU thread while the chapter's tiny models run (a 2-D state through a width-32 MLP is a few
    microseconds of arithmetic per operation: intra-op threads only add synchronisation)."""
    return torch_threads(1 if torch.device(device).type == "cpu" else None)


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Build modules from ``seed`` without disturbing the caller's random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


# ------------------------------------------------------------------------------------- (a) Euler limit
def random_dynamics(cfg: Config, *, dim: int = 2, width: int = 32, gain: float = 4.0) -> MLPDynamics:
    """The fixed, randomly initialised field ``f(h)`` of the Euler-limit study (float64, seeded).

    ``gain`` scales the output layer so that trajectories over ``t ∈ [0, 1]`` bend visibly.
    """
    with _seeded(cfg.seed):
        f = MLPDynamics(dim, width)
    with torch.no_grad():
        f.net[-1].weight.mul_(gain)
        f.net[-1].bias.mul_(gain)
    return f.to(device=cfg.device, dtype=torch.float64).requires_grad_(False)


def flow(func: Callable, h0: torch.Tensor, ts: torch.Tensor | list[float], tol: float = FLOW_TOL):
    """The ODE flow of ``func`` from ``h0`` at times ``ts``, by dopri5 at ``rtol = atol = tol``.

    Returns:
        ``(len(ts), *h0.shape)`` states and the solve's NFE.
    """
    t = torch.as_tensor(ts, dtype=h0.dtype, device=h0.device)
    sol = solve(func, h0, t, method="dopri5", rtol=tol, atol=tol)
    return sol.ys, sol.stats.nfe


def euler_gaps(block: Callable, func: Callable, h0: torch.Tensor, exact: torch.Tensor,
               n_blocks: list[int]) -> list[float]:
    """Largest distance ``max_i |h_N(x_i) - h(1; x_i)|`` after ``N`` applications of ``block``.

    Args:
        block: ``block(func, t, h, step) -> h_next``, one residual block with step ``1/N``.
        func: the dynamics ``func(t, h)``.
        h0: ``(batch, dim)`` starting points; exact: ``(batch, dim)`` the flow at ``t = 1``.
        n_blocks: the depths ``N`` to try.
    """
    gaps = []
    with _threads(h0.device), torch.no_grad():
        for n in n_blocks:
            h, step = h0, 1.0 / n
            for k in range(n):
                h = block(func, torch.tensor(k * step, dtype=h0.dtype, device=h0.device), h, step)
            gaps.append(float((h - exact).norm(dim=-1).max()))
    return gaps


def euler_block(func: Callable, t: torch.Tensor, h: torch.Tensor, step: float) -> torch.Tensor:
    """One residual block ``h + step·f(t, h)``: an explicit Euler step."""
    return h + step * func(t, h)


def euler_limit(cfg: Config, n_points: int = 256, frame_blocks: tuple[int, ...] = (1, 2, 4, 8, 16, 32),
                n_paths: int = 12) -> dict:
    """Weight-tied ResNets of depth ``N`` (step ``1/N``) against the ODE flow of the same random field.

    Returns:
        ``n_blocks``, ``gap`` (largest distance to the flow at ``t = 1``), ``order`` (fitted on the four
        deepest nets), ``slope`` (of log gap against log N, ``= -order``), ``flow_nfe``, and ``frames``:
        for each depth in ``frame_blocks``, the paths of ``n_paths`` points through the blocks, with the
        flow's paths in ``exact_paths`` (for the slider figure).
    """
    f = random_dynamics(cfg)
    h0 = concentric_circles(n_points, seed=cfg.seed, dtype=torch.float64, device=cfg.device)[0]
    n_blocks = list(cfg.budget.get("euler_blocks", [1, 2, 4, 8, 16, 32, 64, 128]))
    with _threads(cfg.device), torch.no_grad():
        exact, nfe = flow(f, h0, [0.0, 1.0])
        gaps = euler_gaps(euler_block, f, h0, exact[-1], n_blocks)
        # The paths drawn: points on a circle of radius 1, through tied blocks and along the flow.
        angle = torch.arange(n_paths, dtype=torch.float64, device=cfg.device) * (2 * math.pi / n_paths)
        starts = torch.stack([angle.cos(), angle.sin()], dim=1)
        exact_paths, _ = flow(f, starts, torch.linspace(0, 1, 65))
        frames = []
        for n in frame_blocks:
            states = ResNetBlocks(f, n, tied=True, t1=1.0).trajectory(starts)
            frames.append({"n": n, "paths": states.permute(1, 0, 2).cpu().tolist(),
                           "gap": float((states[-1] - exact_paths[-1]).norm(dim=-1).max())})
    order = fit_order([1.0 / n for n in n_blocks], gaps)
    return {"n_blocks": n_blocks, "gap": gaps, "order": order, "slope": -order, "flow_nfe": nfe,
            "flow_tol": FLOW_TOL, "frames": frames, "exact_paths": exact_paths.permute(1, 0, 2).cpu().tolist()}


# ------------------------------------------------------------------------------- (b) side-by-side training
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
      1e-3``), acting on the plane itself;
    * ``anode``: the same with ``augment_dim`` zero dimensions appended to the input (Dupont et al.).
    """
    width = cfg.budget.get("width", 32)
    with _seeded(cfg.seed):
        if name == "resnet":
            body = ResNetBlocks(lambda: MLPDynamics(2, width), cfg.budget.get("resnet_blocks", 4), tied=False)
            model = Classifier(body, in_dim=2)
        elif name in ("odenet", "anode"):
            dim = 2 + (cfg.budget.get("augment_dim", 1) if name == "anode" else 0)
            body = ODEBlock(MLPDynamics(dim, width, time_dependent=True), rtol=1e-3, atol=1e-3)
            model = Classifier(body, in_dim=2, hidden_dim=dim)
        else:
            raise ValueError(f"unknown model {name!r}; expected one of {', '.join(MODELS)}")
    return model.to(device=cfg.device, dtype=cfg.dtype)


def train_models(cfg: Config, names: tuple[str, ...] = MODELS, progress: bool = False) -> dict:
    """Train each model with Adam on the circles; the same data, batches, steps and seed for all.

    Returns:
        ``data`` (the split), ``models`` (trained), and per model in ``rows``: ``test_acc``,
        ``train_acc``, ``params``, ``time_s`` (training wall time), ``ms_per_step``, ``evals`` (evaluations
        of ``f`` per forward pass at the end of training: the number of blocks, or the ODE solver's NFE),
        ``final_loss``; in ``curves``: ``loss`` and ``nfe`` per step.
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
            rows[name] = {
                "test_acc": accuracy(model, x_te, y_te), "train_acc": accuracy(model, x_tr, y_tr),
                "params": count_parameters(model), "time_s": hist.wall_time_s,
                "ms_per_step": 1e3 * hist.wall_time_s / hist.steps, "evals": evals,
                "final_loss": sum(hist.loss[-10:]) / len(hist.loss[-10:]),
            }
            curves[name] = {"loss": hist.loss, "nfe": hist.nfe_forward or [evals] * hist.steps}
    return {"data": data, "models": models, "rows": rows, "curves": curves}


# ------------------------------------------------------------------------------------- (c) transport
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
        return {**read_out(cfg, trained), "tolerance": tolerance_sweep(cfg, trained),
                "inverse": round_trip(cfg, trained), "folding": folding(cfg, trained)}


def run(cfg: Config) -> dict:
    """Every experiment of the chapter, as saved by ``python -m nodebook reproduce ch2``."""
    limit = euler_limit(cfg)
    trained = train_models(cfg)
    view = continuous_view(cfg, trained)
    return {
        "euler_limit": {k: limit[k] for k in ("n_blocks", "gap", "order", "slope", "flow_nfe", "flow_tol")},
        "models": trained["rows"],
        "nfe_curve": trained["curves"]["odenet"]["nfe"],
        "continuous_view": view,
    }


def check_block_order(block: Callable, expected_order: int, cfg: Config | None = None, *,
                      tol: float = 0.2) -> float:
    """Self-check: a residual block ``block(func, t, h, step)`` converges to the flow with ``expected_order``.

    The block is stacked ``N = 8 … 128`` times with step ``1/N`` on the chapter's random field, and the
    order is the fitted slope of log(gap) against log(step), as in :func:`euler_limit`.

    Returns:
        The measured order.
    """
    # Not setup(): a self-check must not reseed the learner's random state.
    cfg = cfg or Config(chapter="ch2", mode="quick", device=torch.device("cpu"), dtype=torch.float64, seed=0)
    f = random_dynamics(cfg)
    h0 = concentric_circles(64, seed=cfg.seed, dtype=torch.float64, device=cfg.device)[0]
    n_blocks = [8, 16, 32, 64, 128]
    with _threads(cfg.device):
        exact, _ = flow(f, h0, [0.0, 1.0])
    gaps = euler_gaps(block, f, h0, exact[-1], n_blocks)
    order = fit_order([1.0 / n for n in n_blocks], gaps)
    return verdict_order(order, expected_order, tol, f"gaps {gaps[0]:.2e} … {gaps[-1]:.2e}",
                         "the block must return h plus step times a combination of slopes of f.")


def check_gap_constant(c: float, rate: float = 1.0) -> float:
    """Self-check: the constant ``C`` in ``e^a - (1 + a/N)^N ≈ C/N`` for ``dh/dt = a·h``, ``h(0) = 1``.

    Returns:
        The exact constant ``a² e^a / 2``.
    """
    exact = rate**2 * math.exp(rate) / 2
    return verdict_close(c, exact, what=f"C for a = {rate:g}",
                         hint="expand N·log(1 + a/N) to second order in 1/N, or measure N·gap for a large N.",
                         success=f"C = {float(c):.4g}: the gap of a tied ResNet on dh/dt = {rate:g}·h "
                                 f"is about {exact:.4g}/N")

