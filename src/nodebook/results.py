"""Results files: what a run measured, with where, when and from which commit.

``python -m nodebook reproduce <chapter> --mode full`` writes ``results/<chapter>.json``; a quick run
writes ``results/<chapter>.quick.json`` (not committed). Chapters read the committed full-mode file and
show it beside their own quick-mode numbers, labelled with its device and date.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import math
import os
import platform
import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._provenance import REPRODUCE, missing_note, provenance, run_facts, run_line  # noqa: F401 (re-exported)
from .checkpoint import atomic_write_bytes

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
# Where a non-editable install keeps its copy of chapters/ and results/ (setup.py puts them there).
_PACKAGED = Path(__file__).resolve().parent / "_book"


def repo_root() -> Path:
    """The book's checkout (where ``_toc.yml`` is), else the copy of the chapters and results installed with
    the package (``pip install .`` / ``pip install git+...``).

    Raises:
        FileNotFoundError: neither exists (says where it looked and what to do).
    """
    for candidate in (_PACKAGE_ROOT, Path.cwd(), *Path.cwd().parents):
        if (candidate / "_toc.yml").exists():
            return candidate
    if (_PACKAGED / "chapters").is_dir():
        return _PACKAGED
    raise FileNotFoundError(
        f"expected the book's files: a clone (a folder with _toc.yml) at or above {Path.cwd()}, or the chapters "
        f"installed with the package in {_PACKAGED}; got neither. Run from a clone of the book's repository, or "
        "install the package from it with `pip install .` (not `pip install -e .` from a partial copy)")


def results_dir() -> Path:
    """``NODEBOOK_RESULTS`` if set (a throw-away folder for tests), else the checkout's ``results/``."""
    return Path(os.environ["NODEBOOK_RESULTS"]) if os.environ.get("NODEBOOK_RESULTS") else repo_root() / "results"


def git_commit() -> str:
    """The checkout's commit (with ``-dirty`` if tracked files changed), or ``"unknown"``."""
    try:
        root = repo_root()
        sha = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        # Results files themselves don't make a run's code dirty (a re-run rewrites them).
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!results"],
                               cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()
        return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def device_name(device: torch.device | str) -> str:
    dev = torch.device(device)
    if dev.type == "cuda" and torch.cuda.is_available():
        return torch.cuda.get_device_name(dev)
    return f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"


def to_jsonable(x: Any) -> Any:
    """Tensors, NumPy values and tuples turned into plain JSON types; NaN/inf become None."""
    if isinstance(x, torch.Tensor):
        return to_jsonable(x.detach().cpu().tolist())
    if hasattr(x, "tolist") and not isinstance(x, (str, bytes)):
        return to_jsonable(x.tolist())
    if isinstance(x, dict):
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [to_jsonable(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, (str, int, float, bool)) or x is None:
        return x
    return str(x)


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")


def result_path(chapter: str, mode: str, directory: Path | None = None, variant: str | None = None) -> Path:
    """``ch4.json`` (full), ``ch4.quick.json``; a ``variant`` (a run with changed budget) adds ``.<variant>``.

    Raises:
        ValueError: ``chapter``, ``mode`` or ``variant`` is not a plain name (letters, digits, ``_``, ``-``),
            so a results file can never land outside the results folder (``"../x"`` is refused).
    """
    for what, name in (("chapter", chapter), ("mode", mode), ("variant", variant)):
        if name is not None and (not isinstance(name, str) or not _NAME.fullmatch(name)):
            raise ValueError(f"{what} must be a plain name of letters, digits, '_' and '-' (e.g. 'ch4'); got {name!r}")
    base = Path(directory) if directory is not None else results_dir()
    stem = chapter if mode == "full" else f"{chapter}.{mode}"
    return base / (f"{stem}.{variant}.json" if variant else f"{stem}.json")


def _save_arrays(path: Path, arrays: dict) -> dict:
    """``arrays`` to ``path`` (compressed ``.npz``, atomically); return ``{"file", "sha256", "bytes"}``."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{k: np.asarray(v) for k, v in arrays.items()})
    data = buffer.getvalue()
    atomic_write_bytes(path, data)
    return {"file": path.name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def load_arrays(record: dict, directory: Path | None = None) -> dict[str, np.ndarray] | None:
    """The arrays saved beside a record (``None`` if it has none), after checking their sha256.

    Raises:
        ValueError: the file is missing or its checksum differs from the one in the record.
    """
    meta = record.get("arrays")
    if not meta:
        return None
    path = (Path(directory) if directory is not None else results_dir()) / meta["file"]
    if not path.exists():
        raise ValueError(f"{path} is missing; the record (from commit {record.get('git_commit', '?')}) needs it")
    data = path.read_bytes()
    got = hashlib.sha256(data).hexdigest()
    if got != meta["sha256"]:
        raise ValueError(f"{path}: sha256 expected {meta['sha256']} (from the record), got {got}")
    with np.load(io.BytesIO(data)) as npz:
        return {k: npz[k] for k in npz.files}


def save_results(chapter: str, metrics: dict, *, mode: str, device: torch.device | str, wall_time_s: float,
                 directory: Path | None = None, variant: str | None = None, overrides: dict | None = None,
                 arrays: dict | None = None, extra: dict | None = None, path: Path | None = None) -> Path:
    """Write ``metrics`` with the run's metadata, atomically; an older file is kept as ``.prev.json``.

    ``arrays`` (name → array, what a chapter's figures draw) go to ``<same stem>.npz`` beside it; the record
    keeps the file's name and sha256 under ``"arrays"`` (read them with :func:`load_arrays`). ``extra``:
    more top-level entries (threads, processes, seed); ``path``: write there instead (a seed's partial).

    Returns:
        The path written.
    """
    if not isinstance(metrics, dict):
        raise TypeError(f"metrics must be a dict; got {type(metrics).__name__}")
    path = Path(path) if path is not None else result_path(chapter, mode, directory, variant)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "chapter": chapter,
        "mode": mode,
        "device": str(device),
        "device_name": device_name(device),
        "torch": torch.__version__,
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "wall_time_s": round(float(wall_time_s), 2),
        "git_commit": git_commit(),
        **({"budget_overrides": to_jsonable(overrides)} if overrides else {}),
        **({"arrays": _save_arrays(path.with_suffix(".npz"), arrays)} if arrays else {}),
        **to_jsonable(extra or {}),
        "metrics": to_jsonable(metrics),
    }
    return write_record(path, record)


def write_record(path: Path, record: dict) -> Path:
    """``record`` as JSON to ``path`` atomically; an older file is kept as ``.prev.json``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(record, fh, indent=1, sort_keys=False)
        fh.write("\n")
    if path.exists():
        os.replace(path, path.with_name(path.name.replace(".json", ".prev.json")))
    os.replace(tmp, path)
    return path


def load_results(chapter: str, mode: str = "full", directory: Path | None = None) -> dict | None:
    """The saved record for ``chapter`` (``None`` when there is none yet).

    Raises:
        ValueError: the file exists but is not a results record (names the file).
    """
    path = result_path(chapter, mode, directory)
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not valid JSON ({err}); delete it or re-run the reproduce command") from err
    if not isinstance(record, dict):
        raise ValueError(f"{path} is not a nodebook results file: expected a JSON object with metrics, device and "
                         f"date; got a JSON {type(record).__name__}")
    missing = {"metrics", "device", "date"} - set(record)
    if missing:
        raise ValueError(f"{path} is not a nodebook results file: missing {', '.join(sorted(missing))}")
    return record


# ---------------------------------------------------------------------------------------------- readers
def reference_results(directory: Path | None = None) -> dict[str, dict | None]:
    """Every chapter's committed reference record (``None`` where there is none), in chapter order."""
    from .config import CHAPTERS

    return {key: load_results(key, "full", directory) for key in CHAPTERS}
