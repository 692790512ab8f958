"""Chapter 7 (neural ODEs in practice): stiffness, the kinetic-energy penalty, the adjoint's norms,
devices and precision.

These are the sizes :mod:`nodebook.experiments.ch7` reads from ``cfg.budget``, per mode (``time_s``: what the
whole chapter may take, in seconds). ``nodebook.setup("ch7")`` hands a chapter the chosen mode's table;
``python -m nodebook reproduce ch7 --set KEY=VALUE`` changes one entry of it for a run.
"""

from __future__ import annotations

from typing import Any

# Quick: small sizes, one repeat. Full: the reference run on the 2-core CPU (sized to take under 30 minutes
# there, under load): more stiffness levels, batches and widths, the issue-16 sized norm comparison, three
# penalties trained for 600 steps.
BUDGET: dict[str, dict[str, Any]] = {
    "quick": {
        "time_s": 90,
        # Van der Pol in slow time tau = t / mu on [0, 2]: holds a relaxation jump (see experiments/ch7/stiff.py)
        "stiff": {"mus": [1, 10, 100], "t1": 2.0, "tol": 1e-4, "max_steps": 200000, "repeat": 1,
                  "tol_mus": [], "tols": []},
        "reg": {"toy": "8gaussians", "hidden": [16, 16], "t1": 1.0, "tol": 1e-4, "eval_tol": 1e-5,
                "lams": [0.0, 0.5], "steps": 15, "batch": 64, "lr": 1e-2, "n_train": 5000, "n_test": 500,
                "eval_every": 5, "eval_points": 200},
        "adjoint": {"dim": 16, "width": 64, "batch": 32, "tol": 1e-5, "gain": 1.0, "t1": 10.0, "repeat": 1},
        "devices": {"widths": [16, 64], "batches": [1, 16, 256, 4096], "repeat": 10, "compile": False,
                    "compile_width": 64, "compile_batches": [1, 256]},
        "precision": {"tols": [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10], "t1": 10.0},
    },
    "full": {
        "time_s": 1800,
        "stiff": {"mus": [1, 10, 30, 100, 300], "t1": 2.0, "tol": 1e-4, "max_steps": 2000000,
                  "repeat": 1, "tol_mus": [100], "tols": [1e-3, 1e-4, 1e-5, 1e-6, 1e-7]},
        "reg": {"toy": "8gaussians", "hidden": [64, 64], "t1": 1.0, "tol": 1e-5, "eval_tol": 1e-6,
                "lams": [0.0, 0.05, 0.2], "steps": 600, "batch": 256, "lr": 1e-2, "n_train": 20000,
                "n_test": 2000, "eval_every": 50, "eval_points": 500},
        "adjoint": {"dim": 64, "width": 256, "batch": 128, "tol": 1e-5, "gain": 1.0, "t1": 10.0, "repeat": 1},
        # torch.compile's first call took minutes on the busy 2-core CPU: on with --set devices.compile=true.
        "devices": {"widths": [16, 64, 256], "batches": [1, 4, 16, 64, 256, 1024, 4096], "repeat": 10,
                    "compile": False, "compile_width": 64, "compile_batches": [1, 1024]},
        "precision": {"tols": [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12],
                      "t1": 10.0},
    },
}
