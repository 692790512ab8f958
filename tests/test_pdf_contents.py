"""The printed book's contents carry page numbers, and a chapter's first page is not left mostly blank.

Chromium cannot number the contents itself (no CSS target-counter): ``write_pdf`` prints, reads the page
each section landed on, writes the numbers into the contents and prints again, until nothing moves.
"""

import re
import sys
from pathlib import Path

import pytest
from _pdf_reading import contents_entries, ink_fill

from nodebook_build import pdf
from nodebook_build.pdf_pages import destination_pages

pypdf = pytest.importorskip("pypdf")
HEAD = '<head><meta charset="utf-8"><link rel="stylesheet" href="../_static/theme.css"></head>'
# the theme keeps these whole (pydata-sphinx-theme: .admonition, div.highlight { break-inside: avoid })
THEME_CSS = ".admonition, div.highlight { break-inside: avoid; border: 1px solid #888; padding: 4px; }"


def _site(root: Path, pages: dict[str, str]) -> list[str]:
    (root / "_static").mkdir(parents=True, exist_ok=True)
    (root / "_static" / "theme.css").write_text(THEME_CSS)
    for docname, body in pages.items():
        (root / docname).parent.mkdir(parents=True, exist_ok=True)
        (root / f"{docname}.html").write_text(
            f'<html>{HEAD}<body><article class="bd-article">{body}</article></body></html>')
    return list(pages)


def _entries(page: str) -> list[tuple[str, str]]:
    """(link target, printed number) of each contents entry of a combined document."""
    return re.findall(r'<li><a href="#([^"]+)">.*?<span class="nodebook-toc-page">([^<]*)</span></a></li>', page)


def test_combine_writes_each_sections_page_number_into_its_contents_entry(tmp_path):
    docs = _site(tmp_path, {"book/index": "<h1>Home</h1>", "chapters/c1": "<h1>One</h1>",
                            "chapters/c2": "<h1>Two</h1>"})
    blank = pdf.combine(tmp_path, docs, title="Book")
    assert _entries(blank) == [("book-index", ""), ("chapters-c1", ""), ("chapters-c2", "")]  # room left, empty
    numbered = pdf.combine(tmp_path, docs, title="Book", pages={"book-index": 2, "chapters-c1": 4, "chapters-c2": 11})
    assert _entries(numbered) == [("book-index", "2"), ("chapters-c1", "4"), ("chapters-c2", "11")]
    assert re.sub(r'toc-page">\d*<', "", numbered) == re.sub(r'toc-page">\d*<', "", blank)  # nothing else differs
    with pytest.raises(ValueError, match=r"expected a page number for every section; none for \['chapters-c2'\]"):
        pdf.combine(tmp_path, docs, title="Book", pages={"book-index": 2, "chapters-c1": 4})


def _pdf_with_destinations(path: Path, n_pages: int, dests: dict[str, int]) -> Path:
    """A PDF of blank A4 pages with a named destination per section (``dests``: id -> 1-based page)."""
    writer = pypdf.PdfWriter()
    for _ in range(n_pages):
        writer.add_blank_page(595, 842)
    for name, page in dests.items():
        writer.add_named_destination(name, page - 1)
    with open(path, "wb") as f:
        writer.write(f)
    return path


def test_destination_pages_are_counted_from_one_with_the_cover(tmp_path):
    out = _pdf_with_destinations(tmp_path / "b.pdf", 6, {"book-index": 2, "chapters-c1": 5})
    assert destination_pages(out, ["book-index", "chapters-c1"]) == {"book-index": 2, "chapters-c1": 5}
    with pytest.raises(ValueError, match=r"expected a link destination for every contents entry; none for \['c9'\]"):
        destination_pages(out, ["book-index", "c9"])


def _fake_printer(moves: int):
    """A stand-in for Chromium: each section takes two pages after a one-page cover; the first ``moves``
    prints with page numbers in the contents push every section one page further (a cover that grew)."""
    calls = []

    class _Printer:
        def __init__(self, chromium=None):
            pass

        def __enter__(self):
            def print_to(page, out):
                ids, numbered = zip(*_entries(Path(page).read_text()), strict=True)
                calls.append(sum(1 for n in numbered if n))
                shift = min(moves, sum(1 for c in calls if c)) if calls[-1] else 0
                _pdf_with_destinations(Path(out), 1 + shift + 2 * len(ids),
                                       {i: 2 + shift + 2 * k for k, i in enumerate(ids)})
                return []
            return print_to

        def __exit__(self, *exc):
            return False

    return _Printer, calls


@pytest.mark.parametrize("moves, prints", [(0, 2), (1, 3)])
def test_write_pdf_prints_again_until_the_contents_numbers_hold(tmp_path, monkeypatch, moves, prints):
    docs = _site(tmp_path, {"book/index": "<h1>Home</h1>", "chapters/c1": "<h1>One</h1>"})
    fake, calls = _fake_printer(moves)
    monkeypatch.setattr(pdf, "printer", fake)
    stats = pdf.write_pdf(tmp_path, tmp_path / "b.pdf", docs, title="Book")
    assert stats["prints"] == prints == len(calls) and calls[0] == 0  # the first print has no numbers yet
    assert stats["contents"] == {"book-index": 2 + moves, "chapters-c1": 4 + moves}
    assert _entries((tmp_path / pdf.PRINT_HTML).read_text()) == [("book-index", str(2 + moves)),
                                                                  ("chapters-c1", str(4 + moves))]


def test_write_pdf_fails_when_numbering_keeps_moving_the_sections(tmp_path, monkeypatch):
    docs = _site(tmp_path, {"book/index": "<h1>Home</h1>", "chapters/c1": "<h1>One</h1>"})
    fake, calls = _fake_printer(moves=5)
    monkeypatch.setattr(pdf, "printer", fake)
    with pytest.raises(RuntimeError, match="numbering the contents moved sections again"):
        pdf.write_pdf(tmp_path, tmp_path / "b.pdf", docs, title="Book")
    assert len(calls) == 3


def test_without_pypdf_the_pdf_fails_plainly_before_printing(tmp_path, monkeypatch, capsys):
    (tmp_path / "_toc.yml").write_text("root: index\n")
    (tmp_path / "_config.yml").write_text("title: t\n")
    html = tmp_path / "_build" / "html"
    html.mkdir(parents=True)
    monkeypatch.setitem(sys.modules, "pypdf", None)  # import pypdf raises ImportError
    monkeypatch.setattr(pdf, "CHROMIUM", sys.executable)  # "installed": the PDF would be printed
    monkeypatch.setattr(pdf, "printer", lambda *a, **k: pytest.fail("printed without pypdf"))
    with pytest.raises(SystemExit) as exit_:
        pdf.main(["--html", str(html)])
    err = capsys.readouterr().err
    assert exit_.value.code == 1 and len(err.strip().splitlines()) == 1
    assert "error: the PDF's contents need pypdf" in err and "pip install pypdf==7.1.0" in err
    with pytest.raises(ModuleNotFoundError, match="pypdf"):
        pdf.write_pdf(html, tmp_path / "b.pdf", ["index"], title="t")


# ---------------------------------------------------------------------------- printed by Chromium
PARAGRAPH = "<p>" + "A sentence of ordinary prose that fills the line. " * 12 + "</p>"
BOX = ('<div class="tip admonition"><p class="admonition-title">In this chapter</p><ul style="line-height: 30px">'
       + "<li>an objective</li>" * 30 + "</ul></div>")  # about 900 px: 95% of a printed page, kept whole


@pytest.mark.slow
def test_printed_contents_show_the_pages_their_links_land_on(tmp_path):
    if not Path(pdf.CHROMIUM).exists():
        pytest.skip(f"no Chromium at {pdf.CHROMIUM}")
    docs = _site(tmp_path, {
        "book/index": "<h1>Home</h1>" + PARAGRAPH * 9,  # two pages or more
        "chapters/c1": "<h1>1. One</h1>" + PARAGRAPH + BOX + PARAGRAPH * 12,
        "chapters/c2": "<h1>2. Two</h1>" + PARAGRAPH,
    })
    stats = pdf.write_pdf(tmp_path, tmp_path / "b.pdf", docs, title="Book")
    reader = pypdf.PdfReader(str(tmp_path / "b.pdf"))
    entries = contents_entries(reader)
    assert [d for d, _, _ in entries] == ["book-index", "chapters-c1", "chapters-c2"]
    assert [(d, str(target)) for d, target, _ in entries] == [(d, printed) for d, _, printed in entries]
    assert stats["contents"]["chapters-c2"] - stats["contents"]["chapters-c1"] >= 2  # the numbers are not 1, 2, 3
    # Chapter 1's first page holds its title, a paragraph and the tall box, not the title and a paragraph
    # with the box pushed to the next page (the theme keeps admonitions whole)
    first = reader.pages[stats["contents"]["chapters-c1"] - 1]
    assert ink_fill(first) > 0.8, f"Chapter 1's first page is filled only {ink_fill(first):.0%} of the way down"
