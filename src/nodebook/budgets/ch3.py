"""Chapter 3 (the adjoint method, memory and time): the memory and time sweep over RK4 steps, and
the gradient-agreement and failure sweeps.

These are the sizes :mod:`nodebook.experiments.ch3` reads from ``cfg.budget``, per mode (``time_s``: what the
whole chapter may take, in seconds). ``nodebook.setup("ch3")`` hands a chapter the chosen mode's table;
``python -m nodebook reproduce ch3 --set KEY=VALUE`` changes one entry of it for a run.
"""

from __future__ import annotations

from typing import Any

BUDGET: dict[str, dict[str, Any]] = {
    # Quick: the benchmark's problem at batch 32 on one thread, up to 300 RK4 steps (on CPU the
    # profiler that measures memory costs several ms per solver step); the committed benchmark
    # results (batch 128, 1000 steps) are shown beside. Full: the reference run, sized for the 2-core CPU
    # (batch 128, up to 1000 RK4 steps, one thread); the GPU variant of the paper-scale table is
    # `--set batch=1024 --set threads=0` (torchdiffeq's H100 numbers are at batch 1024).
    "quick": {"time_s": 90, "n_steps": [10, 30, 100, 300], "batch": 32, "repeat": 2, "threads": 1,
              "tolerances": [1e-3, 1e-5, 1e-7], "agreement_steps": [10, 20, 40, 80],
              "failure_tolerances": [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10], "segments": 4},
    "full": {"time_s": 600, "n_steps": [10, 30, 100, 300, 1000], "batch": 128, "repeat": 3, "threads": 1,
             "tolerances": [1e-3, 1e-5, 1e-7], "agreement_steps": [10, 20, 40, 80, 160],
             "failure_tolerances": [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12],
             "segments": 4},
}
