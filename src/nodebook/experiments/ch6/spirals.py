"""Chapter 6, spirals: latent ODE against the RNN baseline (Chen et al. 2018, Table 2 analogue).

Data: :func:`nodebook.data.make_spirals` (two spiral curves, one direction each, random start points,
Gaussian noise), ``n_sample`` grid points per series. A series is observed at ``n_obs`` of them, chosen at
random: irregular times. Training batches share one random set of times (the solver then stops at only
``n_obs`` times); test series each get their own (a union grid with masks).

Scores, on held-out series, with the noise-free curve as the truth:

* **RMSE (window)**: observe ``n_obs`` noisy points anywhere in the window, predict the clean curve at
  all ``n_sample`` grid points (denoising and interpolation);
* **RMSE (extrapolation)**: observe ``n_obs // 2`` noisy points in the first half, predict the second.
"""

from __future__ import annotations

import math

import torch

from ...config import Config, seeded
from ...config import one_cpu_thread as threads
from ...data import make_spirals, subsample
from ...data.spirals import spiral_curves
from ...latent import GRUEncoder, LatentODE, RNNBaseline, fit_series, masked_rmse
from ._common import solver_settings

MODELS = ("latent_ode", "rnn")
LABELS = {"latent_ode": "Latent ODE", "rnn": "RNN (time gaps as input)"}
PAPER_RMSE = {  # Chen et al. 2018, Table 2 (transcribed in shared/paper-numbers.md)
    "rnn": {30: 0.3937, 50: 0.5936, 100: 0.3796},
    "latent_ode": {30: 0.1642, 50: 0.1502, 100: 0.1346},
}
STOP = 6 * math.pi  # make_spirals' default curve parameters, needed to draw the truth beyond the window
A, B = 0.0, 0.3


def spiral_data(cfg: Config) -> dict:
    """The chapter's spirals, split into train and test, on ``cfg.device``.

    Returns:
        ``t (n_sample,)``, ``x_train``/``x_test`` noisy ``(n, n_sample, 2)``, ``truth_test`` clean, and the
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


def build_model(name: str, cfg: Config) -> torch.nn.Module:
    """``"latent_ode"`` (GRU encoder run backwards, latent dim ``latent_dim``) or ``"rnn"``, from ``cfg.seed``."""
    b = cfg.budget["spirals"]
    with seeded(cfg.seed):
        if name == "latent_ode":
            model = LatentODE(2, b["latent_dim"], GRUEncoder(2, b["hidden"]), width=b["width"],
                              decoder_width=b["width"], obs_std=b["noise_std"], **solver_settings(b))
        elif name == "rnn":
            model = RNNBaseline(2, b["hidden"], decoder_width=b["width"])
        else:
            raise ValueError(f"unknown spiral model {name!r}; expected one of {', '.join(MODELS)}")
    return model.to(cfg.device)


def sampler(t: torch.Tensor, x: torch.Tensor, n_obs: list[int], batch_size: int):
    """``sample_batch(gen)``: ``batch_size`` random series observed at one shared random set of times, with
    ``n_obs`` drawn from the list each step."""
    def sample_batch(gen: torch.Generator):
        k = n_obs[int(torch.randint(len(n_obs), (1,), generator=gen))]
        rows = torch.randperm(len(x), generator=gen)[:batch_size].to(x.device)
        cols = torch.randperm(len(t), generator=gen)[:k].sort().values.to(x.device)
        xb = x[rows][:, cols]
        return t[cols], xb, torch.ones_like(xb)
    return sample_batch


def train(cfg: Config, data: dict, progress: bool = False) -> dict:
    """Train each model: one per observation count, or (``shared``) one trained on all counts.

    Returns:
        ``{"models": {name: {n_obs: model}}, "time_s": {name: seconds}, "loss": {name: [per-step loss]}}``.
    """
    b = cfg.budget["spirals"]
    groups = [list(b["n_obs"])] if b.get("shared", False) else [[k] for k in b["n_obs"]]
    out = {"models": {}, "time_s": {}, "loss": {}}
    with threads(cfg.device):
        for name in MODELS:
            out["models"][name], out["time_s"][name], out["loss"][name] = {}, 0.0, []
            for group in groups:
                model = build_model(name, cfg)
                hist = fit_series(model, sampler(data["t"], data["x_train"], group, b["batch_size"]),
                                  steps=b["steps"], lr=b["lr"], lr_decay=b.get("lr_decay", 1.0), seed=cfg.seed,
                                  kl_warmup=b.get("kl_warmup", 0), progress=progress,
                                  desc=f"{name} n_obs={group}")
                out["time_s"][name] += hist.wall_time_s
                out["loss"][name] = hist.loss
                out["models"][name].update({k: model for k in group})
    return out


def observe(data: dict, n_obs: int, seed: int, first_half: bool = False):
    """Each test series observed at its own ``n_obs`` random grid points (in the first half if asked):
    ``(t, x, mask)`` on the union grid."""
    gen = torch.Generator().manual_seed(seed + 7919 * n_obs + first_half)
    t, x = data["t"], data["x_test"]
    if first_half:
        t, x = t[: len(t) // 2], x[:, : len(t) // 2]
    return subsample(t, x, n_obs, generator=gen)


@torch.no_grad()
def evaluate(cfg: Config, data: dict, trained: dict) -> dict:
    """Test RMSE of every model at every observation count: ``{name: {n_obs: {"window", "extrap"}}}``."""
    b = cfg.budget["spirals"]
    t, truth = data["t"], data["truth_test"]
    half = len(t) // 2
    ones = torch.ones_like(truth)
    rows: dict = {name: {} for name in MODELS}
    with threads(cfg.device):
        for k in b["n_obs"]:
            seen = observe(data, k, cfg.seed)
            seen_half = observe(data, max(1, k // 2), cfg.seed, first_half=True)
            for name in MODELS:
                model = trained["models"][name][k]
                window = masked_rmse(model.predict(*seen, t), truth, ones)
                ext = model.predict(*seen_half, t[half:])
                rows[name][k] = {"window": float(window),
                                 "extrap": float(masked_rmse(ext, truth[:, half:], ones[:, half:]))}
    return rows


@torch.no_grad()
def posterior_draws(cfg: Config, data: dict, trained: dict, index: int = 0, n_draws: int = 10,
                    extend: float = 0.5) -> dict:
    """One test spiral at every observation count: what was seen, the truth over the window and ``extend``
    window-lengths beyond it, the RNN's prediction, the latent ODE's posterior mean and ``n_draws`` samples.

    Returns:
        ``{"t": [...], "truth": (T, 2), "frames": [{"n_obs", "seen": (k, 2), "rnn": (T, 2), "mean": (T, 2),
        "draws": (n_draws, T, 2)}]}`` as nested lists.
    """
    t = data["t"]
    span = float(t[-1] - t[0])
    t_ext = torch.linspace(float(t[0]), float(t[-1]) + extend * span, int(len(t) * (1 + extend)),
                           dtype=t.dtype, device=t.device)
    truth = true_curve(data["start"][index], data["clockwise"][index], t_ext)
    frames = []
    gen = torch.Generator().manual_seed(cfg.seed)
    with threads(cfg.device), torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        for k in cfg.budget["spirals"]["n_obs"]:
            cols = torch.randperm(len(t), generator=gen)[:k].sort().values.to(t.device)
            tk, xk = t[cols], data["x_test"][index:index + 1, cols]
            mk = torch.ones_like(xk)
            ode = trained["models"]["latent_ode"][k]
            draws = ode(tk, xk, mk, t_ext, n_samples=n_draws)[0][:, 0]
            frames.append({"n_obs": k, "seen": xk[0].cpu().tolist(),
                           "rnn": trained["models"]["rnn"][k].predict(tk, xk, mk, t_ext)[0].cpu().tolist(),
                           "mean": ode.predict(tk, xk, mk, t_ext)[0].cpu().tolist(),
                           "draws": draws.cpu().tolist()})
    return {"t": t_ext.cpu().tolist(), "window_end": float(t[-1]), "truth": truth.tolist(), "frames": frames}
