"""nodebook: the helper package of the Neural ODE book.

The public API, re-exported here: ``setup`` (mode, device, seed), ``odeint``/``solve`` and ``SOLVERS``
(ODE solvers with torchdiffeq's calling convention), measurement helpers, and the results files that
tie the chapters to their full-mode runs.

Layout, lowest floor first (a module imports only from its floor or lower ones; ``tests/test_imports.py``
holds the table): plain helpers and data (``measure``, ``seeds``, ``problems``, ``budgets``: each chapter's
sizes); ``config``, ``checkpoint``, ``plotting``, ``results``; ``solvers``; ``adjoint``; ``models``,
``data``, ``flows``; ``train``; ``latent``; ``grading``, ``exercises``; ``experiments`` (one subpackage per
chapter); ``reports``, ``claims``, ``book`` and the command line (``__main__``); this module on top.
"""

from . import book, claims, exercises, experiments, grading, problems, results, seeds
from .adjoint import AdjointStats, odeint_adjoint
from .config import Config, setup
from .measure import NFECounter, peak_memory, time_call, timer
from .solvers import SOLVERS, Solution, SolverError, SolverStats, odeint, solve

__version__ = "0.1.0"

__all__ = [
    "SOLVERS", "AdjointStats", "Config", "NFECounter", "Solution", "SolverError", "SolverStats", "book",
    "claims", "exercises", "experiments", "grading", "odeint", "odeint_adjoint", "peak_memory", "problems",
    "results", "seeds", "setup", "solve", "time_call", "timer",
]
