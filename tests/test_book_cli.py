"""The book's tooling from the command line, `python -m nodebook_build notebooks|pdf` (what `make lab-notebooks`
and `make pdf` run): every user, data or OS error is one clean line and a non-zero exit, never a traceback.
These were `python -m nodebook notebooks|pdf` while the tooling shipped in the package (issue 21, issue 25)."""

import subprocess
import sys

import pytest
from _cli import fails_in_one_line

from nodebook import results
from nodebook_build import __main__ as cli

ROOT = results.repo_root()


def _fails(argv, capsys, code=None):
    return fails_in_one_line(cli.main, argv, capsys, code)


def test_an_unwritable_notebooks_folder_is_one_line_naming_the_option(monkeypatch, tmp_path, capsys):
    import errno
    from pathlib import Path

    real_mkdir = Path.mkdir
    denied = tmp_path / "denied"

    def mkdir(self, *args, **kwargs):
        if str(self).startswith(str(denied)):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    err = _fails(["notebooks", "--out", str(denied / "nb")], capsys, code=1)
    assert err.startswith("python -m nodebook_build notebooks: error: PermissionError: ")
    assert f"cannot write the notebooks to {denied / 'nb'}: Permission denied" in err
    assert "expected a folder that can be created and written to (choose another with --out)" in err


def test_notebooks_outside_the_repository_without_a_bibliography(monkeypatch, tmp_path, capsys):
    """A root with chapters but no book/references.bib (as the chapters installed with the package are):
    citations stay unlinked keys."""
    import shutil
    import warnings

    import nbformat

    root = tmp_path / "installed"
    (root / "chapters").mkdir(parents=True)
    chapter = results.repo_root() / "chapters" / "01_odes_and_solvers.md"
    shutil.copy(chapter, root / "chapters")
    monkeypatch.setattr(results, "repo_root", lambda: root)
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert cli.main(["notebooks", "--out", str(tmp_path / "out")]) == 0
    assert any("references.bib not found: citations in the notebooks are left as their keys" in str(w.message)
               for w in caught)
    nb = nbformat.read(tmp_path / "out" / "student" / "01_odes_and_solvers.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells)
    assert "{cite}" not in text and "(the bibliography file was not available)" in text


def test_pdf_with_a_folder_that_is_not_the_built_site_is_one_line(tmp_path, capsys):
    err = _fails(["pdf", "--html", str(tmp_path)], capsys, code=2)
    assert err.startswith("python -m nodebook_build pdf: error: --html: expected the built site at <book>/_build/html")


@pytest.mark.parametrize("argv", [[], ["slides"]])
def test_no_or_an_unknown_command_is_one_line_naming_the_commands(argv, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("python -m nodebook_build: error: expected a command, one of notebooks, pdf; got ")
    assert len(err.strip().splitlines()) == 1


def test_the_makefile_runs_the_tooling_from_book_tools_without_importing_torch(tmp_path):
    """`make pdf` and `make lab-notebooks` run `python -m nodebook_build` with book/_tools on PYTHONPATH (the
    tooling is not installed); the PDF step, as before, imports no torch."""
    makefile = (ROOT / "Makefile").read_text()
    assert 'BOOK_TOOLS := PYTHONPATH="$(CURDIR)/book/_tools' in makefile
    assert "\t$(BOOK_TOOLS) pdf --html $(BUILD)/html\n" in makefile
    assert "\t@$(BOOK_TOOLS) notebooks --out $(BUILD)/notebooks\n" in makefile
    code = ("import runpy, sys; sys.argv = ['nodebook_build', 'pdf', '--html', sys.argv[1]]\n"
            "try:\n    runpy.run_module('nodebook_build', run_name='__main__')\nexcept SystemExit as e:\n"
            "    print('exit', e.code, 'torch' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT / "book" / "_tools"), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "exit 2 False", done.stdout + done.stderr
    assert "expected the built site" in done.stderr



def test_the_package_never_imports_the_book_tooling():
    """The wheel has no nodebook_build (tests/test_install.py lists it): a module of the package that imported
    it (or the old nodebook.booktools) would fail for every learner who installed the package."""
    import ast

    found = []
    for path in sorted((ROOT / "src" / "nodebook").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            names += [f"{node.module}.{a.name}" for a in node.names] if isinstance(node, ast.ImportFrom) else []
            found += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names
                      if n.split(".")[0] == "nodebook_build" or "booktools" in n.split(".")]
    assert not found, found
    assert not (ROOT / "src" / "nodebook" / "booktools").exists()
