"""Checkpoint files written atomically and verified when read.

``save_checkpoint(path, state)`` writes ``torch.save(state)`` to a temporary file in the same folder and
renames it over ``path`` (``os.replace`` is atomic), so an interrupted save leaves the previous checkpoint
whole. Next to it goes ``<path>.sha256`` in ``sha256sum`` format (``sha256sum -c run.pt.sha256`` checks it
by hand).

``save_checkpoint`` turns NumPy values and paths into plain ones and test-loads the bytes the way
``load_checkpoint`` will, so what it writes always loads back.

``load_checkpoint`` refuses a file whose checksum does not match, that has no checksum, or that torch
cannot read. Such a file is never trained over: it is moved aside to ``<path>.corrupt`` (``.corrupt.1``,
... if that name or its checksum file exists: nothing is ever overwritten), its sidecar with it, and
:class:`CheckpointError` says so. A re-run then starts from scratch while the bad file stays available for
inspection. A file whose checksum matches is never called corrupt: if a safe load refuses what it holds,
:class:`CheckpointError` says so and the file stays where it is.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import torch

from ._safe_state import first_unsafe, plain, unsupported


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

    NumPy scalars and arrays become Python numbers and tensors, paths become strings, so that
    :func:`load_checkpoint` (a safe ``weights_only`` load) always reads back what was saved; the bytes are
    test-loaded that way before anything is written.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        TypeError: ``state`` is not a dict, or holds a value a safe load cannot read (names the entry, e.g.
            ``state['run']['sampler']``); nothing is written then.
    """
    if not isinstance(state, dict):
        raise TypeError(f"state must be a dict; got {type(state).__name__}")
    state = plain(state)
    buffer = io.BytesIO()
    try:
        torch.save(state, buffer)
        torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)
    except (pickle.PickleError, AttributeError, TypeError) as err:  # cannot pickle, or cannot load safely
        where, value = first_unsafe(state, "state") or ("state", state)
        raise TypeError(f"cannot checkpoint {where}: a {type(value).__module__}.{type(value).__qualname__} would "
                        "not load back safely (weights_only); expected tensors, numbers, strings, None, and "
                        f"lists, tuples or dicts of them ({unsupported(err)})") from None
    data = buffer.getvalue()
    path = atomic_write_bytes(path, data)
    # The checkpoint is renamed first, then its checksum: the two renames are microseconds apart, and a
    # crash between them shows up as a checksum mismatch (refused), never as a silently wrong state.
    atomic_write_bytes(sidecar(path), f"{hashlib.sha256(data).hexdigest()}  {path.name}\n".encode())
    return path


def _free_name(path: Path) -> Path:
    """``<path>.corrupt``, else ``.corrupt.1``, ...: the first name where neither file nor checksum exists."""
    k, target = 0, path.with_name(path.name + ".corrupt")
    while target.exists() or sidecar(target).exists():
        k += 1
        target = path.with_name(f"{path.name}.corrupt.{k}")
    return target


def _move_no_clobber(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``, failing rather than replacing an existing ``dst`` (a hard link, then unlink)."""
    try:
        os.link(src, dst)
    except OSError:  # a file system without hard links: check, then rename (a tiny race, but no clobber here)
        if dst.exists():
            raise FileExistsError(dst) from None
        os.replace(src, dst)
        return
    os.unlink(src)


def _move_aside(path: Path) -> Path:
    for _ in range(100):  # another process may take the free name between the check and the move
        target = _free_name(path)
        try:
            _move_no_clobber(path, target)
        except FileExistsError:
            continue
        if sidecar(path).exists():
            _move_no_clobber(sidecar(path), sidecar(target))
        return target
    raise OSError(f"could not find a free name to move {path} aside")


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
        if _is_torch_archive(data):
            # The bytes are exactly what was written and form a whole torch file: not corrupt, only holding
            # something a safe load refuses (e.g. written by an older nodebook). Never move a good file aside.
            raise CheckpointError(
                f"checkpoint {path} is intact (its checksum matches) but a safe load refuses it: "
                f"{unsupported(err)}. It was left in place; it may have been written by an older nodebook. "
                "Move or delete it to train from scratch", path=path, moved_to=None) from err
        # torch's own message can be long and suggest weights_only=False, which is not the fix here
        raise _refuse(path, f"torch.load could not read it ({type(err).__name__})") from err
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path} holds a {type(state).__name__}, expected a dict of saved state; "
                              "it was left in place", path=path, moved_to=None)
    return state


def _is_torch_archive(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return any(name.endswith("/data.pkl") for name in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


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
    needed = [*run, "model", "optimizer", "history", *(["scheduler"] if scheduler is not None else [])]
    missing = [k for k in needed if k not in state]
    if missing:
        raise ValueError(f"checkpoint {path} has no {', '.join(repr(k) for k in missing)} entr"
                         f"{'y' if len(missing) == 1 else 'ies'}; expected {needed}, got {sorted(state)}. It was "
                         "probably written by an older nodebook: move it away to train from scratch")
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
