"""Chapter 5's experiments: continuous normalizing flows.

* :func:`planar_vs_cnf`: the paper's Figure 4 analogue. Planar flows with ``K`` layers and CNFs of width
  ``M`` fitted to unnormalised 2-D targets by ``KL(q‖p)``, same steps, batch and learning rate.
* :func:`trace_variance`: Hutchinson's estimator on fixed matrices: mean and variance, Gaussian vs
  Rademacher noise, against the closed-form variance.
* :func:`trace_cost`: exact trace (``D`` backward passes) against Hutchinson (one) as ``D`` grows.
* :func:`train_toys`: FFJORD-style CNFs trained by maximum likelihood on the toy densities: NFE during
  training, time per step, test NLL, samples, the learned density and its evolution over time.

Every function takes the chapter's :class:`~nodebook.config.Config` and returns plain numbers and lists
(``train_toys`` and ``planar_vs_cnf`` also return NumPy arrays for the figures, left out by :func:`run`).
"""

from __future__ import annotations

import numpy as np
import torch

from ..config import Config
from ..config import one_cpu_thread as _threads
from ..config import seeded as _seeded
from ..exercises import verdict_close
from ..flows import (
    CNF,
    ConcatSquashDynamics,
    HyperDynamics,
    PlanarFlow,
    exact_trace,
    fit_flow,
    grid,
    hutchinson_trace,
    hutchinson_variance,
    kl_loss,
    log_normaliser,
    nll_loss,
    sample_noise,
    sample_toy,
    target_log_density,
)
from ..measure import time_call

LIM = 4.0  # the plotting window [-LIM, LIM]²


def _hist2d(x: torch.Tensor, bins: int) -> np.ndarray:
    """Normalised 2-D histogram of samples over the plotting window, rows = y (for heatmaps)."""
    h, _, _ = np.histogram2d(x[:, 1].cpu().numpy(), x[:, 0].cpu().numpy(), bins=bins,
                             range=[[-LIM, LIM], [-LIM, LIM]], density=True)
    return h


# -------------------------------------------------------------------------------- (a) planar vs CNF
def build_kl_model(kind: str, size: int, cfg: Config) -> torch.nn.Module:
    """A planar flow with ``K = size`` layers or a CNF of width ``M = size`` (RK4, fixed steps)."""
    b = cfg.budget
    with _seeded(cfg.seed + size):
        if kind == "planar":
            model = PlanarFlow(2, size)
        else:
            model = CNF(HyperDynamics(2, size, hidden=b["cnf_hidden"]), t1=1.0, trace="analytic",
                        method="rk4", options={"step_size": 1.0 / b["kl_rk4_steps"]})
    return model.to(device=cfg.device, dtype=cfg.dtype)


def planar_vs_cnf(cfg: Config, *, progress: bool = False) -> dict:
    """Fit every model of the comparison to every target; report ``KL(q‖p)`` in nats (``log Z`` added).

    Returns:
        ``rows``: one dict per (target, model, size) with ``kl``, ``params``, ``seconds``, ``loss``
        (the curve); ``hists``: ``{(target, kind, size): 2-D histogram of 20k samples}``; ``targets``:
        ``{target: density on the grid}``; ``axis``: the grid's axis.
    """
    b = cfg.budget
    axis, pts, _ = grid(LIM, b["grid"], dtype=torch.float64)
    rows, hists, targets = [], {}, {}
    with _threads(cfg.device):
        for target in b["targets"]:
            log_z = log_normaliser(target)
            targets[target] = (target_log_density(target, pts) - log_z).exp().reshape(len(axis), -1).numpy()
            for kind, sizes in (("planar", b["planar_k"]), ("cnf", b["cnf_m"])):
                for size in sizes:
                    model = build_kl_model(kind, size, cfg)
                    with _seeded(cfg.seed):
                        hist = fit_flow(model, lambda s, m=model, t=target: kl_loss(m, t, b["kl_batch"]),
                                        steps=b["kl_steps"], lr=b["kl_lr"], progress=progress,
                                        desc=f"{target} {kind} {size}")
                        with torch.no_grad():
                            x, logq = model.sample(b["kl_eval"])
                    kl = float((logq - target_log_density(target, x)).mean()) + log_z
                    hists[(target, kind, size)] = _hist2d(x, b["grid"])
                    rows.append({"target": target, "kind": kind, "size": size, "kl": kl,
                                 "params": sum(p.numel() for p in model.parameters()),
                                 "seconds": sum(hist["seconds"]),
                                 "ms_per_step": 1000 * float(np.median(hist["seconds"])), "loss": hist["loss"]})
    return {"rows": rows, "hists": hists, "targets": targets, "axis": axis.numpy()}


# --------------------------------------------------------------------------------------- (b) traces
def trace_variance(cfg: Config) -> dict:
    """Hutchinson estimates of ``tr A`` for a random and a diagonal ``D × D`` matrix, both noises.

    Returns:
        ``rows``: per (matrix, noise): exact trace, empirical mean and variance over ``hutch_samples``
        draws, the closed-form variance, and the mean's standard error.
    """
    d, n = cfg.budget["hutch_dim"], cfg.budget["hutch_samples"]
    g = torch.Generator().manual_seed(cfg.seed)
    random_a = torch.randn(d, d, generator=g, dtype=torch.float64)
    mats = {"random": random_a, "diagonal": torch.diag(torch.diagonal(random_a))}
    rows = []
    for mat_name, a in mats.items():
        for kind in ("gaussian", "rademacher"):
            e = sample_noise((n, d), kind, dtype=torch.float64, generator=g)
            est = torch.einsum("ni,ij,nj->n", e, a, e)
            rows.append({"matrix": mat_name, "noise": kind, "exact": float(torch.trace(a)),
                         "mean": float(est.mean()), "var": float(est.var()),
                         "var_theory": hutchinson_variance(a, kind),
                         "stderr": float(est.std() / n**0.5)})
    return {"dim": d, "samples": n, "rows": rows}


def trace_cost(cfg: Config) -> dict:
    """Seconds for one evaluation of ``f`` plus its trace, exact vs Hutchinson, as the dimension grows.

    ``f`` is a concat-squash MLP ``D → 64 → 64 → D`` on a batch of ``trace_batch`` states.
    """
    b = cfg.budget
    rows = []
    with _threads(cfg.device):
        for d in b["trace_dims"]:
            with _seeded(cfg.seed):
                f = ConcatSquashDynamics(d, (64, 64)).to(device=cfg.device, dtype=cfg.dtype)
                z = torch.randn(b["trace_batch"], d, device=cfg.device, dtype=cfg.dtype).requires_grad_(True)
            e = sample_noise((b["trace_batch"], d), "rademacher", dtype=cfg.dtype, device=cfg.device)

            def exact(f=f, z=z):
                return exact_trace(f(0.5, z), z)

            def hutch(f=f, z=z, e=e):
                return hutchinson_trace(f(0.5, z), z, e)

            t_exact = time_call(exact, repeat=b["trace_repeat"], device=cfg.device)
            t_hutch = time_call(hutch, repeat=b["trace_repeat"], device=cfg.device)
            rows.append({"dim": d, "exact_ms": 1000 * t_exact, "hutchinson_ms": 1000 * t_hutch,
                         "ratio": t_exact / t_hutch})
    return {"rows": rows, "batch": b["trace_batch"]}


# ------------------------------------------------------------------------------------ (c) toy CNFs
def build_toy_model(cfg: Config, *, trace: str = "exact") -> CNF:
    """FFJORD's toy model: concat-squash MLP, dopri5 at the budget's tolerance, end time ``toy_t1``."""
    b = cfg.budget
    with _seeded(cfg.seed):
        dyn = ConcatSquashDynamics(2, tuple(b["toy_hidden"]))
    return CNF(dyn, t1=b["toy_t1"], trace=trace, method="dopri5", rtol=b["toy_tol"],
               atol=b["toy_tol"]).to(device=cfg.device, dtype=cfg.dtype)


def _evaluate(model: CNF, x: torch.Tensor, tol: float, chunk: int = 4096) -> torch.Tensor:
    """``log p(x)`` at a tighter tolerance than in training, without building a graph."""
    saved = dict(model.solver)
    model.solver.update(rtol=tol, atol=tol)
    try:
        with torch.no_grad():
            return torch.cat([model.log_prob(x[i:i + chunk]) for i in range(0, len(x), chunk)])
    finally:
        model.solver = saved


def train_toy(name: str, cfg: Config, *, progress: bool = False) -> dict:
    """Train one FFJORD-style CNF on ``name`` by maximum likelihood, then measure and draw it."""
    b = cfg.budget
    x_train = sample_toy(name, b["n_train"], seed=cfg.seed, dtype=cfg.dtype, device=cfg.device)
    x_test = sample_toy(name, b["n_test"], seed=cfg.seed + 1, dtype=cfg.dtype, device=cfg.device)
    model = build_toy_model(cfg)
    g = torch.Generator().manual_seed(cfg.seed)

    def loss(step: int) -> torch.Tensor:
        idx = torch.randint(0, len(x_train), (b["toy_batch"],), generator=g).to(cfg.device)
        return nll_loss(model, x_train[idx])

    with _threads(cfg.device):
        hist = fit_flow(model, loss, steps=b["toy_steps"], lr=b["toy_lr"], lr_final=b.get("toy_lr_final"),
                        progress=progress, desc=name)
        test_nll = -float(_evaluate(model, x_test, b["eval_tol"]).mean())
        axis, pts, cell = grid(LIM, b["grid"], dtype=cfg.dtype, device=cfg.device)
        times = np.linspace(0.0, b["toy_t1"], b["frames"]).tolist()
        dens = [_evaluate_at(model, pts, t, b["eval_tol"]).exp().reshape(len(axis), -1).cpu().numpy()
                for t in times]
        with torch.no_grad(), _seeded(cfg.seed):
            z0 = model.base_std * torch.randn(b["n_samples"], 2, dtype=cfg.dtype, device=cfg.device)
            zs, _ = model(z0, times=times)
    return {"name": name, "test_nll": test_nll, "mass": float(dens[-1].sum() * cell),
            "loss": hist["loss"], "nfe": hist["nfe"], "seconds": sum(hist["seconds"]),
            "ms_per_step": 1000 * float(np.median(hist["seconds"])),
            "times": times, "density": dens, "samples": zs.cpu().numpy(), "data": x_test.cpu().numpy(),
            "axis": axis.cpu().numpy(), "model": model}


def _evaluate_at(model: CNF, x: torch.Tensor, t: float, tol: float) -> torch.Tensor:
    saved = dict(model.solver)
    model.solver.update(rtol=tol, atol=tol)
    try:
        with torch.no_grad():
            return model.log_prob(x, t=t)
    finally:
        model.solver = saved


def train_toys(cfg: Config, *, progress: bool = False) -> dict[str, dict]:
    """:func:`train_toy` for every density in the budget's ``toys``."""
    return {name: train_toy(name, cfg, progress=progress) for name in cfg.budget["toys"]}


def adjoint_gradients(cfg: Config, model: CNF, x: torch.Tensor, *, tol: float = 1e-4) -> dict:
    """The NLL gradient of a trained CNF's parameters, by backprop through the solver and by the adjoint.

    Returns:
        ``rel_diff``: ``‖g_adjoint - g_backprop‖ / ‖g_backprop‖``; ``nfe_forward``, ``nfe_backward`` of the
        adjoint's solves, and ``nfe_backprop`` of the forward solve differentiated directly.
    """
    grads, nfes = {}, {}
    with _threads(cfg.device):
        for adjoint in (False, True):
            cnf = CNF(model.func.dynamics, t1=model.t1, rtol=tol, atol=tol, adjoint=adjoint)
            cnf.zero_grad()
            nll_loss(cnf, x).backward()
            grads[adjoint] = torch.cat([p.grad.reshape(-1) for p in cnf.parameters()])
            nfes[adjoint] = (cnf.last_nfe, cnf.last_backward_nfe)
        cnf.zero_grad()
    rel = float((grads[True] - grads[False]).norm() / grads[False].norm())
    return {"rel_diff": rel, "nfe_backprop": nfes[False][0], "nfe_forward": nfes[True][0],
            "nfe_backward": nfes[True][1], "tol": tol}


def nfe_vs_tolerance(cfg: Config, model: CNF, x: torch.Tensor, tols: list[float]) -> list[dict]:
    """Test NLL of ``x`` and the NFE of its density solve at each tolerance (the model is left unchanged)."""
    rows = []
    with _threads(cfg.device):
        for tol in tols:
            nll = -float(_evaluate(model, x, tol).mean())
            rows.append({"tol": tol, "nfe": model.last_nfe, "nll": nll})
    return rows


_PLAIN = ("test_nll", "mass", "seconds", "ms_per_step", "nfe")


def run(cfg: Config) -> dict:
    """Every experiment of the chapter, as saved by ``python -m nodebook reproduce ch5``."""
    fig4 = planar_vs_cnf(cfg)
    toys = train_toys(cfg)
    return {
        "planar_vs_cnf": [{k: v for k, v in r.items() if k != "loss"} for r in fig4["rows"]],
        "toys": {name: {k: r[k] for k in _PLAIN} for name, r in toys.items()},
        "trace_variance": trace_variance(cfg),
        "trace_cost": trace_cost(cfg),
    }


def check_planar_logdet(logdet_fn, *, seed: int = 0) -> float:
    """Self-check: ``logdet_fn(z, w, u, b)`` returns ``log|det ∂f/∂z|`` of ``f(z) = z + u tanh(wᵀz + b)``.

    Compared with the determinant of the Jacobian computed by autograd at 5 random points (float64).

    Returns:
        The largest absolute error.
    """
    g = torch.Generator().manual_seed(seed)
    w, u, z = (torch.randn(n, 2, generator=g, dtype=torch.float64) for n in (1, 1, 5))
    w, u, bias = w[0], u[0], 0.3
    worst = 0.0
    for zi in z:
        jac = torch.autograd.functional.jacobian(lambda v: v + u * torch.tanh(w @ v + bias), zi)
        got = float(logdet_fn(zi[None], w, u, bias).reshape(-1)[0])
        worst = max(worst, abs(got - float(torch.linalg.det(jac).abs().log())))
    verdict_close(1.0 + worst, 1.0, what="log-determinant error", rel_tol=1e-8,
                  hint="the Jacobian is I + u ψᵀ with ψ = tanh'(wᵀz + b) w: use the matrix determinant lemma.",
                  success=f"log-determinant matches autograd's (largest error {worst:.1e})")
    return worst
