"""Chapter 1 (ODEs and their solvers): step counts and tolerances of the convergence and
work-precision plots, and the solver benchmark's batch.

These are the sizes :mod:`nodebook.experiments.ch1` reads from ``cfg.budget``, per mode (``time_s``: what the
whole chapter may take, in seconds). ``nodebook.setup("ch1")`` hands a chapter the chosen mode's table;
``python -m nodebook reproduce ch1 --set KEY=VALUE`` changes one entry of it for a run.
"""

from __future__ import annotations

from typing import Any

BUDGET: dict[str, dict[str, Any]] = {
    "quick": {
        "time_s": 60,
        "n_steps": [8, 16, 32, 64, 128, 256, 512],
        "tolerances": [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8],
        "bench_batch": 128,
    },
    "full": {
        "time_s": 300,
        "n_steps": [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096],
        "tolerances": [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10],
        "bench_batch": 1024,
    },
}
