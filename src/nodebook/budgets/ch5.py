"""Chapter 5 (continuous normalizing flows): the KL fits (planar flows and CNFs), FFJORD's toy
densities and the trace estimators.

These are the sizes :mod:`nodebook.experiments.ch5` reads from ``cfg.budget``, per mode (``time_s``: what the
whole chapter may take, in seconds). ``nodebook.setup("ch5")`` hands a chapter the chosen mode's table;
``python -m nodebook reproduce ch5 --set KEY=VALUE`` changes one entry of it for a run.
"""

from __future__ import annotations

from typing import Any

BUDGET: dict[str, dict[str, Any]] = {
    # Quick: one KL target, two toy densities, small models, loose tolerances (CPU). Full: the reference
    # run, sized for the busy 2-core CPU (one thread; probes measured ~30 ms of CPU per KL step at M = 32,
    # 50-110 ms per toy step at NFE 14-26): all three KL targets at K, M in {1, 8, 32}; FFJORD's toy model
    # (3 x 64 concat-squash, tanh, T = 0.5) on the six densities, trained at dopri5 1e-3, batch 256,
    # cosine lr 1e-2 -> 1e-3, more steps for the harder densities, evaluated at 1e-5; checkpointed and
    # resumable. Measured: 973 s with checkerboard at 1500 steps (NLL 0.13 above log 32, the others
    # within 0.05 of their optima); 1479 s with checkerboard at 5000 (0.064 above log 32; 925 s of the
    # run), one seed, one thread, under heavy load (results/ch5.json, 2026-11-30). The reference run is
    # now 3 seeds (`reproduce ch5 --mode full --seeds 3`: 2 processes of one thread, so seed 2 runs after
    # seeds 0 and 1): checkerboard gets 2000 steps (its 5000-step run averaged 68 NFE at 2.7 ms each, so
    # about 370 s), estimated ~920 s a seed and ~31 min for the three under that load (budget 45 min);
    # a 40-step checkerboard probe costs the same CPU per NFE at this code as at 2bfa4b1 (8.6 vs 8.3 ms
    # under load 9-11, 2026-12-07), so the committed run's timings still apply.
    # KL fits stay at 300 steps: 1000 steps with a cosine lr left planar K = 32 on four_modes at 1.389
    # (1.395 at 300), so the page reports the table as optimisation-limited instead. FFJORD's
    # sizes are `--set toy_tol=1e-5 --set toy_steps=10000 --set toy_batch=100 --set toy_lr=1e-3
    # --set toy_lr_final=null` (hours on this CPU; written to ch5.custom.json); the previous checkerboard
    # budget is `--set toy_steps.checkerboard=5000`.
    "quick": {"time_s": 90, "targets": ["ring"], "planar_k": [1, 8, 32], "cnf_m": [1, 8, 32],
              "cnf_hidden": 32, "kl_rk4_steps": 4, "kl_steps": 60, "kl_batch": 128, "kl_lr": 1e-2,
              "kl_eval": 20000, "toys": ["8gaussians", "moons"], "toy_hidden": [64, 64], "toy_t1": 1.0,
              "toy_tol": 1e-3, "toy_steps": 80, "toy_batch": 256, "toy_lr": 2e-2, "eval_tol": 1e-4,
              "n_train": 10000, "n_test": 2000, "n_samples": 2000, "grid": 48, "frames": 5,
              "hutch_dim": 8, "hutch_samples": 20000, "trace_dims": [2, 4, 8, 16, 32, 64],
              "trace_batch": 64, "trace_repeat": 3, "checkpoint": False},
    "full": {"time_s": 2400, "targets": ["ring", "wave", "four_modes"], "planar_k": [1, 8, 32],
             "cnf_m": [1, 8, 32], "cnf_hidden": 32, "kl_rk4_steps": 8, "kl_steps": 300, "kl_batch": 256,
             "kl_lr": 1e-2, "kl_eval": 50000,
             "toys": ["8gaussians", "pinwheel", "checkerboard", "2spirals", "moons", "circles"],
             "toy_hidden": [64, 64, 64], "toy_t1": 0.5, "toy_tol": 1e-3,
             "toy_steps": {"8gaussians": 800, "pinwheel": 800, "checkerboard": 2000, "2spirals": 1200,
                           "moons": 800, "circles": 800},
             "toy_batch": 256, "toy_lr": 1e-2, "toy_lr_final": 1e-3, "eval_tol": 1e-5, "n_train": 100000,
             "n_test": 10000, "n_samples": 5000, "grid": 64, "frames": 6, "hutch_dim": 8,
             "hutch_samples": 200000, "trace_dims": [2, 4, 8, 16, 32, 64, 128], "trace_batch": 256,
             "trace_repeat": 3, "checkpoint": True,
             "checkpoint_every": 100},
}
