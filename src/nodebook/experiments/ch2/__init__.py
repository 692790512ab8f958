"""Chapter 2's experiments: a ResNet is an Euler step.

* :func:`euler_limit`: a weight-tied ResNet with ``N`` blocks of step ``1/N`` against the ODE flow of the
  same (fixed, random) dynamics; the gap shrinks like ``1/N``.
* :func:`train_models`: a ResNet, an ODE-Net and an augmented ODE-Net trained side by side on concentric
  circles: accuracy, parameters, training time, NFE.
* :func:`transport`: how the trained models move the plane through depth (blocks) and time.
* :func:`continuous_view`: what the continuous model buys (any-time evaluation, a test-time tolerance,
  invertibility) and what a discrete one does instead (folding the plane).

Each function takes the chapter's :class:`~nodebook.config.Config` (sizes from ``cfg.budget``) and returns
plain numbers and lists; :func:`train_models` also returns the trained models for the later experiments.
:func:`check_block_order` and :func:`check_gap_constant` are the self-checks of the chapter's exercises.

One module per part: ``euler`` (a), ``training`` (b), ``views`` (c, d), ``checks`` (the exercises).
"""

from ...config import Config
from .checks import check_block_order, check_gap_constant
from .euler import FLOW_TOL, euler_block, euler_gaps, euler_limit, flow, random_dynamics
from .training import LABELS, MODELS, TRAIN_TOL, build_model, circles, train_models
from .views import continuous_view, folding, plane_grid, read_out, round_trip, tolerance_sweep, transport

__all__ = [
    "FLOW_TOL", "LABELS", "MODELS", "TRAIN_TOL", "build_model", "check_block_order", "check_gap_constant", "circles",
    "continuous_view", "euler_block", "euler_gaps", "euler_limit", "flow", "folding", "plane_grid", "random_dynamics",
    "read_out", "record", "round_trip", "run", "tolerance_sweep", "train_models", "transport",
]


def record(limit: dict, trained: dict, view: dict) -> dict:
    """The chapter's results as ``run`` saves them, from its three experiments (what the page checks its
    claims on, in the same shape as ``results/ch2.json``'s metrics)."""
    return {
        "euler_limit": {k: limit[k] for k in ("n_blocks", "gap", "order", "slope", "flow_nfe", "flow_tol")},
        "models": trained["rows"],
        "nfe_curve": trained["curves"]["odenet"]["nfe"],
        "continuous_view": view,
    }


def run(cfg: Config) -> dict:
    """Every experiment of the chapter, as saved by ``python -m nodebook reproduce ch2``."""
    limit = euler_limit(cfg)
    trained = train_models(cfg)
    return record(limit, trained, continuous_view(cfg, trained))
