"""Chapter 4 (ODE-Nets for classification): Table 1's models and training, the tolerance scan, the
MLP baseline, augmentation and the circles.

These are the sizes :mod:`nodebook.experiments.ch4` reads from ``cfg.budget``, per mode (``time_s``: what the
whole chapter may take, in seconds). ``nodebook.setup("ch4")`` hands a chapter the chosen mode's table;
``python -m nodebook reproduce ch4 --set KEY=VALUE`` changes one entry of it for a run.
"""

from __future__ import annotations

from typing import Any

BUDGET: dict[str, dict[str, Any]] = {
    # Quick: MNIST-1D on one CPU thread with narrow models (16 channels) and a few epochs; the ODE-Net
    # trains at a loose tolerance with the adjoint. Full: the reference run, 3 seeds as 2 processes of one
    # thread (`reproduce ch4 --mode full --seeds 3`), sized to fit 45 min wall on the 2-core CPU: CPU time
    # per training step measured at C = 32 (probe, one thread): ODE-Net 177 ms, RK-Net 42 ms, ResNet 33 ms,
    # so 1000 steps of the three take ~250 s of CPU per seed, ~350 s with the scan, circles and the MLP
    # check; 3 seeds on 2 cores are 2 rounds, ~12 min quiet, ~28 min at the 2.4x slowdown the 1-seed
    # 1500-step run of 2026-11-30 saw (1232 s). That run's sizes are `--set steps=1500 --set
    # circles_steps=1000`; the paper's width is `--set channels=64 --set steps=3000` (a GPU). The MLP uses
    # the MNIST-1D paper's recipe (Adam 1e-2, batch 100, 8000 steps): the shared one under-trains it.
    "quick": {"time_s": 90, "dataset": "mnist1d", "n_train": None, "n_test": None, "channels": 16,
              "hidden": 300, "resnet_blocks": 6, "rk_steps": 2, "train_tol": 1e-2, "pool": False,
              "activation": "softplus",
              "steps": 120, "batch_size": 128, "lr": 1e-2, "weight_decay": 0.0, "scan_test": 500,
              "tolerances": [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 1e-4], "error_samples": 128, "scan_repeats": 1,
              "mlp_steps": 1000, "mlp_batch": 100, "mlp_lr": 1e-2,
              "augment_steps": 100, "augment_width": 16, "circles_steps": 80, "checkpoint": False},
    "full": {"time_s": 2700, "dataset": "mnist1d", "n_train": None, "n_test": None, "channels": 32,
             "hidden": 300, "resnet_blocks": 6, "rk_steps": 2, "train_tol": 1e-3, "pool": False,
             "activation": "softplus",
             "steps": 1000, "batch_size": 128, "lr": 3e-3, "weight_decay": 1e-4, "scan_test": None,
             "tolerances": [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 1e-5], "error_samples": 256,
             "scan_repeats": 3, "mlp_steps": 8000, "mlp_batch": 100, "mlp_lr": 1e-2, "mlp_gap": True,
             "augment_steps": 300, "augment_width": 16, "circles_steps": 500, "checkpoint": True,
             "checkpoint_every": 500},
}
