"""Chapter 3's experiments: what the adjoint method saves, what it costs, and where it goes wrong.

Each ``cfg`` function reads its sizes from ``cfg.budget`` and returns plain numbers, so the chapter can
plot and glue them and ``python -m nodebook reproduce ch3`` can save them. The problem and the one-pass
measurement (:func:`mlp_problem`, :func:`measure_steps`, :func:`dopri5_nfe`) are also what
``benchmarks/adjoint_memory.py`` runs, so the chapter and the benchmark print the same numbers.
"""

from __future__ import annotations

import functools
import json
import math
import statistics

import torch

from .. import results
from ..adjoint import AdjointStats, odeint_adjoint
from ..config import Config, torch_threads
from ..measure import NFECounter, fit_order, peak_memory, time_call
from ..models import MLPDynamics
from ..solvers import odeint, solve

METHODS = ("backprop", "nodebook_adjoint", "torchdiffeq_adjoint")
GROWTH_GOAL, TIME_GOAL = 1.1, 1.2
MEMORY_GOAL = {"cpu": 50.0, "cuda": 300.0}  # backprop / adjoint peak memory at the largest step count


def _solvers() -> dict:
    import torchdiffeq  # optional dependency (the "compare" extra): imported only when measured against

    return {"backprop": odeint, "nodebook_adjoint": odeint_adjoint,
            "torchdiffeq_adjoint": torchdiffeq.odeint_adjoint}


# ------------------------------------------------------------------------ the shared problem and pass
def mlp_problem(batch: int, *, dim: int = 64, width: int = 256, device="cpu", dtype=torch.float32,
                seed: int = 0) -> tuple[MLPDynamics, torch.Tensor, torch.Tensor]:
    """The benchmark's problem: ``f(t, y) = W2 tanh(W1 y + b1) + b2``, ``y0: (batch, dim)``, ``t = [0, 1]``.

    Seeded on its own (the caller's random state is left as it was), so every caller gets the same
    weights and inputs for the same sizes.
    """
    dev = torch.device(device)
    with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
        torch.manual_seed(seed)
        func = MLPDynamics(dim, width).to(device=dev, dtype=dtype)
        y0 = torch.randn(batch, dim, device=dev).to(dtype)
    return func, y0, torch.tensor([0.0, 1.0], device=dev, dtype=dtype)


def one_pass(solver, func, y0, t, kwargs: dict):
    """A zero-argument callable: forward solve, loss = sum of squares of ``y(t_N)``, backward."""
    def run():
        ys = solver(func, y0, t, **kwargs)
        ys[-1].pow(2).sum().backward()
    return run


def budget_threads(fn):
    """Run a ``cfg`` experiment with ``cfg.budget['threads']`` torch threads (:func:`~nodebook.config.torch_threads`).

    One thread on a small shared CPU: two threads that must wait for each other on a busy core are
    several times slower than one, and their timings jump from run to run.
    """
    @functools.wraps(fn)
    def wrapper(cfg, *args, **kwargs):
        with torch_threads(cfg.budget.get("threads", 0)):
            return fn(cfg, *args, **kwargs)
    return wrapper




def measure_steps(func, y0, t, steps, *, repeat: int = 3, device="cpu", on_row=None) -> list[dict]:
    """Peak memory (MiB) and median time (ms) of one RK4 forward+backward pass, per method and step count.

    Times are medians of ``repeat`` passes taken in ABBA order across the methods, so whatever else the
    machine does hits them alike; memory is :func:`nodebook.peak_memory` of one more pass.
    ``on_row(row)`` is called as each step count finishes (the benchmark prints it).
    """
    solvers = _solvers()

    def passes(n):
        kw = {"method": "rk4", "options": {"step_size": (float(t[-1]) - float(t[0])) / n}}
        return {name: one_pass(solvers[name], func, y0, t, kw) for name in METHODS}

    for fn in passes(min(steps)).values():  # warm-up: kernels, thread pools, the .grad buffers
        fn()
    rows = []
    for n in sorted(steps):
        fns = passes(n)
        times: dict[str, list[float]] = {name: [] for name in METHODS}
        for r in range(repeat):
            for name in METHODS if r % 2 == 0 else reversed(METHODS):
                times[name].append(time_call(fns[name], repeat=1, warmup=0, device=device))
        row: dict = {"steps": n}
        for name in METHODS:
            row[f"{name}_ms"] = 1e3 * statistics.median(times[name])
            row[f"{name}_mib"] = peak_memory(fns[name], device, warmup=False) / 2**20
        row["times_ms"] = {name: [1e3 * s for s in v] for name, v in times.items()}
        rows.append(row)
        if on_row is not None:
            on_row(row)
    return rows


def dopri5_nfe(func, y0, t, tols) -> list[dict]:
    """Calls of ``f`` in the forward and in the backward solve (dopri5, rtol = atol = tol).

    For nodebook's adjoint, torchdiffeq's, and torchdiffeq's with the seminorm of Kidger et al. (2021),
    which leaves the parameter-gradient part of the backward state out of the error estimate.
    """
    solvers = _solvers()
    variants = {"nodebook_adjoint": (solvers["nodebook_adjoint"], {}),
                "torchdiffeq_adjoint": (solvers["torchdiffeq_adjoint"], {}),
                "torchdiffeq_seminorm": (solvers["torchdiffeq_adjoint"],
                                         {"adjoint_options": {"norm": "seminorm"}})}
    counter = NFECounter(func)
    rows = []
    for tol in tols:
        row: dict = {"tol": tol}
        for name, (solver, extra) in variants.items():
            counter.reset()
            ys = solver(counter, y0, t, method="dopri5", rtol=tol, atol=tol, **extra)
            row[f"{name}_forward_nfe"] = counter.reset()
            ys[-1].pow(2).sum().backward()
            row[f"{name}_backward_nfe"] = counter.reset()
        rows.append(row)
    return rows


def goals(rows: list[dict], device) -> dict:
    """The issue's goals, measured: adjoint memory growth, backprop/adjoint memory, time vs torchdiffeq."""
    first, last = rows[0], rows[-1]
    growth = last["nodebook_adjoint_mib"] / first["nodebook_adjoint_mib"]
    below = last["backprop_mib"] / last["nodebook_adjoint_mib"]
    time_ratio = max(r["nodebook_adjoint_ms"] / r["torchdiffeq_adjoint_ms"] for r in rows)
    memory_goal = MEMORY_GOAL[torch.device(device).type]
    return {
        "adjoint_memory_growth": {"value": growth, "goal": f"<= {GROWTH_GOAL}", "met": growth <= GROWTH_GOAL,
                                  "from_steps": first["steps"], "to_steps": last["steps"]},
        "backprop_over_adjoint_memory": {"value": below, "goal": f">= {memory_goal}",
                                         "met": below >= memory_goal, "steps": last["steps"]},
        "adjoint_time_nodebook_over_torchdiffeq": {"value": time_ratio, "goal": f"<= {TIME_GOAL}",
                                                   "met": time_ratio <= TIME_GOAL, "worst_over_steps": True},
    }


HEADER = (f"{'RK4 steps':>9} | {'backprop':>19} | {'nodebook adjoint':>19} | {'torchdiffeq adjoint':>19} | "
          f"{'backprop/adjoint':>16} | {'time nb/tdq':>11}\n{'':>9} | "
          + " | ".join([f"{'MiB':>8} {'ms':>10}"] * 3) + f" | {'memory':>16} | {'':>11}")


def format_row(r: dict) -> str:
    """One line of the memory/time table, as the benchmark and the chapter print it."""
    cells = " | ".join(f"{r[f'{m}_mib']:>8.2f} {r[f'{m}_ms']:>10.1f}" for m in METHODS)
    return (f"{r['steps']:>9} | {cells} | {r['backprop_mib'] / r['nodebook_adjoint_mib']:>15.1f}x | "
            f"{r['nodebook_adjoint_ms'] / r['torchdiffeq_adjoint_ms']:>11.3f}")


def load_benchmark(kind: str) -> dict | None:
    """The committed ``results/adjoint_memory_<kind>.json`` (``kind``: ``"cpu"`` or ``"gpu"``), or None."""
    if kind not in ("cpu", "gpu"):
        raise ValueError(f"kind must be 'cpu' or 'gpu'; got {kind!r}")
    path = results.results_dir() / f"adjoint_memory_{kind}.json"
    return json.loads(path.read_text()) if path.exists() else None


def benchmark_label(record: dict) -> str:
    """Where a benchmark record came from: device, date, batch, threads, versions, commit."""
    p = record["problem"]
    return (f"{record['device_name']}, {record['date'][:10]}, batch {p['batch']}, {record['threads']} "
            f"thread(s), torch {record['torch']}, torchdiffeq {record['torchdiffeq']}, "
            f"commit {record['git_commit']}")


def memory_time_figure(rows: list[dict], device_name: str):
    """Bars of peak memory and time per method, with a kernel-free slider over the number of steps."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from ..plotting import trace_colors

    names = ["backprop", "nodebook<br>adjoint", "torchdiffeq<br>adjoint"]
    colors = trace_colors(["backprop", "adjoint", "torchdiffeq"])
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.14,
                        subplot_titles=("peak memory (MiB)", "time of one pass (ms)"))
    for col, unit in ((1, "mib"), (2, "ms")):
        fig.add_trace(go.Bar(x=names, y=[rows[0][f"{m}_{unit}"] for m in METHODS], marker_color=colors,
                             showlegend=False, texttemplate="%{y:.3~r}", textposition="outside",
                             hovertemplate="%{y:.3~r}<extra></extra>"), row=1, col=col)
        top = max(r[f"{m}_{unit}"] for r in rows for m in METHODS)
        fig.update_yaxes(range=[0, 1.2 * top], row=1, col=col)
    titles = [f"{r['steps']} RK4 steps: backprop keeps {r['backprop_mib']:.1f} MiB, "
              f"the adjoint {r['nodebook_adjoint_mib']:.1f} MiB" for r in rows]
    steps = [{"label": str(r["steps"]), "method": "update",
              "args": [{"y": [[r[f"{m}_mib"] for m in METHODS], [r[f"{m}_ms"] for m in METHODS]]},
                       {"title.text": title}, [0, 1]]} for r, title in zip(rows, titles, strict=True)]
    fig.update_layout(title={"text": titles[0]}, height=500, margin={"b": 150, "t": 90},
                      sliders=[{"active": 0, "steps": steps, "pad": {"t": 85},
                                "currentvalue": {"prefix": "RK4 steps = ", "visible": True}}],
                      annotations=[*fig.layout.annotations,
                                   {"text": f"measured on {device_name}", "showarrow": False, "x": 1,
                                    "xanchor": "right", "y": -0.3, "xref": "paper", "yref": "paper",
                                    "font": {"size": 11}}])
    fig.update_xaxes(tickangle=0, tickfont={"size": 12})
    return fig


# ------------------------------------------------------------------------------ the chapter's runs
@budget_threads
def memory_time(cfg: Config) -> dict:
    """The benchmark's table on the reader's device, at ``cfg.budget``'s batch and step counts."""
    b = cfg.budget
    func, y0, t = mlp_problem(b["batch"], dim=b.get("dim", 64), width=b.get("width", 256), device=cfg.device)
    rows = measure_steps(func, y0, t, b["n_steps"], repeat=b.get("repeat", 3), device=cfg.device)
    return {"rows": rows, "goals": goals(rows, cfg.device), "device_name": results.device_name(cfg.device),
            "threads": torch.get_num_threads(), "batch": b["batch"], "dim": func.dim, "width": func.width}


@budget_threads
def nfe_forward_backward(cfg: Config) -> list[dict]:
    """:func:`dopri5_nfe` on the benchmark problem at ``cfg.budget['tolerances']``."""
    b = cfg.budget
    func, y0, t = mlp_problem(b["batch"], dim=b.get("dim", 64), width=b.get("width", 256), device=cfg.device)
    return dopri5_nfe(func, y0, t, b["tolerances"])


def relative_error(got, want) -> float:
    """Largest ``max|g - e| / max|e|`` over pairs of tensors (e.g. the gradient of each parameter)."""
    return max(float((g - e).abs().max() / e.abs().max()) for g, e in zip(got, want, strict=True))


def adjoint_by_hand(f, theta, z0, t1, loss, n_steps=100):
    """dL/dz0 and dL/dθ for L = loss(z(t1)), dz/dt = f(t, z, θ)."""
    opts = {"method": "rk4", "options": {"step_size": t1 / n_steps}}
    t, n = torch.tensor([0.0, t1], dtype=z0.dtype), z0.numel()
    with torch.no_grad():  # forward: no graph, keep only z(t1)
        z1 = odeint(lambda t, z: f(t, z, theta), z0, t, **opts)[-1]
    z1.requires_grad_(True)
    a1 = torch.autograd.grad(loss(z1), z1)[0]  # a(t1) = ∂L/∂z(t1)

    def augmented(t, s):  # s = [z, a, g] as one flat vector
        z, th = s[:n].detach().requires_grad_(True), theta.detach().requires_grad_(True)
        with torch.enable_grad():
            dz = f(t, z, th)
            az, ath = torch.autograd.grad(dz, (z, th), s[n:2 * n])  # aᵀ∂f/∂z, aᵀ∂f/∂θ
        return torch.cat([dz.detach(), -az, -ath.reshape(-1)])

    s1 = torch.cat([z1.detach(), a1, torch.zeros(theta.numel(), dtype=z0.dtype)])
    s0 = odeint(augmented, s1, t.flip(0), **opts)[-1]  # from t1 back to 0
    return s0[n:2 * n], s0[2 * n:].view_as(theta)


@budget_threads
def gradient_agreement(cfg: Config, batch: int = 4) -> dict:
    """nodebook's adjoint vs backprop through the same RK4 solver, float64, loss on three time points.

    The loss ``L = Σ_i <w_i, y(t_i)>`` makes the adjoint jump at ``t = 0.5``. The two gradients differ
    by the discretisation error (backprop differentiates the discrete map, the adjoint solves the
    continuous adjoint ODE), so their gap shrinks like ``h^4``: the fitted order is reported.
    """
    import torchdiffeq

    b = cfg.budget
    odd = [n for n in b["agreement_steps"] if n % 2]
    if odd:
        raise ValueError("agreement_steps must be even, so that the RK4 grid passes through the observation "
                         f"time 0.5 (where torchdiffeq's would too); got {odd}")
    func, y0, _ = mlp_problem(batch, dim=b.get("dim", 64), width=b.get("width", 256), device=cfg.device,
                              dtype=torch.float64)
    t = torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64, device=cfg.device)
    w = torch.randn(len(t), *y0.shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    w = w.to(cfg.device)

    def grads(solver, method, n, **kw):
        y = y0.clone().requires_grad_(True)
        ys = solver(func, y, t, method=method, options={"step_size": 1.0 / n}, **kw)
        return torch.autograd.grad((w * ys).sum(), (y, *func.parameters()))

    rows = []
    for n in b["agreement_steps"]:
        stats = AdjointStats()
        adj = grads(odeint_adjoint, "rk4", n, stats=stats)
        rows.append({"steps": n, "rel_error": relative_error(adj, grads(odeint, "rk4", n)),
                     "forward_nfe": stats.forward.nfe, "backward_nfe": stats.backward.nfe})
    order = fit_order([1.0 / r["steps"] for r in rows], [r["rel_error"] for r in rows], floor=0.0, finest=None)
    n = b["agreement_steps"][0]
    rk38 = relative_error(grads(odeint_adjoint, "rk38", n), grads(torchdiffeq.odeint_adjoint, "rk4", n))
    return {"rows": rows, "order": order, "rk38_vs_torchdiffeq": rk38, "rk38_steps": n}


# -------------------------------------------------------------------------- where the adjoint fails
class LeakyIntegrator(torch.nn.Module):
    """``x' = -k x`` (forgets fast), ``y' = θ x`` (records x): the state is ``z = (x, y)``, shape ``(2,)``.

    Forward, x shrinks by ``e^{-kT}``; run backwards, any error in ``x(T)`` grows by ``e^{kT}``. With
    ``L = y(T)``, ``dL/dθ = ∫ x dt = x0 (1 - e^{-kT}) / k`` reads x along the whole reconstructed path.
    """

    def __init__(self, k: float = 10.0, theta: float = 1.0):
        super().__init__()
        self.k = k
        self.theta = torch.nn.Parameter(torch.tensor(theta, dtype=torch.float64))

    def forward(self, t, z):
        x = z[..., :1]
        return torch.cat([-self.k * x, self.theta * x], dim=-1)


def checkpointed_adjoint(func, y0, t, *, segments: int, **kwargs) -> torch.Tensor:
    """:func:`~nodebook.odeint_adjoint` with ``segments - 1`` checkpoints inside each output interval.

    The forward solve also keeps ``z`` at the checkpoints (``segments`` times as many stored states), and
    the backward pass restarts its reconstruction of ``z`` from them, so drift can grow only over one
    segment. Returns the solution at ``t`` only, shaped ``(len(t), *y0.shape)``.
    """
    if not isinstance(segments, int) or isinstance(segments, bool) or segments < 1:
        raise ValueError(f"segments must be an int >= 1; got {segments!r}")
    pieces = [torch.linspace(float(a), float(b), segments + 1, dtype=t.dtype, device=t.device)[:-1]
              for a, b in zip(t[:-1], t[1:], strict=True)]
    fine = torch.cat([*pieces, t[-1:]])
    return odeint_adjoint(func, y0, fine, **kwargs)[::segments]


@budget_threads
def reconstruction(cfg: Config, k: float = 10.0, t1: float = 1.0, x0: float = 1.0) -> dict:
    """Reconstruction error of ``z(t0)`` and gradient error vs tolerance on :class:`LeakyIntegrator`.

    For each tolerance (dopri5, rtol = atol): the adjoint's reconstruction error and the relative error
    of its ``dL/dθ`` against the exact value, the same for backprop through the solver and for the
    adjoint with ``cfg.budget['segments']`` checkpoints; plus, for three tolerances, the error of ``x``
    along the reverse-time solve of ``z`` alone from the forward ``z(T)`` (what the backward pass
    reconstructs), for a figure.
    """
    f64 = torch.float64
    exact = x0 * (1 - math.exp(-k * t1)) / k
    t = torch.tensor([0.0, t1], dtype=f64)
    segments = cfg.budget["segments"]
    rows = []
    for tol in cfg.budget["failure_tolerances"]:
        row: dict = {"tol": tol}
        for name in ("adjoint", "backprop", "checkpointed"):
            func, stats = LeakyIntegrator(k), AdjointStats()
            z0 = torch.tensor([x0, 0.0], dtype=f64)
            kw = {"method": "dopri5", "rtol": tol, "atol": tol}
            if name == "adjoint":
                ys = odeint_adjoint(func, z0, t, stats=stats, **kw)
            elif name == "checkpointed":
                ys = checkpointed_adjoint(func, z0, t, segments=segments, stats=stats, **kw)
            else:
                ys = odeint(func, z0, t, **kw)
            (g,) = torch.autograd.grad(ys[-1, 1], func.theta)
            row[f"{name}_grad_error"] = abs(float(g) - exact) / exact
            if name != "backprop":
                row[f"{name}_reconstruction_error"] = stats.reconstruction_error
                row[f"{name}_nfe"] = [stats.forward.nfe, stats.backward.nfe]
        rows.append(row)
    t_back = torch.linspace(t1, 0.0, 41, dtype=f64)
    x_true = x0 * torch.exp(-k * t_back)
    paths = {}
    tols = cfg.budget["failure_tolerances"]
    for tol in (tols[0], tols[len(tols) // 2], tols[-1]):
        func = LeakyIntegrator(k)
        with torch.no_grad():
            z_end = odeint(func, torch.tensor([x0, 0.0], dtype=f64), t, rtol=tol, atol=tol)[-1]
            back = solve(func, z_end, t_back, rtol=tol, atol=tol).ys
        paths[f"{tol:.0e}"] = (back[:, 0] - x_true).abs().tolist()
    return {"k": k, "t1": t1, "x0": x0, "exact_grad": exact, "amplification": math.exp(k * t1),
            "segments": segments, "rows": rows, "t": t_back.tolist(), "x_true": x_true.tolist(),
            "x_error": paths}


def run(cfg: Config) -> dict:
    """Every experiment of the chapter, as saved by ``python -m nodebook reproduce ch3``."""
    return {"memory_time": memory_time(cfg), "nfe": nfe_forward_backward(cfg),
            "gradient_agreement": gradient_agreement(cfg), "reconstruction": reconstruction(cfg)}


# ------------------------------------------------------------------------- the exercises' self-checks
def check_exponential_gradients(grad_z0: float, grad_theta: float, *, z0: float = 1.5, theta: float = -0.7,
                                t1: float = 2.0) -> tuple[float, float]:
    """Check ``dL/dz0`` and ``dL/dθ`` for ``z' = θ z``, ``L = z(t1)² / 2`` (Exercise 1).

    Returns:
        The exact ``(dL/dz0, dL/dθ)``.
    """
    from ..exercises import verdict_close

    zt = z0 * math.exp(theta * t1)
    exact = (zt * math.exp(theta * t1), t1 * zt * zt)
    hint = "a(t) = a(t1) e^{θ (t1 - t)} with a(t1) = z(t1); dL/dz0 = a(0) and dL/dθ = ∫ a(t) z(t) dt."
    for name, got, want in (("dL/dz0", grad_z0, exact[0]), ("dL/dθ", grad_theta, exact[1])):
        verdict_close(got, want, what=f"{name} (z0={z0}, θ={theta}, t1={t1})", hint=hint,
                      success=f"{name} = {want:.6g}", rel_tol=1e-6)
    return exact


def check_two_times(adjoint_two_times) -> float:
    """Check a from-scratch adjoint for a loss on two times, ``L = ℓ_a(z(t_a)) + ℓ_b(z(t_b))`` (Exercise 2).

    ``adjoint_two_times(f, theta, z0, t_a, t_b, loss_a, loss_b)`` must return ``(dL/dz0, dL/dθ)``; it is
    run on ``f(t, z, W) = tanh(W z)`` and compared with backprop through RK4 with fine steps.

    Returns:
        The relative error of the gradients.
    """
    f64 = torch.float64
    w = torch.tensor([[-0.5, 2.0], [-2.0, -0.5]], dtype=f64)
    z0 = torch.tensor([1.0, 0.0], dtype=f64)

    def f(t, z, w):
        return torch.tanh(w @ z)

    def loss_a(z):
        return z[0]

    def loss_b(z):
        return 0.5 * z.pow(2).sum()

    got = adjoint_two_times(f, w, z0, 1.0, 2.0, loss_a, loss_b)
    wr, zr = w.clone().requires_grad_(True), z0.clone().requires_grad_(True)
    ys = odeint(lambda t, z: f(t, z, wr), zr, torch.tensor([0.0, 1.0, 2.0], dtype=f64), method="rk4",
                options={"step_size": 0.01})
    want = torch.autograd.grad(loss_a(ys[1]) + loss_b(ys[2]), (zr, wr), retain_graph=True)
    no_jump = torch.autograd.grad(loss_b(ys[2]), (zr, wr))
    err = relative_error(got, want)
    if not err < 1e-5:
        hint = ("it matches the gradient of ℓ_b alone: add ∂ℓ_a/∂z(t_a) to a when the backward solve reaches "
                "t_a" if relative_error(got, no_jump) < 1e-5 else
                "solve [z, a, g] from t_b back to t_a, add ∂ℓ_a/∂z(t_a) to a, then go on to 0")
        raise AssertionError(f"gradients differ from backprop by {err:.2e} (relative); expected < 1e-5. Hint: {hint}")
    print(f"✓ matches backprop through the solver to {err:.1e} (relative)")
    return err
