"""Files written whole or not at all: a temporary file beside the target, synced, then renamed over it."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def sidecar(path: str | os.PathLike) -> Path:
    """The checksum file of ``path``: ``<path>.sha256``."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def _temporary(path: Path, data: bytes) -> Path:
    """``data`` written and synced to a temporary file beside ``path`` (removed again if that fails)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:  # KeyboardInterrupt included: remove the partial temporary file
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename; never a half-written ``path``."""
    path = Path(path)
    tmp = _temporary(path, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _write_with_checksum(path: Path, data: bytes) -> None:
    """``path`` and its sidecar, both written in full before either is renamed into place: a failed write
    (a full disk) leaves the previous pair as it was, and says so."""
    tmps: list[Path] = []
    try:
        tmps.append(_temporary(path, data))
        tmps.append(_temporary(sidecar(path), f"{hashlib.sha256(data).hexdigest()}  {path.name}\n".encode()))
    except OSError as err:
        for tmp in tmps:
            tmp.unlink(missing_ok=True)
        before = (f"the previous checkpoint {path} is intact" if path.exists()
                  else "nothing was written (there was no checkpoint before)")
        raise OSError(err.errno, f"could not save the checkpoint {path}: {err.strerror or err}; {before}. Free "
                                 "some space (or choose another folder) and save again") from err
    except BaseException:
        for tmp in tmps:
            tmp.unlink(missing_ok=True)
        raise
    # The checkpoint is renamed first, then its checksum: the two renames are microseconds apart, and a
    # crash between them shows up as a checksum mismatch (refused), never as a silently wrong state.
    os.replace(tmps[0], path)
    os.replace(tmps[1], sidecar(path))
