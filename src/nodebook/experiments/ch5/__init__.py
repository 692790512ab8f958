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

One module per part: ``kl`` (a), ``traces`` (b), ``toys`` (c), ``checks`` (the exercises); ``report`` draws
the committed reference run's tables and figures, ``claims`` (with ``_kl_table``) states its verdicts.
"""

from __future__ import annotations

import numpy as np

from ...config import Config
from . import claims, report
from ._common import LIM
from .checks import check_planar_logdet
from .kl import build_kl_model, planar_vs_cnf
from .toys import adjoint_gradients, build_toy_model, gaussian_nll, nfe_vs_tolerance, toy_steps, train_toy, train_toys
from .traces import trace_cost, trace_variance

__all__ = [
    "LIM", "adjoint_gradients", "claims", "build_kl_model", "build_toy_model", "check_planar_logdet", "gaussian_nll",
    "nfe_vs_tolerance", "planar_vs_cnf", "report", "run", "toy_steps", "trace_cost", "trace_variance", "train_toy",
    "train_toys",
]


_PLAIN = ("test_nll", "optimum", "gaussian_nll", "mass", "seconds", "ms_per_step")


def run(cfg: Config, *, progress: bool = True) -> dict:
    """Every experiment of the chapter, as saved by ``python -m nodebook reproduce ch5``.

    Numbers go to the JSON record; ``arrays`` (popped by ``reproduce`` and saved to ``results/ch5.npz``
    with its checksum in the record) holds what the headline figures draw: per toy the learned density
    over time, CNF samples, the loss and NFE curves; per KL fit the samples' histogram and loss curve.
    """
    fig4 = planar_vs_cnf(cfg, progress=progress)
    toys = train_toys(cfg, progress=progress)
    arrays = {"grid_axis": fig4["axis"], "toy_axis": next(iter(toys.values()))["axis"]}
    for target, dens in fig4["targets"].items():
        arrays[f"kl/{target}/target"] = dens
    for (target, kind, size), hist in fig4["hists"].items():
        arrays[f"kl/{target}/{kind}{size}/hist"] = hist
    for r in fig4["rows"]:
        if r["loss"]:
            arrays[f"kl/{r['target']}/{r['kind']}{r['size']}/loss"] = np.asarray(r["loss"])
    for name, r in toys.items():
        arrays[f"toy/{name}/density"] = np.stack(r["density"])
        arrays[f"toy/{name}/times"] = np.asarray(r["times"])
        arrays[f"toy/{name}/samples"] = r["samples"][-1]
        arrays[f"toy/{name}/loss"] = np.asarray(r["loss"])
        arrays[f"toy/{name}/nfe"] = np.asarray(r["nfe"])
    return {
        "planar_vs_cnf": [{k: v for k, v in r.items() if k != "loss"} for r in fig4["rows"]],
        "kl_base": fig4["base"],
        "toys": {name: {**{k: r[k] for k in _PLAIN}, "nfe_first": r["nfe"][0], "nfe_last": r["nfe"][-1],
                        "steps": len(r["loss"])} for name, r in toys.items()},
        "trace_variance": trace_variance(cfg),
        "trace_cost": trace_cost(cfg),
        "arrays": {k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()},
    }
