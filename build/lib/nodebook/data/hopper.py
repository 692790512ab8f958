"""MuJoCo Hopper trajectories, generated as in Rubanova et al. (2019), and cached.

The recipe of the official ``latent_ode`` code (``mujoco_physics.py``): dm_control's
``suite.load("hopper", "stand")`` physics (timestep 0.005 s), no control input; for each trajectory
the root's x and z positions are drawn from U(0, 0.5), the other 5 joint positions from U(-2, 2) and all
7 velocities from U(-5, 5) (numpy, seed 123), then the state ``(qpos (7), qvel (7))`` is recorded and
``physics.step()`` called, ``n_steps`` times. The times are ``arange(n_steps) / n_steps``
(:func:`hopper_times`). We draw from a private ``numpy.random.RandomState(seed)``, which gives the same
numbers as their global ``np.random.seed(123)`` in the same order.

Generating 10 000 x 200 takes about a minute; the result is cached under
``nodebook.config.cache_dir("hopper")`` as ``.npz`` with a sha256 sidecar, both written atomically. A
cache file whose checksum does not match (or that cannot be read) is regenerated, with a warning.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch

from .. import _validate
from ..config import cache_dir
from . import _cache

STATE_DIM = 14  # 7 joint positions (root x, z, angle; thigh, leg, foot, ...) and their 7 velocities
_FORMAT = 1  # bump when the generator changes, so old caches are not mistaken for new ones


def hopper_times(n_steps: int = 200, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``(n_steps,)`` the times ``arange(n_steps) / n_steps`` in [0, 1), as Rubanova et al. use them."""
    n_steps = _validate.positive_int("n_steps", n_steps)
    return torch.arange(n_steps, dtype=torch.float64).div(n_steps).to(dtype)


def generate_hopper(n_traj: int, n_steps: int, seed: int = 123) -> np.ndarray:
    """Simulate without caching: ``(n_traj, n_steps, 14)`` float64, ``[..., :7]`` qpos, ``[..., 7:]`` qvel."""
    n_traj = _validate.positive_int("n_traj", n_traj)
    n_steps = _validate.positive_int("n_steps", n_steps)
    rng = np.random.RandomState(_validate.seed(seed))
    # dm_control picks an OpenGL backend at import; its default (GLFW) warns "X11: The DISPLAY environment
    # variable is missing" on a headless machine. The physics never renders, so no backend is loaded at all
    # (a value the reader set wins).
    os.environ.setdefault("MUJOCO_GL", "disabled")
    from dm_control import suite  # lazy: importing MuJoCo costs a second and is needed only here

    physics = suite.load("hopper", "stand").physics
    out = np.zeros((n_traj, n_steps, STATE_DIM))
    n_q = len(physics.data.qpos)
    for i in range(n_traj):
        with physics.reset_context():
            physics.data.qpos[:2] = rng.uniform(0, 0.5, size=2)  # root x and z: z > 0 stays above ground
            physics.data.qpos[2:] = rng.uniform(-2, 2, size=n_q - 2)
            physics.data.qvel[:] = rng.uniform(-5, 5, size=len(physics.data.qvel))
        for k in range(n_steps):
            out[i, k, :n_q] = physics.data.qpos
            out[i, k, n_q:] = physics.data.qvel
            physics.step()
    return out


def cache_path(n_traj: int, n_steps: int, seed: int) -> Path:
    """Where :func:`hopper_trajectories` keeps this set: ``<cache>/hopper/hopper_n{..}_t{..}_seed{..}.npz``."""
    return cache_dir("hopper") / f"hopper_n{n_traj}_t{n_steps}_seed{seed}.npz"


def _read_cache(path: Path, shape: tuple[int, int, int]) -> np.ndarray | None:
    """The cached array, or ``None`` (with a warning saying why) when it is missing or cannot be trusted."""
    arrays = _cache.read_npz(path, {"trajectories": shape, "format": ()}, what="Hopper")
    if arrays is not None and int(arrays["format"]) != _FORMAT:
        warnings.warn(f"Hopper cache {path} is corrupt: it holds format {int(arrays['format'])}, expected "
                      f"{_FORMAT}; regenerating it", RuntimeWarning, stacklevel=2)
        return None
    return None if arrays is None else arrays["trajectories"]


def _write_cache(path: Path, arr: np.ndarray) -> None:
    _cache.write_npz(path, {"trajectories": arr, "format": np.int64(_FORMAT)}, what="Hopper")


def hopper_trajectories(n_traj: int = 10000, n_steps: int = 200, *, seed: int = 123, cache: bool = True,
                        dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The Hopper set of Rubanova et al.: ``(n_traj, n_steps, 14)``, read from the cache when possible.

    Args:
        n_traj: number of trajectories (theirs: 10 000, split 80/20 into train and test).
        n_steps: states per trajectory, one ``physics.step()`` (0.005 s) apart (theirs: 200).
        seed: numpy seed of the initial states (theirs: 123).
        cache: read and write ``cache_path(n_traj, n_steps, seed)``; ``False`` always simulates and
            writes nothing.
        dtype: of the returned tensor (the cache stores float32, as the models use).

    Returns:
        ``(n_traj, n_steps, 14)`` tensor: ``[..., :7]`` joint positions, ``[..., 7:]`` velocities, unscaled
        (scale per feature with :class:`~nodebook.data.FeatureScaler`). Times: :func:`hopper_times`.
    """
    n_traj = _validate.positive_int("n_traj", n_traj)
    n_steps = _validate.positive_int("n_steps", n_steps)
    seed = _validate.seed(seed)
    shape = (n_traj, n_steps, STATE_DIM)
    arr = None
    path = None
    if cache and _cache.folder("hopper", what="Hopper") is not None:
        path = cache_path(n_traj, n_steps, seed)
        arr = _read_cache(path, shape)
    if arr is None:
        arr = generate_hopper(n_traj, n_steps, seed).astype(np.float32)
        if path is not None:
            _write_cache(path, arr)  # an unwritable cache warns; the simulated set is returned all the same
    return torch.from_numpy(np.ascontiguousarray(arr)).to(dtype)
