"""A normal (non-editable) install runs a chapter: what a launched notebook's install cell or a student's
`pip install .` gives, tested the way a student meets it.

The install is the session's `non_editable_install` (tests/_install.py: a copy of the repository as a fork
has it, `uv pip install .` offline into a fresh venv). Then Chapter 1's student notebook (solutions left
out, glue placeholders: no book build needed) runs top to bottom with that venv's kernel in an empty folder,
with no PYTHONPATH, so nothing of the clone can help. The chapter's last cell reads the assignment pages: a
package that leaves them out fails here.
"""

from __future__ import annotations

import subprocess
import textwrap

import pytest

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
    from nodebook.booktools import write_notebooks

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
