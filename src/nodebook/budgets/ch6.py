"""Chapter 6 (latent ODEs): the spirals, Hopper and PhysioNet experiments, and the recipe (the
book's or the published one) that trains them.

These are the sizes :mod:`nodebook.experiments.ch6` reads from ``cfg.budget``, per mode (``time_s``: what the
whole chapter may take, in seconds). ``nodebook.setup("ch6")`` hands a chapter the chosen mode's table;
``python -m nodebook reproduce ch6 --set KEY=VALUE`` changes one entry of it for a run.
"""

from __future__ import annotations

from typing import Any

BUDGET: dict[str, dict[str, Any]] = {
    # Both modes use the published protocol (Rubanova et al.'s scaling, windows, first-third extrapolation,
    # per-series MSE). "recipe" picks the models and training: "book" (small Adam-trained models, one-sample
    # ELBO) or "published" (Rubanova et al.'s architectures, loss, KL schedule, Adamax with floor, dopri5
    # decoder, their RNN-VAE: experiments/ch6/_recipe.py), with "shrink" applied after it. Quick: the book's
    # recipe on small sets, about a minute on a CPU. Full: the published recipe on their 10 000 trajectories,
    # shrunk to its first 4 of 300 epochs (640 of 48 000 iterations, so the KL weight is still 0, as theirs is
    # for 10 epochs) so that 3 seeds (2 in parallel) fit 45 min on the 2-core CPU. Measured (1 thread): one step
    # of all three models on both tasks costs about 1.35 CPU-seconds (the ODE-RNN encoder 0.45 s of each 0.7),
    # so 640 steps and 1 200 spiral steps (about 0.19 s each for both models) make about 19 min per seed.
    # Probed with the latent ODE (RNN encoder), 960 steps: 10 000 trajectories for 6 epochs interpolate far
    # better than 1 000 for 60 (test MSE 0.022 against 0.041; mean trajectory 0.055-0.063), and extrapolation
    # does not yet beat the last value in either; their RNN-VAE, 640 steps: 0.018 (interp.), 0.028 (extrap.).
    "quick": {
        "time_s": 90, "recipe": "book",
        "spirals": {"n_train": 256, "n_test": 128, "n_total": 500, "n_sample": 100, "noise_std": 0.3,
                    "n_obs": [15, 25, 50], "n_obs_train": [3, 5, 15, 25, 50], "draw_counts": [3, 8, 25],
                    "latent_dim": 4, "hidden": 25, "width": 20, "steps": 150, "batch_size": 64, "lr": 2e-2,
                    "lr_decay": 0.995, "kl_warmup": 50, "method": "euler", "eval_every": 50},
        "hopper": {"n_traj": 200, "n_steps": 60, "window": 20, "fracs": [0.5], "eval_fracs": [0.1, 0.5],
                   "models": ["latent_ode_rnn", "rnn_vae"], "latent_dim": 15, "hidden": 30, "width": 100,
                   "decoder_width": 0, "obs_std": 1e-2, "epochs": 25, "batch_size": 32, "lr": 1e-2,
                   "lr_decay": 0.99, "kl_warmup": 20, "method": "euler", "encoder_method": "euler",
                   "curve_series": 40},
        # PhysioNet runs only from the command line, and only when the reader has put the data in the cache.
        "physionet": {"protocol": "book", "max_patients": 200,
                      "quantization": 0.1, "latent_dim": 10, "hidden": 20, "width": 40,
                      "obs_std": 0.01, "epochs": 2, "batch_size": 50, "lr": 1e-2, "kl_warmup": 5,
                      "method": "euler"},
    },
    "full": {
        "time_s": 2700, "checkpoint": True, "recipe": "published", "shrink": {"epochs": 4},
        "spirals": {"n_train": 1000, "n_test": 500, "n_total": 1000, "n_sample": 200, "noise_std": 0.3,
                    "n_obs": [30, 50, 100], "n_obs_train": [5, 10, 30, 50, 100], "draw_counts": [5, 15, 50],
                    "latent_dim": 4, "hidden": 25, "width": 20, "steps": 1200, "batch_size": 200, "lr": 2e-2,
                    "lr_decay": 0.999, "kl_warmup": 300, "method": "euler", "eval_every": 200,
                    "checkpoint_every": 50},
        "hopper": {"n_traj": 10000, "n_steps": 200, "window": 100, "fracs": [0.5], "eval_fracs": [0.1, 0.5],
                   "latent_dim": 15, "hidden": 30, "width": 300, "decoder_width": 0, "obs_std": 1e-3,
                   "epochs": 10, "batch_size": 50, "lr": 3e-2, "lr_decay": 0.999, "kl_warmup": 50,
                   "method": "euler", "encoder_method": "euler", "eval_every": 40, "curve_series": 100,
                   "checkpoint_every": 40},
        "physionet": {"protocol": "book", "max_patients": None,
                      "quantization": 0.1, "latent_dim": 20, "hidden": 40, "width": 100,
                      "obs_std": 0.01, "epochs": 30, "batch_size": 50, "lr": 1e-2, "kl_warmup": 50,
                      "method": "euler"},
    },
}
