"""Chapter 6, MuJoCo Hopper: latent ODE (GRU and ODE-RNN encoders) against the RNN-VAE (Rubanova et al. 2019).

The published protocol (``latent_ode``'s ``parse_datasets.py`` and ``utils.py``), the default here:

* data: :func:`nodebook.data.hopper_trajectories`, ``n_traj`` trajectories of 200 states (14 features),
  scaled per feature as ``(x - min) / max`` over the whole set (:class:`~nodebook.data.FeatureScaler`
  ``"rubanova"``), times ``arange(200) / 200``; the first 80% of the series train, the rest test;
* **interpolation**: from each trajectory one random window of ``window`` consecutive steps, times
  ``t[:window]``; the encoder sees ``int(frac * window)`` random points of each series, the model predicts
  all of them;
* **extrapolation**: whole trajectories; the encoder sees the first third (``200 // 3`` points)
  subsampled to ``int(frac * 66)`` points per series, the model predicts the other 134;
* **score**: MSE per (series, feature) over the predicted times, then the mean over features and series
  (:func:`nodebook.latent.per_series_mse`), averaged over 3 posterior draws as their test loop does.

Every solve steps on the data spacing 1/200 (decoder and ODE-RNN encoder, training and testing).
Trivial baselines: the mean training trajectory (per window step, or per step of the whole trajectory)
and, for extrapolation, each series' last observed value.
"""

from __future__ import annotations

import torch

from ...config import Config, seeded
from ...config import one_cpu_thread as threads
from ...data import FeatureScaler, hopper_times, hopper_trajectories, split_extrap, split_interp
from ...latent import RNNVAE, GRUEncoder, LatentODE, ODERNNEncoder, per_series_mse
from ...latent.naive import constant_velocity, last_value, linear_interpolation
from ._common import curve, solver_settings, train_one
from ._recipe import hopper_budget, published_latent_ode, published_rnn_vae

MODELS = ("latent_ode_odernn", "latent_ode_rnn", "rnn_vae")
BASELINES = ("mean_traj", "linear_interp", "last_value", "constant_velocity")
LABELS = {"latent_ode_odernn": "Latent ODE (ODE-RNN enc.)", "latent_ode_rnn": "Latent ODE (RNN enc.)",
          "rnn_vae": "RNN-VAE", "mean_traj": "Mean training trajectory", "last_value": "Last observed value",
          "linear_interp": "Linear interpolation", "constant_velocity": "Constant velocity (last two points)"}
PAPER_MSE = {  # Rubanova et al. 2019, Hopper, 50% observed, MSE x 1e-2 (shared/paper-numbers.md)
    "latent_ode_odernn": {"interp": 0.285, "extrap": 1.258},
    "latent_ode_rnn": {"interp": 0.447, "extrap": 1.377},
    "rnn_vae": {"interp": 6.100, "extrap": 1.782},
}
TASKS = ("interp", "extrap")
SPACING = 1 / 200  # hopper_times: one physics step


def hopper_data(cfg: Config) -> dict:
    """Scaled trajectories, cut into interpolation windows and kept whole for extrapolation.

    Returns:
        ``{"interp": {"t", "train", "test"}, "extrap": {"t", "train", "test", "n_first"}, "n_train", "n_test",
        "scaler"}``, tensors on ``cfg.device``.
    """
    b = hopper_budget(cfg.budget)
    traj = hopper_trajectories(b["n_traj"], b.get("n_steps", 200), seed=123)
    scaler = FeatureScaler(b.get("scaling", "rubanova")).fit(traj, torch.ones_like(traj))  # the whole set
    x = scaler.transform(traj)
    n, n_steps = x.shape[:2]
    t = hopper_times(n_steps)
    window = b.get("window", 100)
    gen = torch.Generator().manual_seed(cfg.seed)
    start = torch.randint(0, n_steps - window + 1, (n,), generator=gen)
    windows = torch.stack([x[i, s:s + window] for i, s in enumerate(start.tolist())])
    n_train = int(0.8 * n)  # the published split: the first 80% of the series
    dev = cfg.device
    return {"interp": {"t": t[:window].to(dev), "train": windows[:n_train].to(dev), "test": windows[n_train:].to(dev)},
            "extrap": {"t": t.to(dev), "train": x[:n_train].to(dev), "test": x[n_train:].to(dev),
                       "n_first": n_steps // 3},
            "n_train": n_train, "n_test": n - n_train, "scaler": scaler}


def build_model(name: str, cfg: Config) -> torch.nn.Module:
    """One of :data:`MODELS`, sized by ``cfg.budget["hopper"]``, initialised from ``cfg.seed``."""
    b = hopper_budget(cfg.budget)
    d, latent, hidden, width = 14, b["latent_dim"], b["hidden"], b["width"]
    dec = b.get("decoder_width", 0)
    with seeded(cfg.seed):
        if b["recipe"] == "published" and name in ("latent_ode_rnn", "latent_ode_odernn"):
            model = published_latent_ode(name, b, d, solver_settings(b, SPACING), SPACING)
        elif name == "latent_ode_rnn":
            model = LatentODE(d, latent, GRUEncoder(d, hidden), width=width, decoder_width=dec,
                              obs_std=b["obs_std"], **solver_settings(b, SPACING))
        elif name == "latent_ode_odernn":
            enc = ODERNNEncoder(d, hidden, width=width, method=b.get("encoder_method", "euler"), step_size=SPACING)
            model = LatentODE(d, latent, enc, width=width, decoder_width=dec, obs_std=b["obs_std"],
                              **solver_settings(b, SPACING))
        elif name == "rnn_vae" and b["recipe"] == "published":
            model = published_rnn_vae(b, d)
        elif name == "rnn_vae":
            model = RNNVAE(d, latent, hidden, decoder_width=dec, obs_std=b["obs_std"])
        else:
            raise ValueError(f"unknown Hopper model {name!r}; expected one of {', '.join(MODELS)}")
    return model.to(cfg.device)


def split(task: str, part: dict, x: torch.Tensor, frac: float, gen: torch.Generator) -> tuple:
    """``(t_obs, x_obs, m_obs, t_pred, x_pred, m_pred)`` of ``task`` for series ``x`` (published protocol)."""
    t, full = part["t"], torch.ones_like(x)
    if task == "interp":
        obs, _ = split_interp(x, full, frac, gen, rounding="floor")
        return t, x * obs, obs, t, x, full
    n_first = part["n_first"]
    first, _ = split_extrap(t, x, full, n_first=n_first)
    obs, _ = split_interp(x[:, :n_first], first[:, :n_first], frac, gen, rounding="floor")
    return t[:n_first], x[:, :n_first] * obs, obs, t[n_first:], x[:, n_first:], full[:, n_first:]


def sampler(task: str, part: dict, fracs: list[float], batch_size: int):
    """``sample_batch(gen)`` for ``task``: ``batch_size`` training series, a ``frac`` drawn from ``fracs``."""
    x = part["train"]

    def sample_batch(gen: torch.Generator):
        rows = torch.randperm(len(x), generator=gen)[:batch_size].to(x.device)
        frac = fracs[int(torch.randint(len(fracs), (1,), generator=gen))]
        return split(task, part, x[rows], frac, gen)
    return sample_batch


@torch.no_grad()
def test_mse(model, task: str, part: dict, frac: float, seed: int, *, n_series: int | None = None,
             batch: int = 500, n_samples: int = 3) -> float:
    """The published test MSE of ``model`` (scaled units): per-series MSE, mean over 3 posterior draws
    (the posterior mean for a deterministic model) and over the first ``n_series`` test series."""
    x = part["test"][:n_series]
    gen = torch.Generator().manual_seed(seed + int(1000 * frac))
    total = 0.0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for i in range(0, len(x), batch):
            t_o, x_o, m_o, t_p, x_p, m_p = split(task, part, x[i:i + batch], frac, gen)
            pred = model(t_o, x_o, m_o, t_p, n_samples=n_samples)[0]
            total += float(per_series_mse(pred, x_p, m_p).mean(dim=0).sum())
    return total / len(x)


@torch.no_grad()
def baseline_mse(task: str, part: dict, frac: float, seed: int) -> dict:
    """The baselines' test MSE on the same observed points as the models: the mean training trajectory;
    for interpolation, straight lines between the observed points; for extrapolation, the last observed
    value and the line through the last two observed points."""
    x = part["test"]
    t_o, x_o, m_o, t_p, x_p, m_p = split(task, part, x, frac, torch.Generator().manual_seed(seed + int(1000 * frac)))
    mean = part["train"].mean(dim=0)[-len(t_p):].expand_as(x_p)
    out = {"mean_traj": float(per_series_mse(mean, x_p, m_p).mean())}
    fns = {"linear_interp": linear_interpolation} if task == "interp" else {
        "last_value": last_value, "constant_velocity": constant_velocity}
    for name, fn in fns.items():
        out[name] = float(per_series_mse(fn(t_o, x_o, m_o, t_p), x_p, m_p).mean())
    return out


def train(cfg: Config, data: dict, progress: bool = False) -> dict:
    """Train each model of ``b["models"]`` (default all) on both tasks.

    Returns:
        ``{"models", "time_s", "loss", "curve"}``, each ``{task: {name: ...}}``; ``curve``: test MSE at the
        headline fraction on ``curve_series`` test series against training time.
    """
    b = hopper_budget(cfg.budget)
    spe = max(1, data["n_train"] // b["batch_size"])
    steps, b = b["epochs"] * spe, {**b, "steps_per_epoch": spe}
    head = b.get("head_frac", 0.5)
    out: dict = {k: {task: {} for task in TASKS} for k in ("models", "time_s", "loss", "curve")}
    with threads(cfg.device):
        for task in TASKS:
            part = data[task]
            for name in b.get("models", MODELS):
                model = build_model(name, cfg)
                hist = train_one(cfg, model, sampler(task, part, b["fracs"], b["batch_size"]), b, steps,
                                 part=f"hopper-{task}", name=name, progress=progress,
                                 eval_fn=lambda m, part=part, task=task: test_mse(
                                     m, task, part, head, cfg.seed, n_series=b.get("curve_series", 200)))
                out["models"][task][name] = model
                out["time_s"][task][name] = hist.wall_time_s
                out["loss"][task][name] = hist.loss
                out["curve"][task][name] = curve(hist)
    return out


def evaluate(cfg: Config, data: dict, trained: dict) -> dict:
    """Test MSE ``{task: {name: {frac: mse}}}`` (scaled units) for the models and the trivial baselines."""
    b = hopper_budget(cfg.budget)
    rows: dict = {task: {} for task in TASKS}
    with threads(cfg.device):
        for task in TASKS:
            for frac in b.get("eval_fracs", b["fracs"]):
                for name, model in trained["models"][task].items():
                    rows[task].setdefault(name, {})[frac] = test_mse(model, task, data[task], frac, cfg.seed)
                for name, value in baseline_mse(task, data[task], frac, cfg.seed).items():
                    rows[task].setdefault(name, {})[frac] = value
    return rows


def run_hopper(cfg: Config, progress: bool = False) -> dict:
    """Data, training and evaluation; the sizes and epochs used are returned with the scores."""
    data = hopper_data(cfg)
    trained = train(cfg, data, progress=progress)
    b = hopper_budget(cfg.budget)
    return {"mse": evaluate(cfg, data, trained), "train_time_s": trained["time_s"], "curve": trained["curve"],
            "n_train": data["n_train"], "n_test": data["n_test"], "window": b.get("window", 100),
            "epochs": b["epochs"], "loss": trained["loss"], "models": trained["models"]}
