"""Chapter 7's experiments: making neural ODEs work in practice.

* :mod:`.stiff`: Van der Pol as μ grows, dopri5 against the implicit sdirk2 (NFE, steps, seconds).
* :mod:`.regularise`: a CNF's NFE over training with and without Finlay et al.'s kinetic + Jacobian penalty.
* :mod:`.adjoints`: the adjoint's backward error norm (mixed, rms, seminorm): NFE, time, gradient error.
* :mod:`.devices`: one RK4 step of an MLP field against batch and width, per device; ``torch.compile``.
* :mod:`.precision`: float32 against float64, error against tolerance.
* :mod:`.checks`: the exercises' self-checks; :mod:`.figures`: plotly figures for quick and reference runs.

Each takes the chapter's :class:`~nodebook.config.Config` and returns plain numbers and lists.
"""

from __future__ import annotations

from ...config import Config
from . import claims  # noqa: F401  (ch7.claims.reference_notes, used by the page)
from .adjoints import MLPField, norm_accuracy, seminorm_comparison
from .checks import check_backward_euler, check_seminorm
from .devices import compile_effect, crossover, device_sweep, step_times
from .figures import devices_figure, reg_figure
from .precision import error_vs_tolerance, floor_tolerance, precision_sweep
from .regularise import regularisation, train_regularised
from .stiff import VanDerPol, solve_vdp, stiffness_sweep

__all__ = [
    "MLPField", "VanDerPol", "check_backward_euler", "check_seminorm", "compile_effect", "crossover",
    "device_sweep", "devices_figure", "error_vs_tolerance", "floor_tolerance", "norm_accuracy", "precision_sweep",
    "reg_figure", "regularisation", "run", "seminorm_comparison", "solve_vdp", "step_times", "stiffness_sweep",
    "train_regularised",
]


def run(cfg: Config, *, progress: bool = False) -> dict:
    """Every experiment of the chapter, as saved by ``python -m nodebook reproduce ch7``."""
    return {
        "stiff": stiffness_sweep(cfg),
        "adjoint": seminorm_comparison(cfg),
        "devices": device_sweep(cfg),
        "precision": precision_sweep(cfg),
        "reg": regularisation(cfg, progress=progress),
    }
