"""Packaging hook: the chapters' sources and the committed results travel with the package.

``pip install .`` (or ``pip install git+<repository>`` from a launched notebook) copies ``chapters/*.md``
and ``results/*.json`` into ``nodebook/_book/``, where ``nodebook.results.repo_root()`` finds them when
there is no clone around (Colab, Binder). Editable installs read the clone itself. Everything else about
the package is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
# (folder, pattern, file names to leave out): quick/custom runs and backups are not the reference runs.
BOOK_DATA = [("chapters", "*.md", ()), ("results", "*.json", (".quick.", ".prev.", ".custom.")),
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
