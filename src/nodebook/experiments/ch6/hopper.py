"""Chapter 6, MuJoCo Hopper: latent ODE (GRU and ODE-RNN encoders) against the RNN-VAE (Rubanova et al. 2019).

Data: :func:`nodebook.data.hopper_trajectories` (dm_control Hopper from random initial states, cached
with a checksum), ``n_traj`` trajectories of ``n_steps`` states (14 features), each feature min-max scaled
to [0, 1] on the training set, times ``arange(n_steps) / n_steps``; 80/20 train/test split.

* **interpolation**: the encoder sees a random ``frac`` of each trajectory's time points; the model
  predicts every point; MSE over all points (Rubanova et al.'s convention). Training draws ``frac`` from
  the list each step (one model for all fractions, shared times per batch); testing gives every series
  its own points.
* **extrapolation**: the encoder sees the first half; the model predicts the second half; MSE there.
"""

from __future__ import annotations

import torch

from ...config import Config, seeded
from ...config import one_cpu_thread as threads
from ...data import FeatureScaler, hopper_times, hopper_trajectories, split_interp
from ...latent import RNNVAE, GRUEncoder, LatentODE, ODERNNEncoder, fit_series
from ._common import solver_settings

MODELS = ("latent_ode_odernn", "latent_ode_rnn", "rnn_vae")
LABELS = {"latent_ode_odernn": "Latent ODE (ODE-RNN enc.)", "latent_ode_rnn": "Latent ODE (RNN enc.)",
          "rnn_vae": "RNN-VAE"}
PAPER_MSE = {  # Rubanova et al. 2019, Hopper, 50% observed, MSE x 1e-2 (shared/paper-numbers.md)
    "latent_ode_odernn": {"interp": 0.285, "extrap": 1.258},
    "latent_ode_rnn": {"interp": 0.447, "extrap": 1.377},
    "rnn_vae": {"interp": 6.100, "extrap": 1.782},
}
TASKS = ("interp", "extrap")


def hopper_data(cfg: Config) -> dict:
    """Scaled train/test trajectories ``(n, n_steps, 14)`` and times ``(n_steps,)`` on ``cfg.device``."""
    b = cfg.budget["hopper"]
    traj = hopper_trajectories(b["n_traj"], b["n_steps"], seed=123)
    n_train = int(round(0.8 * len(traj)))
    ones = torch.ones_like(traj[:n_train])
    scaler = FeatureScaler("minmax").fit(traj[:n_train], ones)
    scaled = scaler.transform(traj)
    return {"t": hopper_times(b["n_steps"]).to(cfg.device), "train": scaled[:n_train].to(cfg.device),
            "test": scaled[n_train:].to(cfg.device), "n_train": n_train, "n_test": len(traj) - n_train}


def build_model(name: str, cfg: Config) -> torch.nn.Module:
    """One of :data:`MODELS`, sized by ``cfg.budget["hopper"]``, initialised from ``cfg.seed``."""
    b = cfg.budget["hopper"]
    d, latent, hidden, width = 14, b["latent_dim"], b["hidden"], b["width"]
    with seeded(cfg.seed):
        if name == "latent_ode_rnn":
            model = LatentODE(d, latent, GRUEncoder(d, hidden), width=width, decoder_width=width,
                              obs_std=b["obs_std"], **solver_settings(b))
        elif name == "latent_ode_odernn":
            enc = ODERNNEncoder(d, hidden, width=width, method=b.get("encoder_method", "euler"))
            model = LatentODE(d, latent, enc, width=width, decoder_width=width, obs_std=b["obs_std"],
                              **solver_settings(b))
        elif name == "rnn_vae":
            model = RNNVAE(d, latent, hidden, decoder_width=width, obs_std=b["obs_std"])
        else:
            raise ValueError(f"unknown Hopper model {name!r}; expected one of {', '.join(MODELS)}")
    return model.to(cfg.device)


def sampler(task: str, t: torch.Tensor, x: torch.Tensor, fracs: list[float], batch_size: int):
    """``sample_batch(gen)`` for ``task``: interpolation with a shared random ``frac`` of the times (drawn
    from ``fracs`` each step), or extrapolation from the first half."""
    half = len(t) // 2

    def sample_batch(gen: torch.Generator):
        rows = torch.randperm(len(x), generator=gen)[:batch_size].to(x.device)
        xb = x[rows]
        full = torch.ones_like(xb)
        if task == "extrap":
            return t[:half], xb[:, :half], full[:, :half], t[half:], xb[:, half:], full[:, half:]
        frac = fracs[int(torch.randint(len(fracs), (1,), generator=gen))]
        k = max(1, round(frac * len(t)))
        cols = torch.randperm(len(t), generator=gen)[:k].sort().values.to(x.device)
        return t[cols], xb[:, cols], full[:, cols], t, xb, full
    return sample_batch


def train(cfg: Config, data: dict, progress: bool = False) -> dict:
    """Train every model on both tasks: ``{"models": {task: {name: model}}, "time_s": ..., "loss": ...}``."""
    b = cfg.budget["hopper"]
    out: dict = {"models": {}, "time_s": {}, "loss": {}}
    steps_per_epoch = max(1, data["n_train"] // b["batch_size"])
    with threads(cfg.device):
        for task in TASKS:
            for key in ("models", "time_s", "loss"):
                out[key][task] = {}
            for name in MODELS:
                model = build_model(name, cfg)
                hist = fit_series(model, sampler(task, data["t"], data["train"], b["fracs"], b["batch_size"]),
                                  steps=b["epochs"] * steps_per_epoch, lr=b["lr"], lr_decay=b.get("lr_decay", 1.0),
                                  seed=cfg.seed, kl_warmup=b.get("kl_warmup", 0), progress=progress,
                                  desc=f"{name} {task}")
                out["models"][task][name] = model
                out["time_s"][task][name] = hist.wall_time_s
                out["loss"][task][name] = hist.loss
    return out


@torch.no_grad()
def evaluate(cfg: Config, data: dict, trained: dict, batch: int = 256) -> dict:
    """Test MSE: ``{"interp": {name: {frac: mse}}, "extrap": {name: mse}}`` (scaled units)."""
    b = cfg.budget["hopper"]
    t, x = data["t"], data["test"]
    half = len(t) // 2
    full = torch.ones_like(x)
    rows: dict = {"interp": {n: {} for n in MODELS}, "extrap": {}}

    def mse(model, *args) -> float:  # the masked mean over all scored entries, accumulated over test batches
        sse = n = 0.0
        for i in range(0, len(x), batch):
            t_o, x_o, m_o, t_p, x_p, m_p = (a[i:i + batch] if a.dim() > 1 else a for a in args)
            pred = model.predict(t_o, x_o, m_o, t_p)
            sse += float(((pred - x_p) ** 2 * m_p).sum())
            n += float(m_p.sum())
        return sse / n

    with threads(cfg.device):
        for frac in b["fracs"]:
            gen = torch.Generator().manual_seed(cfg.seed + int(1000 * frac))
            obs_mask, _ = split_interp(x, full, frac, gen)
            for name, model in trained["models"]["interp"].items():
                rows["interp"][name][frac] = mse(model, t, x * obs_mask, obs_mask, t, x, full)
        for name, model in trained["models"]["extrap"].items():
            rows["extrap"][name] = mse(model, t[:half], x[:, :half], full[:, :half], t[half:], x[:, half:],
                                       full[:, half:])
    return rows


def run_hopper(cfg: Config, progress: bool = False) -> dict:
    """Data, training and evaluation; the sizes and epochs used are returned with the scores."""
    data = hopper_data(cfg)
    trained = train(cfg, data, progress=progress)
    b = cfg.budget["hopper"]
    return {"mse": evaluate(cfg, data, trained), "train_time_s": trained["time_s"],
            "n_train": data["n_train"], "n_test": data["n_test"], "n_steps": b["n_steps"], "epochs": b["epochs"],
            "loss": trained["loss"], "models": trained["models"]}
