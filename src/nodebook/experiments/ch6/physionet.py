"""Chapter 6, PhysioNet 2012: the Hopper models on ICU records, run only when the reader has the data.

nodebook never downloads the Challenge data. Put ``set-a/`` and ``Outcomes-a.txt`` into
``nodebook.config.cache_dir("physionet")``; then ``python -m nodebook reproduce ch6`` adds a
``"physionet"`` entry to its results (``run`` checks :func:`available`), or call :func:`run_physionet`.

Recipe (Rubanova et al.'s, through the same helpers as Hopper): times quantised to 0.1 h and divided by
48 hours, 41 features scaled as ``(x - min) / max`` over all patients' observed values (their
``get_data_min_max`` and ``normalize_masked_data``), the published 80/20 split
(``sklearn.model_selection.train_test_split(..., train_size=0.8, random_state=42, shuffle=True)``).
**Interpolation**: the encoder sees ``int(0.5 * n)`` of each patient's ``n`` observed time points, the
model predicts all observed values. **Extrapolation**: the encoder sees the first 24 hours, the model
predicts the observed values of the next 24 (their code splits the batch's union grid at its middle
index instead). Test MSE per (patient, feature) over observed entries, then the mean, over 3 posterior
draws (scaled units), as in their tables (×10⁻³ there).

``protocol: "published"`` in the budget's ``physionet`` block reads the data as their code does instead,
each difference from the book's default above: set-a and set-b (8 000 patients), ``-1`` values kept as
observations, times divided by each batch's largest time (not by 48 h), extrapolation split at the middle
index of the batch's time grid (not at 24 h), and a linear decoder (not an MLP).
"""

from __future__ import annotations

from pathlib import Path

import torch

from ...config import Config, cache_dir, seeded
from ...config import one_cpu_thread as threads
from ...data import FeatureScaler, collate, load_physionet, split_extrap, split_interp
from ...latent import RNNVAE, GRUEncoder, LatentODE, ODERNNEncoder, fit_series, per_series_mse
from ._common import solver_settings

MODELS = ("latent_ode_odernn", "latent_ode_rnn", "rnn_vae")
PAPER_MSE = {  # Rubanova et al. 2019, PhysioNet, MSE x 1e-3 (shared/paper-numbers.md)
    "latent_ode_odernn": {"interp": 2.118, "extrap": 2.231},
    "latent_ode_rnn": {"interp": 3.907, "extrap": 3.162},
    "rnn_vae": {"interp": 5.930, "extrap": 3.055},
}
HOURS = 48.0


def protocol(b: dict) -> str:
    """``"book"`` (default) or ``"published"`` from a ``physionet`` budget block."""
    got = b.get("protocol", "book")
    if got not in ("book", "published"):
        raise ValueError(f"physionet protocol must be 'book' or 'published'; got {got!r}")
    return got


def subsets(b: dict) -> tuple[str, ...]:
    """The Challenge sets a protocol reads: set-a (book), set-a and set-b (published)."""
    return ("set-a", "set-b") if protocol(b) == "published" else ("set-a",)


def available(folder: str | Path | None = None, b: dict | None = None) -> bool:
    """Whether every set the protocol reads (default: set-a) holds patient files in ``folder`` (default:
    the PhysioNet cache folder)."""
    root = Path(folder) if folder is not None else cache_dir("physionet")
    return all((root / s).is_dir() and any((root / s).glob("*.txt")) for s in subsets(b or {}))


def physionet_data(cfg: Config, folder: str | Path | None = None) -> dict:
    """Patients split 80/20 as the published code does, and the published scaler fitted on all patients."""
    from sklearn.model_selection import train_test_split  # the published split, exactly

    b = cfg.budget["physionet"]
    pub = protocol(b) == "published"
    most = b.get("max_patients", 8000 if pub else None)
    records = load_physionet(folder, subset=subsets(b), quantization=b.get("quantization", 0.1), max_patients=most,
                             keep_missing=pub)
    train, test = train_test_split(records, train_size=0.8, random_state=42, shuffle=True)
    _, x, mask = collate(records)
    return {"train": train, "test": test, "scaler": FeatureScaler("rubanova").fit(x, mask),
            "n_features": x.shape[-1], "protocol": protocol(b)}


def make_batch(records: list, scaler: FeatureScaler, task: str, gen: torch.Generator, device,
               published: bool = False) -> tuple:
    """``(t_obs, x_obs, m_obs, t_pred, x_pred, m_pred)`` for ``task`` from a list of patients (``published``:
    times over the batch's largest time, extrapolation split at the grid's middle index)."""
    t, x, mask = collate(records)
    scale = float(t.max()) if published and float(t.max()) != 0 else HOURS
    t, x, mask = (t / scale).to(device), scaler.transform(x, mask).to(device), mask.to(device)
    if task == "interp":
        obs, target = split_interp(x, mask, 0.5, gen, rounding="floor")
        return t, x * obs, obs, t, x, target
    if published:  # their split_data_extrap: the first half of the time points, by index
        half = len(t) // 2
        return t[:half], (x * mask)[:, :half], mask[:, :half], t[half:], x[:, half:], mask[:, half:]
    obs, target = split_extrap(t, x, mask, by="time")
    half = int((t <= (t[0] + t[-1]) / 2).sum())
    return t[:half], (x * obs)[:, :half], obs[:, :half], t[half:], x[:, half:], target[:, half:]


def build_model(name: str, cfg: Config, n_features: int) -> torch.nn.Module:
    b = cfg.budget["physionet"]
    d, latent, hidden, width = n_features, b["latent_dim"], b["hidden"], b["width"]
    # the data spacing: quantised times lie on a lattice of quantization / 48 h (no step is longer)
    q = b.get("quantization") or 0.1
    dec = 0 if protocol(b) == "published" else width  # theirs: a linear decoder
    with seeded(cfg.seed):
        if name == "latent_ode_odernn":
            enc = ODERNNEncoder(d, hidden, width=width, method="euler", step_size=q / HOURS)
            model = LatentODE(d, latent, enc, width=width, decoder_width=dec, obs_std=b["obs_std"],
                              **solver_settings(b, q / HOURS))
        elif name == "latent_ode_rnn":
            model = LatentODE(d, latent, GRUEncoder(d, hidden), width=width, decoder_width=dec,
                              obs_std=b["obs_std"], **solver_settings(b, q / HOURS))
        elif name == "rnn_vae":
            model = RNNVAE(d, latent, hidden, decoder_width=dec, obs_std=b["obs_std"])
        else:
            raise ValueError(f"unknown PhysioNet model {name!r}; expected one of {', '.join(MODELS)}")
    return model.to(cfg.device)


@torch.no_grad()
def _test_mse(model, data: dict, task: str, cfg: Config, batch: int) -> float:
    gen = torch.Generator().manual_seed(cfg.seed)
    total = 0.0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed)
        for i in range(0, len(data["test"]), batch):
            t_o, x_o, m_o, t_p, x_p, m_p = make_batch(data["test"][i:i + batch], data["scaler"], task, gen,
                                                      cfg.device, data["protocol"] == "published")
            pred = model(t_o, x_o, m_o, t_p, n_samples=3)[0]
            total += float(per_series_mse(pred, x_p, m_p).mean(dim=0).sum())
    return total / len(data["test"])


def run_physionet(cfg: Config, folder: str | Path | None = None, progress: bool = False) -> dict:
    """Train and score every model on both tasks; returns MSE (scaled units), sizes and epochs."""
    b = cfg.budget["physionet"]
    data = physionet_data(cfg, folder)
    train, bs = data["train"], b["batch_size"]
    steps = b["epochs"] * max(1, len(train) // bs)
    out: dict = {"mse": {"interp": {}, "extrap": {}}, "n_train": len(train), "n_test": len(data["test"]),
                 "epochs": b["epochs"], "paper_mse_1e-3": PAPER_MSE, "protocol": data["protocol"]}
    with threads(cfg.device):
        for task in ("interp", "extrap"):
            for name in MODELS:
                model = build_model(name, cfg, data["n_features"])

                def sample_batch(gen, task=task):
                    rows = torch.randperm(len(train), generator=gen)[:bs].tolist()
                    return make_batch([train[i] for i in rows], data["scaler"], task, gen, cfg.device,
                                      data["protocol"] == "published")

                fit_series(model, sample_batch, steps=steps, lr=b["lr"], seed=cfg.seed,
                           kl_warmup=b.get("kl_warmup", 0), progress=progress, desc=f"{name} {task}")
                out["mse"][task][name] = _test_mse(model, data, task, cfg, bs)
    return out
