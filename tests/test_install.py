"""A normal (non-editable) install runs a chapter: what a launched notebook's install cell or a student's
`pip install .` gives, tested the way a student meets it.

The install is the session's `non_editable_install` (tests/_install.py: a copy of the repository as a fork
has it, `uv pip install .` offline into a fresh venv). Then Chapter 1's student notebook (solutions left
out, glue placeholders: no book build needed) runs top to bottom with that venv's kernel in an empty folder,
with no PYTHONPATH, so nothing of the clone can help. The chapter's last cell reads the assignment pages: a
package that leaves them out fails here.

The same install's file list (its wheel's RECORD) is checked: the learner's package and the data its chapters
read, and neither the book's build tooling (book/_tools, book/_ext) nor answer keys (the hidden checks in
book/assignments/_autograder, the reference solutions in tests/grading).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from nodebook.config import CHAPTERS
from nodebook.results import repo_root

pytestmark = pytest.mark.slow

ROOT = repo_root()
CHAPTER = "01_odes_and_solvers"


RUN = textwrap.dedent("""
    import sys, nbformat, nbclient, nodebook
    assert "site-packages" in nodebook.__file__, nodebook.__file__
    nb = nbformat.read(sys.argv[1], as_version=4)
    nbclient.NotebookClient(nb, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": sys.argv[2]}}).execute()
    print("ran", len(nb.cells), "cells with", nodebook.__file__)
""")


@pytest.mark.timeout(900)
def test_non_editable_install_runs_a_student_notebook(tmp_path, non_editable_install):
    from nodebook_build import write_notebooks

    fork, venv, env = non_editable_install.fork, non_editable_install.venv, non_editable_install.env
    written = write_notebooks(tmp_path / "nb", fork, cache_path=tmp_path / "no-cache",
                              sources=[fork / "chapters" / f"{CHAPTER}.md"])
    student = written.student[0]
    empty = tmp_path / "empty"
    empty.mkdir()
    ran = subprocess.run([str(venv / "bin" / "python"), "-c", RUN, str(student), str(empty)], cwd=empty,
                         env={**env, "NODEBOOK_MODE": "quick", "PATH": f"{venv / 'bin'}:{env.get('PATH', '')}"},
                         capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, (ran.stdout + ran.stderr)[-3000:]
    assert str(venv) in ran.stdout


# Folders of the repository whose files must never be in the wheel: the book's build tooling (notebooks,
# slides, PDF, Sphinx extensions, assignment and grading scripts) and the answer keys (hidden checks,
# reference solutions, the wrong-answer corpus).
NOT_IN_THE_WHEEL = ("book/_tools", "book/_ext", "book/assignments/_autograder", "tests")
# Names that mark the same things under any other path.
FORBIDDEN_NAMES = ("booktools", "nodebook_build", "_autograder", "hidden", "solutions_ch", "corpus.py", "/tests/")
NOT_REFERENCE = (".quick.", ".prev.", ".custom.")  # results that are not the committed reference runs


def _sha(data: bytes) -> str:
    """A file's hash as a wheel's RECORD writes it (urlsafe base64 of the sha256, no padding)."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def wheel_files(venv: Path) -> dict[str, str]:
    """``{path in site-packages: sha256}`` of the installed wheel, from its ``nodebook-*.dist-info/RECORD``."""
    records = sorted(venv.glob("lib/python*/site-packages/nodebook-*.dist-info/RECORD"))
    assert len(records) == 1, f"expected one nodebook dist-info in {venv}; got {records}"
    return {row[0]: row[1].removeprefix("sha256=") for row in csv.reader(records[0].read_text().splitlines()) if row}


def chapter_data(root: Path) -> list[str]:
    """The files the chapters read from the book, relative to it: the chapters' sources, the assignment pages,
    the committed reference runs and every arrays file a run's record names (checksummed beside it)."""
    needed = [p.relative_to(root).as_posix() for pattern in ("chapters/*.md", "book/assignments/ch*.md")
              for p in sorted(root.glob(pattern))]
    for path in sorted((root / "results").glob("*.json")):
        if any(s in path.name for s in NOT_REFERENCE):
            continue
        needed.append(f"results/{path.name}")
        record = json.loads(path.read_text())
        if isinstance(record, dict) and isinstance(record.get("arrays"), dict):
            needed.append(f"results/{record['arrays']['file']}")
    return needed


def wheel_problems(files: dict[str, str], root: Path) -> list[str]:
    """What is wrong with a wheel's file list ``files`` (:func:`wheel_files`) built from the repository ``root``."""
    problems = []
    for name in files:
        if any(mark in f"/{name}" for mark in FORBIDDEN_NAMES):
            problems.append(f"{name}: build tooling or an answer key")
    hashes = {h: name for name, h in files.items()}
    for folder in NOT_IN_THE_WHEEL:
        for src in sorted((root / folder).rglob("*")):
            data = src.read_bytes() if src.is_file() and "__pycache__" not in src.parts else b""
            if data and _sha(data) in hashes:  # the same file under another name
                problems.append(f"{hashes[_sha(data)]}: a copy of {src.relative_to(root)}")
    for src in sorted((root / "src" / "nodebook").rglob("*.py")):
        name = src.relative_to(root / "src").as_posix()
        if files.get(name) != _sha(src.read_bytes()):
            problems.append(f"{name}: the package's module is missing or differs")
    for rel in chapter_data(root):
        name = f"nodebook/_book/{rel}"
        if files.get(name) != _sha((root / rel).read_bytes()):
            problems.append(f"{name}: a file the chapters read is missing or differs from {rel}")
    return problems


LOAD_REFERENCE_RUNS = textwrap.dedent("""
    import nodebook
    from nodebook import config, results
    assert "site-packages" in nodebook.__file__, nodebook.__file__
    for key in config.CHAPTERS:
        record = results.load_results(key)
        arrays = results.load_arrays(record) if record is not None else None
        print(key, record is not None, sorted(arrays or {})[:1])
""")


@pytest.mark.timeout(900)
def test_the_wheel_holds_the_learners_package_and_its_data_only(tmp_path, non_editable_install):
    """Issue 25: `pip install .` carries what a learner imports and the data the chapters read, and no build
    tooling or answer key; each chapter's committed reference run (and the arrays it names) loads from it."""
    fork, venv, env = non_editable_install.fork, non_editable_install.venv, non_editable_install.env
    files = wheel_files(venv)
    assert "nodebook/__init__.py" in files and "nodebook/_book/chapters/01_odes_and_solvers.md" in files
    problems = wheel_problems(files, fork)
    assert not problems, "\n".join(problems)
    empty = tmp_path / "empty"
    empty.mkdir()
    ran = subprocess.run([str(venv / "bin" / "python"), "-c", LOAD_REFERENCE_RUNS], cwd=empty, env=env,
                         capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0, (ran.stdout + ran.stderr)[-3000:]
    assert [line.split()[0] for line in ran.stdout.splitlines()] == list(CHAPTERS)
