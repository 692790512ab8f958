"""Packaging hook: the chapters' sources and the committed results travel with the package.

``pip install .`` (or ``pip install git+<repository>`` from a launched notebook) copies ``chapters/*.md``,
the assignment pages and the committed reference runs (``results/*.json`` and the ``.npz`` arrays a record
names, Chapter 5's figures) into ``nodebook/_book/``, where ``nodebook.results.repo_root()`` finds them when
there is no clone around (Colab, Binder). Editable installs read the clone itself. Everything else about
the package is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# (folder, pattern, file names to leave out): quick/custom runs and backups are not the reference runs.
# The book's build tooling (book/_tools, book/_ext) and the hidden tests (book/assignments/_autograder/) stay
# out: tests/test_install.py checks the wheel's file list.
NOT_REFERENCE = (".quick.", ".prev.", ".custom.")
BOOK_DATA = [("chapters", "*.md", ()), ("results", "*.json", NOT_REFERENCE), ("results", "*.npz", NOT_REFERENCE),
             ("book/assignments", "ch*.md", ())]  # the assignment pages (not _autograder/: hidden tests)


class BuildPyWithBook(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "nodebook" / "_book"
        for folder, pattern, skip in BOOK_DATA:
            for src in sorted((HERE / folder).glob(pattern)):
                if not any(s in src.name for s in skip):
                    dst = target / folder / src.name
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(src, dst)


setup(cmdclass={"build_py": BuildPyWithBook})
