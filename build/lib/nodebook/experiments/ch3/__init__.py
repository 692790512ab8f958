"""Chapter 3's experiments: what the adjoint method saves, what it costs, and where it goes wrong.

Each ``cfg`` function reads its sizes from ``cfg.budget`` and returns plain numbers, so the chapter can
plot and glue them and ``python -m nodebook reproduce ch3`` can save them. ``memory`` holds the problem
and the one-pass measurement that ``benchmarks/adjoint_memory.py`` runs too, ``report`` prints and draws
them, ``gradients`` compares the adjoint with backprop, ``reconstruction`` shows where it fails, and
``checks`` are the exercises' self-checks.
"""

from ...config import Config
from .checks import check_exponential_gradients, check_two_times
from .gradients import adjoint_by_hand, gradient_agreement, relative_error
from .memory import (
    GROWTH_GOAL,
    MEMORY_GOAL,
    METHODS,
    TIME_GOAL,
    budget_threads,
    dopri5_nfe,
    goals,
    measure_steps,
    memory_time,
    mlp_problem,
    nfe_forward_backward,
    one_pass,
)
from .reconstruction import LeakyIntegrator, checkpointed_adjoint, reconstruction
from .reference import (
    GPU_VARIANT,
    REFERENCE_GROWTH_GOAL,
    REFERENCE_RATIO_GOAL,
    TORCHDIFFEQ_H100,
    goal_words,
    memory_steps_figure,
    reference_goals,
    reference_summary,
)
from .report import HEADER, benchmark_label, format_row, load_benchmark, memory_time_figure

__all__ = [
    "GPU_VARIANT", "GROWTH_GOAL", "HEADER", "MEMORY_GOAL", "METHODS", "REFERENCE_GROWTH_GOAL",
    "REFERENCE_RATIO_GOAL", "TIME_GOAL", "TORCHDIFFEQ_H100", "adjoint_by_hand", "benchmark_label", "budget_threads",
    "check_exponential_gradients", "check_two_times", "checkpointed_adjoint", "dopri5_nfe", "format_row",
    "goal_words", "goals", "gradient_agreement", "LeakyIntegrator", "load_benchmark", "measure_steps",
    "memory_steps_figure", "memory_time", "memory_time_figure", "mlp_problem", "nfe_forward_backward", "one_pass",
    "reconstruction", "reference_goals", "reference_summary", "relative_error", "run",
]


def run(cfg: Config) -> dict:
    """Every experiment of the chapter, as saved by ``python -m nodebook reproduce ch3`` (with progress bars)."""
    return {"memory_time": memory_time(cfg, progress=True), "nfe": nfe_forward_backward(cfg, progress=True),
            "gradient_agreement": gradient_agreement(cfg), "reconstruction": reconstruction(cfg)}
