"""A machine without Chromium: `make pdf` says the PDF was skipped, leaves no stale PDF behind, and the
pages do not link to a file that is not there."""

import subprocess
from pathlib import Path

import pytest

from nodebook import book
from nodebook_build import pdf


def _site(tmp_path: Path) -> Path:
    (tmp_path / "_toc.yml").write_text("root: index\n")
    (tmp_path / "_config.yml").write_text("title: t\n")
    html = tmp_path / "_build" / "html"
    html.mkdir(parents=True)
    return html


def test_without_chromium_the_pdf_is_skipped_plainly_and_a_stale_one_removed(tmp_path, monkeypatch, capsys):
    html = _site(tmp_path)
    (html / "nodebook-student.pdf").write_bytes(b"%PDF-1.4 an earlier build")
    monkeypatch.setattr(pdf, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.delenv("CI", raising=False)
    assert not pdf.will_print()
    assert pdf.main(["--html", str(html)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("PDF skipped:") and "wrote" not in out and "nodebook-student.pdf" not in out
    assert not (html / "nodebook-student.pdf").exists()


def test_under_ci_a_missing_chromium_is_not_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(pdf, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setenv("CI", "true")
    assert pdf.will_print()


@pytest.mark.parametrize("printed", [True, False])
def test_make_book_prints_the_pdf_path_only_when_the_file_exists(tmp_path, printed):
    """The `book` target's summary: the PDF's path when it was printed, 'skipped' otherwise."""
    makefile = (book.repo_root() / "Makefile").read_text()
    recipe = makefile.split("\nbook:", 1)[1].split("\n\n", 1)[0]
    lines = [ln.strip().lstrip("@") for ln in recipe.splitlines()[1:]]
    script = "\n".join(lines).replace("\\\n", " ").replace("$(BUILD)", "_build").replace("$(CURDIR)", str(tmp_path))
    (tmp_path / "_build" / "html").mkdir(parents=True)
    if printed:
        (tmp_path / "_build" / "html" / "nodebook-student.pdf").write_bytes(b"%PDF")
    out = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert ("nodebook-student.pdf" in out) == printed
    assert ("PDF: skipped" in out) == (not printed)


@pytest.mark.parametrize("printed", [True, False])
def test_landing_page_links_the_pdf_only_when_it_will_be_printed(tmp_path, printed):
    import importlib.util
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location("nodebook_course", book.repo_root() / "book/_ext/nodebook_course.py")
    ext = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ext)
    (tmp_path / "chapters").mkdir()
    env = SimpleNamespace(docname="index", srcdir=str(tmp_path), config=SimpleNamespace(nodebook_pdf=printed))
    directive = object.__new__(ext.DownloadsDirective)
    directive.state = SimpleNamespace(document=SimpleNamespace(settings=SimpleNamespace(env=env)))
    raw = directive.run()[0].astext()
    assert ('href="nodebook-student.pdf"' in raw) == printed
    assert ("not printed with this build" in raw) == (not printed)
