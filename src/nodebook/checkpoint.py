"""Checkpoint files written atomically and verified when read.

``save_checkpoint(path, state)`` writes ``torch.save(state)`` to a temporary file in the same folder and
renames it over ``path`` (``os.replace`` is atomic), so an interrupted save leaves the previous checkpoint
whole. Next to it goes ``<path>.sha256`` in ``sha256sum`` format (``sha256sum -c run.pt.sha256`` checks it
by hand).

``load_checkpoint`` refuses a file whose checksum does not match, that has no checksum, or that torch
cannot read. Such a file is never trained over: it is moved aside to ``<path>.corrupt`` (``.corrupt.1``,
... if that exists), its sidecar with it, and :class:`CheckpointError` says so. A re-run then starts from
scratch while the bad file stays available for inspection.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path
from typing import Any

import torch


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be trusted. ``path``: the file; ``moved_to``: where it was moved aside."""

    def __init__(self, message: str, *, path: Path, moved_to: Path | None):
        super().__init__(message)
        self.path, self.moved_to = path, moved_to


def sidecar(path: str | os.PathLike) -> Path:
    """The checksum file of ``path``: ``<path>.sha256``."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename; never a half-written ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:  # KeyboardInterrupt included: remove the partial temporary file
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Save ``state`` (tensors, state dicts, plain Python values) to ``path`` with a sha256 sidecar.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    buffer = io.BytesIO()
    torch.save(state, buffer)
    data = buffer.getvalue()
    path = atomic_write_bytes(path, data)
    # The checkpoint is renamed first, then its checksum: the two renames are microseconds apart, and a
    # crash between them shows up as a checksum mismatch (refused), never as a silently wrong state.
    atomic_write_bytes(sidecar(path), f"{hashlib.sha256(data).hexdigest()}  {path.name}\n".encode())
    return path


def _move_aside(path: Path) -> Path:
    target = path.with_name(path.name + ".corrupt")
    k = 0
    while target.exists():
        k += 1
        target = path.with_name(f"{path.name}.corrupt.{k}")
    os.replace(path, target)
    if sidecar(path).exists():
        os.replace(sidecar(path), sidecar(target))
    return target


def _refuse(path: Path, problem: str) -> CheckpointError:
    moved = _move_aside(path)
    return CheckpointError(
        f"checkpoint {path} is corrupt: {problem}. It was moved aside to {moved} (kept for inspection); "
        "run again to train from scratch, or restore a good copy to the original name",
        path=path, moved_to=moved)


def load_checkpoint(path: str | os.PathLike, *, map_location: torch.device | str | None = None
                    ) -> dict[str, Any]:
    """Read and verify a checkpoint written by :func:`save_checkpoint`.

    Args:
        path: the checkpoint file.
        map_location: device to load tensors onto (as in ``torch.load``).

    Returns:
        The saved ``state`` dict.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        CheckpointError: checksum missing or wrong, or unreadable; the file has been moved aside.
    """
    path = Path(path)
    data = path.read_bytes()
    check = sidecar(path)
    if not check.exists():
        raise _refuse(path, f"its checksum file {check.name} is missing, so it cannot be verified")
    fields = check.read_text(errors="replace").split()
    expected = fields[0].lower() if fields else "(empty checksum file)"
    got = hashlib.sha256(data).hexdigest()
    if expected != got:
        raise _refuse(path, f"sha256 mismatch: expected {expected} (from {check.name}), got {got}")
    try:
        state = torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except Exception as err:  # any unpickling failure means the same thing here
        # torch's own message can be long and suggest weights_only=False, which is not the fix here
        raise _refuse(path, f"torch.load could not read it ({type(err).__name__})") from err
    if not isinstance(state, dict):
        raise _refuse(path, f"expected a dict of saved state; got {type(state).__name__}")
    return state


def save_run(path: str | os.PathLike, *, run: dict[str, Any], model: torch.nn.Module,
             optimizer: torch.optim.Optimizer, scheduler: Any = None, history: dict[str, list]) -> Path:
    """Save a training run: what identifies it (``run``, e.g. seed and batch size), the model, optimizer
    and scheduler states, and its history so far."""
    return save_checkpoint(path, {
        **run, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None, "history": history})


def load_run(path: str | os.PathLike, *, run: dict[str, Any], model: torch.nn.Module,
             optimizer: torch.optim.Optimizer, scheduler: Any = None,
             map_location: torch.device | str | None = None) -> dict[str, list]:
    """Load a run saved by :func:`save_run` into ``model``, ``optimizer`` and ``scheduler``.

    Returns:
        The saved history dict.

    Raises:
        CheckpointError: as :func:`load_checkpoint`.
        ValueError: the file belongs to another run (a value of ``run`` differs) or does not fit the model,
            optimizer or scheduler; the file is left as it is.
    """
    state = load_checkpoint(path, map_location=map_location)
    for key, value in run.items():
        if state.get(key) != value:
            raise ValueError(f"checkpoint {path} was written by a run with {key}={state.get(key)!r}; got "
                             f"{key}={value!r}, so resuming would not reproduce that run: use the same "
                             f"{key} or another checkpoint path")
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(state["scheduler"])
    except (KeyError, RuntimeError, TypeError, ValueError, AttributeError) as err:
        raise ValueError(f"checkpoint {path} does not fit this model/optimizer/scheduler: {err}") from err
    return state["history"]
