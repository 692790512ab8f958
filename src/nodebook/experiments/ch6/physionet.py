"""Chapter 6, PhysioNet 2012: the Hopper models on ICU records, run only when the reader has the data.

nodebook never downloads the Challenge data. Put ``set-a/`` and ``Outcomes-a.txt`` into
``nodebook.config.cache_dir("physionet")``; then ``python -m nodebook reproduce ch6`` adds a
``"physionet"`` entry to its results (``run`` checks :func:`available`), or call :func:`run_physionet`.

Recipe (Rubanova et al.'s, simplified): times in hours divided by 48, 41 features min-max scaled on the
training patients' observed values, 80/20 split of patients. **Interpolation**: the encoder sees a random
half of each patient's observed time points, the model predicts all observed values. **Extrapolation**:
the encoder sees the first 24 hours, the model predicts the observed values of the next 24. MSE over
observed entries only (scaled units), as in their tables (×10⁻³ there).
"""

from __future__ import annotations

from pathlib import Path

import torch

from ...config import Config, cache_dir, seeded
from ...config import one_cpu_thread as threads
from ...data import FeatureScaler, collate, load_physionet, split_extrap, split_interp
from ...latent import RNNVAE, GRUEncoder, LatentODE, ODERNNEncoder, fit_series
from ._common import solver_settings

MODELS = ("latent_ode_odernn", "latent_ode_rnn", "rnn_vae")
PAPER_MSE = {  # Rubanova et al. 2019, PhysioNet, MSE x 1e-3 (shared/paper-numbers.md)
    "latent_ode_odernn": {"interp": 2.118, "extrap": 2.231},
    "latent_ode_rnn": {"interp": 3.907, "extrap": 3.162},
    "rnn_vae": {"interp": 5.930, "extrap": 3.055},
}
HOURS = 48.0


def available(folder: str | Path | None = None) -> bool:
    """Whether ``<folder>/set-a`` (default: the PhysioNet cache folder) holds patient files."""
    root = Path(folder) if folder is not None else cache_dir("physionet")
    return (root / "set-a").is_dir() and any((root / "set-a").glob("*.txt"))


def physionet_data(cfg: Config, folder: str | Path | None = None) -> dict:
    """Patients split 80/20 (seeded) and a :class:`FeatureScaler` fitted on the training patients."""
    b = cfg.budget["physionet"]
    records = load_physionet(folder, quantization=b.get("quantization", 0.1), max_patients=b.get("max_patients"))
    order = torch.randperm(len(records), generator=torch.Generator().manual_seed(cfg.seed)).tolist()
    n_train = max(1, int(round(0.8 * len(records))))
    train = [records[i] for i in order[:n_train]]
    test = [records[i] for i in order[n_train:]] or train[-1:]
    _, x, mask = collate(train)
    return {"train": train, "test": test, "scaler": FeatureScaler("minmax").fit(x, mask),
            "n_features": x.shape[-1]}


def make_batch(records: list, scaler: FeatureScaler, task: str, gen: torch.Generator, device) -> tuple:
    """``(t_obs, x_obs, m_obs, t_pred, x_pred, m_pred)`` for ``task`` from a list of patients."""
    t, x, mask = collate(records)
    t, x, mask = (t / HOURS).to(device), scaler.transform(x, mask).to(device), mask.to(device)
    if task == "interp":
        obs, target = split_interp(x, mask, 0.5, gen)
        return t, x * obs, obs, t, x, target
    obs, target = split_extrap(t, x, mask, by="time")
    half = int((t <= (t[0] + t[-1]) / 2).sum())
    return t[:half], (x * obs)[:, :half], obs[:, :half], t[half:], x[:, half:], target[:, half:]


def build_model(name: str, cfg: Config, n_features: int) -> torch.nn.Module:
    b = cfg.budget["physionet"]
    d, latent, hidden, width = n_features, b["latent_dim"], b["hidden"], b["width"]
    with seeded(cfg.seed):
        if name == "latent_ode_odernn":
            enc = ODERNNEncoder(d, hidden, width=width, method="euler")
            model = LatentODE(d, latent, enc, width=width, decoder_width=width, obs_std=b["obs_std"],
                              **solver_settings(b))
        elif name == "latent_ode_rnn":
            model = LatentODE(d, latent, GRUEncoder(d, hidden), width=width, decoder_width=width,
                              obs_std=b["obs_std"], **solver_settings(b))
        elif name == "rnn_vae":
            model = RNNVAE(d, latent, hidden, decoder_width=width, obs_std=b["obs_std"])
        else:
            raise ValueError(f"unknown PhysioNet model {name!r}; expected one of {', '.join(MODELS)}")
    return model.to(cfg.device)


@torch.no_grad()
def _test_mse(model, data: dict, task: str, cfg: Config, batch: int) -> float:
    gen = torch.Generator().manual_seed(cfg.seed)
    sse = n = 0.0
    for i in range(0, len(data["test"]), batch):
        t_o, x_o, m_o, t_p, x_p, m_p = make_batch(data["test"][i:i + batch], data["scaler"], task, gen, cfg.device)
        pred = model.predict(t_o, x_o, m_o, t_p)
        sse += float(((pred - x_p) ** 2 * m_p).sum())
        n += float(m_p.sum())
    return sse / max(n, 1.0)


def run_physionet(cfg: Config, folder: str | Path | None = None, progress: bool = False) -> dict:
    """Train and score every model on both tasks; returns MSE (scaled units), sizes and epochs."""
    b = cfg.budget["physionet"]
    data = physionet_data(cfg, folder)
    train, bs = data["train"], b["batch_size"]
    steps = b["epochs"] * max(1, len(train) // bs)
    out: dict = {"mse": {"interp": {}, "extrap": {}}, "n_train": len(train), "n_test": len(data["test"]),
                 "epochs": b["epochs"], "paper_mse_1e-3": PAPER_MSE}
    with threads(cfg.device):
        for task in ("interp", "extrap"):
            for name in MODELS:
                model = build_model(name, cfg, data["n_features"])

                def sample_batch(gen, task=task):
                    rows = torch.randperm(len(train), generator=gen)[:bs].tolist()
                    return make_batch([train[i] for i in rows], data["scaler"], task, gen, cfg.device)

                fit_series(model, sample_batch, steps=steps, lr=b["lr"], seed=cfg.seed,
                           kl_warmup=b.get("kl_warmup", 0), progress=progress, desc=f"{name} {task}")
                out["mse"][task][name] = _test_mse(model, data, task, cfg, bs)
    return out
