"""Hopper trajectories: the published recipe, the physics step, determinism, and the checksummed cache."""

import numpy as np
import pytest
import torch

from nodebook.checkpoint import sidecar
from nodebook.data import hopper, hopper_times, hopper_trajectories

N, T = 8, 20


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NODEBOOK_CACHE", str(tmp_path))
    return tmp_path / "hopper"


def test_shape_dtype_and_the_initial_state_recipe():
    x = hopper_trajectories(N, T, cache=False)
    assert x.shape == (N, T, 14) and x.dtype == torch.float32 and torch.isfinite(x).all()
    # Rubanova et al.: root x, z ~ U(0, 0.5), other 5 joint positions ~ U(-2, 2), 7 velocities ~ U(-5, 5),
    # drawn in that order per trajectory from numpy seed 123
    rng = np.random.RandomState(123)
    for i in range(N):
        want = np.concatenate([rng.uniform(0, 0.5, 2), rng.uniform(-2, 2, 5), rng.uniform(-5, 5, 7)])
        assert np.allclose(x[i, 0].numpy(), want, atol=1e-6)


def test_one_physics_step_of_0_005_s_per_sample():
    x = hopper_trajectories(N, T, cache=False, dtype=torch.float64).numpy()
    qpos, qvel = x[..., :7], x[..., 7:]
    # MuJoCo's semi-implicit Euler: q_{k+1} = q_k + h v_{k+1}, so h is recovered from consecutive samples
    assert np.allclose(np.diff(qpos, axis=1), 0.005 * qvel[:, 1:], atol=1e-5)
    assert not np.allclose(np.diff(qpos, axis=1), 0.010 * qvel[:, 1:], atol=1e-5)
    assert np.abs(np.diff(qvel, axis=1)).max() > 0.1  # gravity and contacts act: not a free drift


def test_deterministic_under_the_seed():
    a = hopper_trajectories(3, 10, seed=7, cache=False)
    assert torch.equal(a, hopper_trajectories(3, 10, seed=7, cache=False))
    assert not torch.equal(a, hopper_trajectories(3, 10, seed=8, cache=False))
    # trajectory i does not depend on how many follow it
    assert torch.equal(a, hopper_trajectories(5, 10, seed=7, cache=False)[:3])


def test_times():
    assert torch.equal(hopper_times(4), torch.tensor([0.0, 0.25, 0.5, 0.75]))
    with pytest.raises(ValueError, match="n_steps must be an int >= 1; got 0"):
        hopper_times(0)
    with pytest.raises(ValueError, match="n_traj must be an int >= 1"):
        hopper_trajectories(0, 10)


def test_cache_is_written_with_a_checksum_and_read_back(cache, monkeypatch):
    first = hopper_trajectories(N, T)
    path = hopper.cache_path(N, T, 123)
    assert path.parent == cache and path.exists() and sidecar(path).exists()
    assert sorted(p.name for p in cache.iterdir()) == [path.name, sidecar(path).name]  # no temporary files
    digest, name = sidecar(path).read_text().split()
    assert name == path.name and len(digest) == 64

    def no_simulation(*args, **kwargs):
        raise AssertionError("should have read the cache")

    monkeypatch.setattr(hopper, "generate_hopper", no_simulation)
    assert torch.equal(hopper_trajectories(N, T), first)


@pytest.mark.parametrize("damage, message", [
    ("flip", "sha256 mismatch"),
    ("sidecar", "its checksum file .* is missing"),
    ("truncate", "sha256 mismatch"),
])
def test_a_corrupt_cache_is_regenerated_with_a_warning(cache, damage, message):
    good = hopper_trajectories(N, T)
    path = hopper.cache_path(N, T, 123)
    data = bytearray(path.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "truncate":
        path.write_bytes(bytes(data[: len(data) // 2]))
    else:
        sidecar(path).unlink()
    with pytest.warns(RuntimeWarning, match=f"Hopper cache .* is corrupt: {message}.*regenerating"):
        again = hopper_trajectories(N, T)
    assert torch.equal(again, good)
    with np.load(path) as npz:  # and the cache holds good data again
        assert np.array_equal(npz["trajectories"], good.numpy())


def test_a_failed_generation_leaves_no_cache_file(cache, monkeypatch):
    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(hopper, "generate_hopper", crash)
    with pytest.raises(KeyboardInterrupt):
        hopper_trajectories(N, T)
    assert not cache.exists() or list(cache.iterdir()) == []


def test_a_cache_of_the_wrong_shape_is_regenerated(cache):
    good = hopper_trajectories(N, T)
    path = hopper.cache_path(N, T, 123)
    import hashlib
    import io
    buf = io.BytesIO()
    np.savez(buf, trajectories=np.zeros((N, T, 13), dtype=np.float32), format=np.int64(hopper._FORMAT))
    path.write_bytes(buf.getvalue())
    sidecar(path).write_text(hashlib.sha256(buf.getvalue()).hexdigest() + "  " + path.name + "\n")
    with pytest.warns(RuntimeWarning, match=r"Hopper cache .* is corrupt: array 'trajectories' has shape"):
        assert torch.equal(hopper_trajectories(N, T), good)


def test_an_unwritable_cache_folder_keeps_the_simulated_set(cache, monkeypatch):
    import os
    cache.mkdir(parents=True)
    os.chmod(cache, 0o500)  # read-only folder: the cache cannot be written
    try:
        if os.access(cache, os.W_OK):
            pytest.skip("running as a user who can write to read-only folders (root)")
        with pytest.warns(RuntimeWarning, match="Hopper cache .* could not be written.*freshly generated"):
            x = hopper_trajectories(N, T)
    finally:
        os.chmod(cache, 0o700)
    assert x.shape == (N, T, 14) and torch.isfinite(x).all()


def test_a_failing_write_keeps_the_simulated_set(cache, monkeypatch):
    from nodebook.data import _cache

    def disk_full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_cache, "atomic_write_bytes", disk_full)
    with pytest.warns(RuntimeWarning, match="Hopper cache .* could not be written .*No space left"):
        x = hopper_trajectories(N, T)
    assert x.shape == (N, T, 14)
