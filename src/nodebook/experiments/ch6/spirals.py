"""Chapter 6, spirals: latent ODE against the RNN baseline (Chen et al. 2018, Table 2 analogue).

Data: :func:`nodebook.data.make_spirals` (two spiral curves, one direction each, random start points,
Gaussian noise), ``n_sample`` grid points per series, one grid spacing ``Δt`` apart. Each series is
observed at its own ``n_obs`` random grid points, in training exactly as in testing (masks on the
window's grid; ``z0`` lives at the window's first time in both; a training batch shares its times).

* **window**: observe ``n_obs`` noisy points anywhere in the window, predict the clean curve at all
  ``n_sample`` grid points (denoising and interpolation); RMSE over all points of all test series;
* **extrapolation**: observe ``n_obs // 2`` noisy points in the first half, predict the second.

Training draws a count from ``n_obs_train`` and one of the two tasks each step, and scores the observed
points (decoded on the whole window grid, from its first time, as in testing). Trivial baselines: the
mean training curve (what a model that ignores its input can reach) and, for extrapolation, each
series' last observed value.
"""

from __future__ import annotations

import math

import torch

from ...config import Config, seeded
from ...config import one_cpu_thread as threads
from ...data import make_spirals
from ...data.spirals import spiral_curves
from ...latent import GRUEncoder, LatentODE, RNNBaseline, data_spacing, masked_rmse
from ...latent.naive import constant_velocity, last_value, linear_interpolation
from ._common import curve, solver_settings, train_one
from ._observe import observe, observe_mask, sampler

MODELS = ("latent_ode", "rnn")
LABELS = {"latent_ode": "Latent ODE", "rnn": "RNN (time gaps as input)", "mean_curve": "Mean training curve",
          "linear_interp": "Linear interpolation", "last_value": "Last observed value",
          "constant_velocity": "Constant velocity (last two points)"}
BASELINES = ("mean_curve", "linear_interp", "last_value", "constant_velocity")
PAPER_RMSE = {  # Chen et al. 2018, Table 2 (transcribed in shared/paper-numbers.md)
    "rnn": {30: 0.3937, 50: 0.5936, 100: 0.3796},
    "latent_ode": {30: 0.1642, 50: 0.1502, 100: 0.1346},
}
STOP = 6 * math.pi  # make_spirals' default curve parameters, needed to draw the truth beyond the window
A, B = 0.0, 0.3


def spiral_data(cfg: Config) -> dict:
    """The chapter's spirals, split into train and test, on ``cfg.device``.

    Returns:
        ``t (n_sample,)``, ``x_train``/``x_test`` noisy ``(n, n_sample, 2)``, ``truth_test`` clean, the
        test series' ``start`` times on the full grid and ``clockwise`` flags (to draw beyond the window).
    """
    b = cfg.budget["spirals"]
    n_train, n_test = b["n_train"], b["n_test"]
    sp = make_spirals(n_train + n_test, b["n_total"], b["n_sample"], noise_std=b["noise_std"], seed=cfg.seed,
                      stop=STOP, a=A, b=B)
    dev = cfg.device
    test = slice(n_train, None)
    return {"t": sp.samp_ts.to(dev), "x_train": sp.samp_trajs[:n_train].to(dev),
            "x_test": sp.samp_trajs[test].to(dev), "truth_test": sp.truth()[test].to(dev),
            "start": sp.orig_ts[sp.t0[test]].tolist(), "clockwise": sp.clockwise[test].tolist(),
            "noise_std": b["noise_std"]}


def true_curve(start: float, clockwise: bool, ts: torch.Tensor) -> torch.Tensor:
    """The noise-free spiral of a series that starts at ``start`` on the full grid, at window times ``ts``."""
    cw, cc = spiral_curves(ts.double().cpu() + start, stop=STOP, a=A, b=B)
    return (cw if clockwise else cc).float()


def build_model(name: str, cfg: Config, spacing: float | None = None) -> torch.nn.Module:
    """``"latent_ode"`` (GRU encoder run backwards, latent dim ``latent_dim``, no solver step longer than
    ``spacing``) or ``"rnn"``, initialised from ``cfg.seed``."""
    b = cfg.budget["spirals"]
    with seeded(cfg.seed):
        if name == "latent_ode":
            model = LatentODE(2, b["latent_dim"], GRUEncoder(2, b["hidden"]), width=b["width"],
                              decoder_width=b["width"], obs_std=b["noise_std"], **solver_settings(b, spacing))
        elif name == "rnn":
            model = RNNBaseline(2, b["hidden"], decoder_width=b["width"])
        else:
            raise ValueError(f"unknown spiral model {name!r}; expected one of {', '.join(MODELS)}")
    return model.to(cfg.device)


@torch.no_grad()
def scores(model, data: dict, n_obs: int, seed: int, rows: slice = slice(None)) -> dict:
    """Window and extrapolation RMSE of ``model`` against the clean curve at one observation count."""
    t, truth = data["t"], data["truth_test"][rows]
    half = len(t) // 2
    t_w, x_w, m_w = observe(data, n_obs, seed)
    t_h, x_h, m_h = observe(data, max(1, n_obs // 2), seed, first_half=True)
    window = model.predict(t_w, x_w[rows], m_w[rows], t)
    # Decode the whole window from t[0], as in training, and keep the second half: asked for t[half:] alone,
    # the RNN decoder's first time gap would be t[half] - t[0], one it never saw (issue 20).
    ext = model.predict(t_h, x_h[rows], m_h[rows], t)[:, half:]
    ones = torch.ones_like(truth)
    return {"window": float(masked_rmse(window, truth, ones)),
            "extrap": float(masked_rmse(ext, truth[:, half:], ones[:, half:]))}


def train(cfg: Config, data: dict, progress: bool = False) -> dict:
    """Train each model once on all observation counts.

    Returns:
        ``{"models": {name: model}, "time_s": {name: seconds}, "loss": {name: [...]}, "curve": {name: {...}}}``
        (``curve``: window RMSE at the middle count on up to 100 test series against training time).
    """
    b = cfg.budget["spirals"]
    spacing = data_spacing(data["t"])
    counts = list(b.get("n_obs_train", b["n_obs"]))
    mid = b["n_obs"][len(b["n_obs"]) // 2]
    out: dict = {"models": {}, "time_s": {}, "loss": {}, "curve": {}}
    with threads(cfg.device):
        for name in MODELS:
            model = build_model(name, cfg, spacing)
            hist = train_one(cfg, model, sampler(data["t"], data["x_train"], counts, b["batch_size"]), b,
                             b["steps"], part="spirals", name=name, progress=progress,
                             eval_fn=lambda m: scores(m, data, mid, cfg.seed, slice(0, 100))["window"])
            out["models"][name], out["time_s"][name], out["loss"][name] = model, hist.wall_time_s, hist.loss
            out["curve"][name] = curve(hist)
    return out


@torch.no_grad()
def evaluate(cfg: Config, data: dict, trained: dict) -> dict:
    """Test RMSE at every observation count: ``{name: {n_obs: {"window", "extrap"}}}`` for the models and
    the trivial baselines (``mean_curve``; ``last_value`` for extrapolation only)."""
    b = cfg.budget["spirals"]
    t, truth, x_train = data["t"], data["truth_test"], data["x_train"]
    half = len(t) // 2
    mean = x_train.mean(dim=0, keepdim=True).expand_as(truth)
    ones = torch.ones_like(truth)
    mean_rows = {"window": float(masked_rmse(mean, truth, ones)),
                 "extrap": float(masked_rmse(mean[:, half:], truth[:, half:], ones[:, half:]))}
    rows: dict = {name: {} for name in (*MODELS, *BASELINES)}
    with threads(cfg.device):
        for k in b["n_obs"]:
            for name in MODELS:
                rows[name][k] = scores(trained["models"][name], data, k, cfg.seed)
            rows["mean_curve"][k] = dict(mean_rows)
            t_w, x_w, m_w = observe(data, k, cfg.seed)
            lin = linear_interpolation(t_w, x_w, m_w, t)
            rows["linear_interp"][k] = {"window": float(masked_rmse(lin, truth, ones)), "extrap": None}
            t_h, x_h, m_h = observe(data, max(1, k // 2), cfg.seed, first_half=True)
            for name, fn in (("last_value", last_value), ("constant_velocity", constant_velocity)):
                pred = fn(t_h, x_h, m_h, t[half:])
                rows[name][k] = {"window": None, "extrap": float(masked_rmse(pred, truth[:, half:], ones[:, half:]))}
    return rows


@torch.no_grad()
def posterior_draws(cfg: Config, data: dict, trained: dict, index: int = 0, n_draws: int = 10,
                    extend: float = 0.5, counts: list[int] | None = None) -> dict:
    """One test spiral at several observation counts (default ``draw_counts`` of the budget): what was
    seen, the truth over the window and ``extend`` window-lengths beyond it, the RNN's prediction, the
    latent ODE's posterior mean and ``n_draws`` samples.

    Returns:
        ``{"t", "window_end", "truth": (T, 2), "frames": [{"n_obs", "seen": (k, 2), "rnn", "mean": (T, 2),
        "draws": (n_draws, T, 2)}]}`` as nested lists.
    """
    b = cfg.budget["spirals"]
    t = data["t"]
    n_ext = int(len(t) * (1 + extend))
    t_ext = t[0] + data_spacing(t) * torch.arange(n_ext, dtype=t.dtype, device=t.device)  # same lattice
    truth = true_curve(data["start"][index], data["clockwise"][index], t_ext)
    frames = []
    gen = torch.Generator().manual_seed(cfg.seed)
    ode, rnn = trained["models"]["latent_ode"], trained["models"]["rnn"]
    with threads(cfg.device), torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        for k in counts or b.get("draw_counts", b["n_obs"]):
            x1 = data["x_test"][index:index + 1]
            m = observe_mask(x1, k, gen).to(x1.device)
            draws = ode(t, x1 * m, m, t_ext, n_samples=n_draws)[0][:, 0]
            seen = x1[0][m[0, :, 0] > 0]
            frames.append({"n_obs": k, "seen": seen.cpu().tolist(),
                           "rnn": rnn.predict(t, x1 * m, m, t_ext)[0].cpu().tolist(),
                           "mean": ode.predict(t, x1 * m, m, t_ext)[0].cpu().tolist(),
                           "draws": draws.cpu().tolist()})
    return {"t": t_ext.cpu().tolist(), "window_end": float(t[-1]), "truth": truth.tolist(), "frames": frames}


@torch.no_grad()
def posterior_spread(cfg: Config, data: dict, model, counts: list[int], n_draws: int = 10,
                     n_series: int = 64, n_bins: int = 6) -> dict:
    """How far ``n_draws`` posterior draws spread (their standard deviation, averaged over both
    coordinates and ``n_series`` test spirals), over the window and half a window beyond it.

    Returns:
        ``{"by_count": {k: spread}}`` with ``k`` points observed anywhere in the window, and
        ``{"by_time": [...], "bin_edges": [...]}``: the spread in ``n_bins`` stretches of time when only
        ``min(counts)`` points in the first quarter of the window are seen (where nothing is observed).
    """
    t = data["t"]
    t_ext = t[0] + data_spacing(t) * torch.arange(int(len(t) * 1.5), dtype=t.dtype, device=t.device)
    x = data["x_test"][:n_series]
    out: dict = {"by_count": {}}
    with threads(cfg.device), torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        for k in counts:
            m = observe_mask(x, k, torch.Generator().manual_seed(cfg.seed + k)).to(x.device)
            draws = model(t, x * m, m, t_ext, n_samples=n_draws)[0]
            out["by_count"][k] = float(draws.std(dim=0).mean())
        quarter = len(t) // 4
        m = observe_mask(x[:, :2 * quarter], min(counts), torch.Generator().manual_seed(cfg.seed), True)
        m = torch.cat([m, torch.zeros_like(x[:, 2 * quarter:])], dim=1).to(x.device)
        per_time = model(t, x * m, m, t_ext, n_samples=n_draws)[0].std(dim=0).mean(dim=(0, 2))
        edges = torch.linspace(0, len(t_ext), n_bins + 1).long().tolist()
        out["by_time"] = [float(per_time[a:b].mean()) for a, b in zip(edges[:-1], edges[1:], strict=True)]
        out["bin_edges"] = [float(t_ext[min(e, len(t_ext) - 1)]) for e in edges]
        out["observed_until"] = float(t[quarter - 1])
    return out
