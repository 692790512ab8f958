"""One non-editable install of the package into a fresh venv, shared by the tests that need it.

The repository's files (tracked and new, as `git ls-files` lists them) are copied to a temporary folder, as a
fork would have them, and installed with `uv pip install .` into a fresh venv: offline, from uv's cache and
the local find-links (where the torch CPU wheel lies), exactly as the Makefile passes them, so no network is
needed and the wheels are hard-linked from the cache (about a minute on the 2-core machine). Used through the
session fixture `non_editable_install` (tests/conftest.py): the install is made once per test run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from nodebook.results import repo_root

ROOT = repo_root()


def _uv() -> str | None:
    return shutil.which("uv") or next((str(p) for p in [Path(sys.executable).parent / "uv"] if p.exists()), None)


def _find_links() -> list[str]:
    """pip's find-links (the Makefile's PIP_FIND_LINKS_CFG): uv does not read pip's configuration."""
    links = os.environ.get("PIP_FIND_LINKS", "").split()
    got = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.find-links"],
                         capture_output=True, text=True)
    links += got.stdout.split() if got.returncode == 0 else []
    return [a for link in links for a in ("--find-links", link)]


def _copy_repository(dest: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split("\n")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file() and not name.startswith(".venv"):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def install(tmp: Path) -> SimpleNamespace:
    """``venv`` (the fresh venv), ``fork`` (the copied repository) and ``env`` (no PYTHONPATH, no
    VIRTUAL_ENV); skips the calling tests when there is no repository, no uv, or no cached wheel offline."""
    if not (ROOT / ".git").exists():
        pytest.skip("needs the repository (git ls-files) to copy")
    uv = _uv()
    if uv is None:
        pytest.skip("uv is not installed (it is in the shared venv after `make venv`)")
    fork = _copy_repository(tmp / "fork")
    venv = tmp / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([uv, "venv", "-q", "-p", sys.executable, str(venv)], check=True, env=env)
    done = subprocess.run([uv, "pip", "install", "-q", "--offline", "--link-mode", "hardlink", *_find_links(), "."],
                          cwd=fork, env={**env, "VIRTUAL_ENV": str(venv)}, capture_output=True, text=True)
    if done.returncode and "offline" in done.stderr.lower() and "not found in the cache" in done.stderr:
        pytest.skip(f"uv's cache lacks a pinned wheel and there is no network: {done.stderr[-300:]}")
    assert done.returncode == 0, done.stderr[-2000:]
    return SimpleNamespace(venv=venv, fork=fork, env=env)
