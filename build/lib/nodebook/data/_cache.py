"""A verified cache of generated arrays: ``.npz`` plus a sha256 sidecar, both written atomically.

Generated data sets (MNIST-1D, Hopper) are only a cache: a file that fails its checksum, cannot be read,
or holds arrays of the wrong shape is never used as data. :func:`read_npz` then warns (``RuntimeWarning``,
``"<what> cache <path> is corrupt: <why>; regenerating it"``) and returns ``None`` so the caller makes the
data again; :func:`write_npz` stores the new arrays. A cache folder that cannot be written costs the cache,
never the freshly generated data: :func:`write_npz` warns and the caller goes on with its arrays.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..checkpoint import atomic_write_bytes, sidecar
from ..config import cache_dir

Expected = Mapping[str, tuple]  # array name -> shape; a None in a shape means "any size"


def folder(sub: str, *, what: str) -> Path | None:
    """``cache_dir(sub)``, or ``None`` with a warning when it cannot be created (the data is still made)."""
    try:
        return cache_dir(sub)
    except OSError as err:
        warnings.warn(f"{what} cache folder cannot be used ({type(err).__name__}: {err}); generating the data "
                      "without caching it (set NODEBOOK_CACHE to a writable folder)", RuntimeWarning, stacklevel=3)
        return None


def _shape_problem(arrays: Mapping[str, np.ndarray], expected: Expected) -> str | None:
    missing = sorted(set(expected) - set(arrays))
    if missing:
        return f"it has no array {', '.join(missing)} (expected {', '.join(expected)})"
    for name, shape in expected.items():
        got = tuple(arrays[name].shape)
        if len(got) != len(shape) or any(w is not None and w != g for w, g in zip(shape, got, strict=True)):
            want = ", ".join("any" if w is None else str(w) for w in shape) + ("," if len(shape) == 1 else "")
            return f"array {name!r} has shape {got}, expected ({want})"
    return None


def read_npz(path: str | Path, expected: Expected, *, what: str) -> dict[str, np.ndarray] | None:
    """The arrays of a verified cache file, or ``None`` when there is none or it cannot be trusted.

    Args:
        path: the ``.npz`` file; its checksum is ``<path>.sha256`` (``sha256sum`` format).
        expected: the arrays the file must hold and their shapes (``None`` for a free size).
        what: the data set's name for the warning (``"MNIST-1D"``).

    Returns:
        ``{name: array}`` for the names in ``expected``; ``None`` (after a ``RuntimeWarning`` saying why,
        unless the file simply does not exist) when the caller must regenerate.
    """
    path = Path(path)
    if not path.exists():
        return None
    check = sidecar(path)
    try:
        data = path.read_bytes()
        fields = check.read_text(errors="replace").split() if check.exists() else []
    except OSError as err:
        data, fields, problem = b"", [], f"it cannot be read ({err})"
    else:
        problem = None
    got = hashlib.sha256(data).hexdigest()
    arrays = None
    if problem is not None:
        pass
    elif not fields:
        problem = f"its checksum file {check.name} is missing or empty"
    elif fields[0].lower() != got:
        problem = f"sha256 mismatch: expected {fields[0]} (from {check.name}), got {got}"
    else:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in expected if name in npz.files}
            problem = _shape_problem(arrays, expected)
        except Exception as err:  # any unreadable archive means the same thing here
            problem = f"it cannot be read ({type(err).__name__}: {err})"
    if problem is not None:
        warnings.warn(f"{what} cache {path} is corrupt: {problem}; regenerating it", RuntimeWarning, stacklevel=3)
        return None
    return arrays


def write_npz(path: str | Path, arrays: Mapping[str, np.ndarray], *, what: str, compress: bool = False) -> bool:
    """Store ``arrays`` at ``path`` with its sha256 sidecar; ``False`` (and a warning) when it cannot.

    The file is renamed into place first, then its checksum: a crash between the two shows up later as a
    checksum mismatch (regenerated), never as wrong data.
    """
    path = Path(path)
    buffer = io.BytesIO()
    (np.savez_compressed if compress else np.savez)(buffer, **arrays)
    data = buffer.getvalue()
    try:
        atomic_write_bytes(path, data)
        atomic_write_bytes(sidecar(path), f"{hashlib.sha256(data).hexdigest()}  {path.name}\n".encode())
    except OSError as err:
        warnings.warn(f"{what} cache {path} could not be written ({type(err).__name__}: {err}); using the "
                      "freshly generated data without caching it (set NODEBOOK_CACHE to a writable folder)",
                      RuntimeWarning, stacklevel=3)
        return False
    return True
