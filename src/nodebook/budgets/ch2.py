"""Chapter 2 (ResNet vs ODE-Net on 2-D data): data and training sizes of both models, and the
sweeps over Euler blocks, end times and tolerances.

These are the sizes :mod:`nodebook.experiments.ch2` reads from ``cfg.budget``, per mode (``time_s``: what the
whole chapter may take, in seconds). ``nodebook.setup("ch2")`` hands a chapter the chosen mode's table;
``python -m nodebook reproduce ch2 --set KEY=VALUE`` changes one entry of it for a run.
"""

from __future__ import annotations

from typing import Any

BUDGET: dict[str, dict[str, Any]] = {
    "quick": {
        "time_s": 90, "n_train": 512, "n_test": 256, "steps": 200, "batch_size": 128, "lr": 1e-2,
        "width": 32, "resnet_blocks": 4, "augment_dim": 1,
        "euler_blocks": [1, 2, 4, 8, 16, 32, 64, 128],
        "end_times": [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0],
        "tolerances": [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8],
        "inverse_tolerances": [1e-3, 1e-5, 1e-7], "grid": 21, "frames": 11,
    },
    "full": {
        "time_s": 600, "n_train": 4096, "n_test": 1024, "steps": 3000, "batch_size": 256, "lr": 1e-2,
        "width": 32, "resnet_blocks": 4, "augment_dim": 1,
        "euler_blocks": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
        "end_times": [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0],
        "tolerances": [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10],
        "inverse_tolerances": [1e-3, 1e-5, 1e-7, 1e-9], "grid": 21, "frames": 11,
    },
}
