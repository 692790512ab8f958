"""Chapter 6's experiments: latent ODEs for irregularly-sampled time series.

* :mod:`.spirals`: latent ODE against the RNN baseline on Chen et al.'s bidirectional spirals;
* :mod:`.hopper`: latent ODE (GRU and ODE-RNN encoders) against the RNN-VAE on MuJoCo Hopper;
* :mod:`.physionet`: the same models on PhysioNet 2012, when the reader has put the data in the cache;
* :mod:`.report` and :mod:`.claims`: the reference run's tables and the page's sentences; ``_recipe``
  (Rubanova et al.'s published recipe), ``_observe`` (how spirals are observed), ``_common`` (training).

``run(cfg)`` runs what ``python -m nodebook reproduce ch6`` saves to ``results/ch6.json``.
"""

from __future__ import annotations

import torch

from ...config import Config
from ...exercises import verdict_close
from ...latent import gaussian_kl
from ...results import load_results
from . import (
    _recipe,
    claims,  # registers the chapter's claims (nodebook.claims.evaluate("ch6", ...))
    hopper,
    physionet,
    report,
    spirals,
)


def run(cfg: Config) -> dict:
    """Every experiment of the chapter: spiral RMSE table, Hopper MSE table (with sizes and epochs), and the
    PhysioNet table when the data are in ``cache_dir("physionet")``."""
    data = spirals.spiral_data(cfg)
    trained = spirals.train(cfg, data)
    spiral_rows = spirals.evaluate(cfg, data, trained)
    b_sp = cfg.budget["spirals"]
    counts = b_sp.get("draw_counts", b_sp["n_obs"])
    spread = spirals.posterior_spread(cfg, data, trained["models"]["latent_ode"], counts)
    metrics = {"spirals": {"rmse": spiral_rows, "train_time_s": trained["time_s"], "curve": trained["curve"],
                           "posterior_spread": spread, "budget": b_sp}}
    hop = hopper.run_hopper(cfg)
    metrics["hopper"] = {**{k: v for k, v in hop.items() if k not in ("models", "loss")},
                         "budget": _recipe.hopper_budget(cfg.budget)}
    # PhysioNet only with data the reader supplied
    if "physionet" in cfg.budget and physionet.available(b=cfg.budget["physionet"]):
        metrics["physionet"] = physionet.run_physionet(cfg)
    return metrics


def full_results() -> dict | None:
    """The committed full-mode metrics (``results/ch6.json``), or ``None`` when no GPU run is committed."""
    record = load_results("ch6")
    return None if record is None else record["metrics"]


def check_kl(kl_fn) -> float:
    """Self-check: ``kl_fn(mu, logvar)`` is ``KL(N(mu, e^logvar) || N(0, I))`` summed over the last dim.

    Returns:
        The exact KL of the test case.
    """
    gen = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(5, 3, generator=gen, dtype=torch.float64), torch.randn(5, 3, generator=gen).double()
    exact = float(gaussian_kl(mu, logvar).sum())
    got = float(torch.as_tensor(kl_fn(mu, logvar)).sum())
    return verdict_close(got, exact, what="the summed KL of 5 test posteriors",
                         hint="per dimension ½(σ² + μ² − 1 − log σ²) with log σ² = logvar; sum over dims.",
                         success="your KL matches the closed form", rel_tol=1e-6)


__all__ = ["check_kl", "claims", "full_results", "hopper", "physionet", "report", "run", "spirals"]
