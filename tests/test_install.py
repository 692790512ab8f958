"""A normal (non-editable) install runs a chapter: what a launched notebook's install cell or a student's
`pip install .` gives, tested the way a student meets it.

The repository's files (tracked and new, as `git ls-files` lists them) are copied to a temporary folder, as
a fork would have them, and installed with `uv pip install .` into a fresh venv: offline, from uv's cache
and the local find-links (where the torch CPU wheel lies), exactly as the Makefile passes them, so no
network is needed and the wheels are hard-linked from the cache (about a minute on the 2-core machine).
Then Chapter 1's student notebook (solutions left out, glue placeholders: no book build needed) runs
top to bottom with that venv's kernel in an empty folder, with no PYTHONPATH, so nothing of the clone can
help. The chapter's last cell reads the assignment pages: a package that leaves them out fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nodebook.results import repo_root

pytestmark = pytest.mark.slow

ROOT = repo_root()
CHAPTER = "01_odes_and_solvers"


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


RUN = textwrap.dedent("""
    import sys, nbformat, nbclient, nodebook
    assert "site-packages" in nodebook.__file__, nodebook.__file__
    nb = nbformat.read(sys.argv[1], as_version=4)
    nbclient.NotebookClient(nb, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": sys.argv[2]}}).execute()
    print("ran", len(nb.cells), "cells with", nodebook.__file__)
""")


@pytest.mark.timeout(900)
def test_non_editable_install_runs_a_student_notebook(tmp_path):
    if not (ROOT / ".git").exists():
        pytest.skip("needs the repository (git ls-files) to copy")
    uv = _uv()
    if uv is None:
        pytest.skip("uv is not installed (it is in the shared venv after `make venv`)")
    from nodebook.booktools import write_notebooks

    fork = _copy_repository(tmp_path / "fork")
    written = write_notebooks(tmp_path / "nb", fork, cache_path=tmp_path / "no-cache",
                              sources=[fork / "chapters" / f"{CHAPTER}.md"])
    student = written.student[0]
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([uv, "venv", "-q", "-p", sys.executable, str(venv)], check=True, env=env)
    install = subprocess.run([uv, "pip", "install", "-q", "--offline", "--link-mode", "hardlink", *_find_links(),
                              "."], cwd=fork, env={**env, "VIRTUAL_ENV": str(venv)}, capture_output=True, text=True)
    if install.returncode and "offline" in install.stderr.lower() and "not found in the cache" in install.stderr:
        pytest.skip(f"uv's cache lacks a pinned wheel and there is no network: {install.stderr[-300:]}")
    assert install.returncode == 0, install.stderr[-2000:]
    empty = tmp_path / "empty"
    empty.mkdir()
    ran = subprocess.run([str(venv / "bin" / "python"), "-c", RUN, str(student), str(empty)], cwd=empty,
                         env={**env, "NODEBOOK_MODE": "quick", "PATH": f"{venv / 'bin'}:{env.get('PATH', '')}"},
                         capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, (ran.stdout + ran.stderr)[-3000:]
    assert str(venv) in ran.stdout
