"""The whole book as one PDF, student edition: the built pages printed by Chromium, solutions left out.

The pages' articles are put one after another into a single HTML file (``pdf/book.html`` in the site,
so the pages' relative links to ``_static`` and ``_images`` still resolve), with each page's ids made
unique and links between pages turned into links inside the document. Solutions and folded (hidden)
code are removed, not folded. MathJax and plotly.js come from the site's ``_static``; Chromium (the one
the browser test uses) prints the file with no network, and every request outside the site is refused.

The cover's contents give each page's first page number: Chromium cannot compute them (no CSS
``target-counter``), so the book is printed, the numbers are read back from the PDF with pypdf
(:mod:`nodebook_build.pdf_pages`) and the book is printed again with them (:func:`write_pdf`). Boxes the
theme keeps whole are let break when they are taller than a third of a page (:mod:`nodebook_build.pdf_print`).
"""

from __future__ import annotations

import datetime as _dt
import html
import posixpath
import re
import time
from pathlib import Path

from .pdf_pages import destination_pages, page_count, require_pypdf
from .pdf_print import CHROMIUM, print_pdf, printer

__all__ = ["CHROMIUM", "combine", "print_pdf", "section_id", "toc_docnames", "will_print", "write_pdf"]

PRINT_HTML = "pdf/book.html"  # under the site
_PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm; }
body { background: #fff; }
.nodebook-print, .nodebook-print .bd-article-container, .nodebook-print article.bd-article {
  display: block !important; width: 100% !important; max-width: none !important; margin: 0 !important; }
.nodebook-print-page { break-before: page; }
.bd-main .bd-content.nodebook-print h1:first-of-type { display: block !important; }  /* the theme hides it */
.nodebook-print a.headerlink, .nodebook-print .nodebook-chapter-links { display: none !important; }
.nodebook-print-title { text-align: center; margin-top: 8mm; }
.nodebook-print-title h1 { font-size: 2.2em; }
.nodebook-print .cell_output, .nodebook-print figure, .nodebook-print table { break-inside: avoid; }
.nodebook-print .js-plotly-plot, .nodebook-print .plot-container, .nodebook-print .svg-container,
.nodebook-print img, .nodebook-print svg { break-inside: avoid; }
.nodebook-print pre { white-space: pre-wrap; word-break: break-word; }
.nodebook-print-contents { text-align: left; width: 90%; margin: 0 auto; }
.nodebook-print-contents li { margin: .2em 0; }
.nodebook-print-contents a { display: flex; align-items: last baseline; text-decoration: none; }
.nodebook-print-contents .nodebook-toc-leader { flex: 1 1 1em; min-width: 1em; margin: 0 .4em;
  border-bottom: 1px dotted #888; }
.nodebook-print-contents .nodebook-toc-page { flex: none; min-width: 2.5em; text-align: right;
  font-variant-numeric: tabular-nums; color: #000; }
"""


def section_id(docname: str) -> str:
    """The id of a page's section in the combined document (the contents link to it)."""
    return _slug(docname)


def _slug(docname: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", docname)


def _keep_head(head) -> list[str]:
    """Stylesheets, MathJax (config and loader) and plotly.js from a page's ``<head>``; no theme scripts."""
    kept = []
    for el in head.find_all(["link", "script", "meta", "style"]):
        src = el.get("src", "") or ""
        if el.name == "link" and "stylesheet" in (el.get("rel") or []):
            kept.append(str(el))
        elif el.name == "meta" and el.get("charset"):
            kept.append(str(el))
        elif el.name == "script" and ("mathjax" in src or "plotly" in src or "MathJax" in (el.string or "")):
            kept.append(str(el))
    return kept


def _article(page_html: str, docname: str, docnames: set[str], student: bool):
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page_html, "html.parser")
    article = soup.select_one("article.bd-article") or soup.select_one("main") or soup.body
    drop = [".nodebook-chapter-links", "details.hide", "a.headerlink"] + ([".solution"] if student else [])
    for selector in drop:
        for el in article.select(selector):
            el.decompose()
    slug = _slug(docname)
    for el in article.find_all(id=True):
        if "plotly-graph-div" not in (el.get("class") or []):  # the figure's own script looks it up by id
            el["id"] = f"{slug}--{el['id']}"
    for a in article.find_all("a", href=True):
        href = a["href"]
        if href.startswith("#"):
            a["href"] = f"#{slug}--{href[1:]}"
            continue
        if re.match(r"^\w+:", href):
            continue
        path, _, frag = href.partition("#")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(docname), path)).removesuffix(".html")
        if target in docnames:
            a["href"] = f"#{_slug(target)}--{frag}" if frag else f"#{_slug(target)}"
    return soup, article


def combine(html_dir: str | Path, docnames: list[str], *, student: bool = True, title: str = "",
            pages: dict[str, int] | None = None) -> str:
    """One HTML document with the articles of ``docnames`` (site-relative, without ``.html``), in order.

    The cover lists them as contents, each linked to its page's section (``id``: :func:`section_id` of the
    docname); ``pages`` maps those ids to the page numbers printed beside them (right-aligned, after a
    leader). Without ``pages`` the numbers' places are left empty, at the same width.
    """
    html_dir = Path(html_dir)
    if pages is not None and (missing := [section_id(d) for d in docnames if section_id(d) not in pages]):
        raise ValueError(f"combine(pages=...): expected a page number for every section; none for {missing[:5]}")
    names, head, parts, toc = set(docnames), None, [], []
    for docname in docnames:
        page = html_dir / f"{docname}.html"
        if not page.is_file():
            raise FileNotFoundError(f"expected the built page {page}; build the book first (make book)")
        soup, article = _article(page.read_text(), docname, names, student)
        if head is None:
            head = _keep_head(soup.head)
            attrs = " ".join(f'{k}="{html.escape(v if isinstance(v, str) else " ".join(v))}"'
                             for k, v in soup.html.attrs.items())
        elif not any("plotly" in h for h in head) and soup.head.find("script", src=re.compile("plotly")):
            head += [str(soup.head.find("script", src=re.compile("plotly")))]
        h1 = article.find("h1")
        heading = h1.get_text(" ", strip=True).rstrip("#") if h1 else docname
        number = "" if pages is None else str(pages[_slug(docname)])
        toc.append(f'<li><a href="#{_slug(docname)}"><span class="nodebook-toc-title">{html.escape(heading)}</span>'
                   f'<span class="nodebook-toc-leader"></span><span class="nodebook-toc-page">{number}</span></a></li>')
        parts.append(f'<section class="nodebook-print-page" id="{_slug(docname)}">{article.decode_contents()}'
                     "</section>")
    edition = "Student edition: exercise solutions are left out." if student else "Instructor edition."
    cover = (f'<section class="nodebook-print-title"><h1>{html.escape(title)}</h1><p>{edition}</p>'
             f"<p>Printed from the web book on {_dt.date.today().isoformat()}.</p><h2>Contents</h2>"
             f'<ol class="nodebook-print-contents">{"".join(toc)}</ol></section>')
    return (f"<!DOCTYPE html>\n<html {attrs}>\n<head>\n" + "\n".join(head or []) +
            f"\n<title>{html.escape(title)}</title>\n<style>{_PRINT_CSS}</style>\n</head>\n"
            '<body><main class="bd-main"><div class="bd-content nodebook-print"><div class="bd-article-container">'
            f'<article class="bd-article">{cover}{"".join(parts)}</article></div></div></main></body>\n</html>\n')


def write_pdf(html_dir: str | Path, out: str | Path, docnames: list[str], *, title: str, student: bool = True,
              chromium: str = CHROMIUM) -> dict:
    """``combine`` the pages into ``<html_dir>/pdf/book.html`` and print it to ``out``, contents numbered.

    The book is printed once to find the page each section starts on, then again with those numbers in
    the contents; a print whose sections moved is numbered and printed once more, and if they move again
    this fails (a contents that lies is worse than none).

    Returns:
        ``{"pages", "bytes", "seconds", "refused", "prints", "contents"}`` (``contents``: section id -> page).
    """
    require_pypdf()  # a missing pypdf fails here, before the first (slow) print
    html_dir, out = Path(html_dir), Path(out)
    page = html_dir / PRINT_HTML
    page.parent.mkdir(parents=True, exist_ok=True)
    anchors = [section_id(d) for d in docnames]
    start, numbers, prints = time.perf_counter(), None, 0
    with printer(chromium) as print_to:
        while True:
            page.write_text(combine(html_dir, docnames, student=student, title=title, pages=numbers))
            refused = print_to(page, out)
            prints += 1
            if refused:
                raise RuntimeError(f"printing {page} asked the network for {refused[:3]}: the book must be offline")
            found = destination_pages(out, anchors)
            if found == numbers:
                break
            if numbers is not None and prints >= 3:
                moved = {a: (numbers[a], found[a]) for a in anchors if numbers[a] != found[a]}
                raise RuntimeError(f"{out}: numbering the contents moved sections again (contents page, printed "
                                   f"page): {moved}; the contents would not match the pages")
            numbers = found
    return {"pages": page_count(out), "bytes": out.stat().st_size, "seconds": round(time.perf_counter() - start, 1),
            "refused": [], "prints": prints, "contents": numbers}


def toc_docnames(root: str | Path) -> list[str]:
    """The pages of ``_toc.yml`` in reading order (root first), as docnames without suffix."""
    import yaml

    toc = yaml.safe_load((Path(root) / "_toc.yml").read_text())
    names = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                names.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return [re.sub(r"\.(md|ipynb)$", "", n) for n in names]


def will_print() -> bool:
    """Whether ``make pdf`` prints the PDF here: Chromium is installed, or CI=true (then its absence fails).

    The HTML build asks the same question to decide whether its pages link to the PDF.
    """
    import os

    return Path(CHROMIUM).exists() or os.environ.get("CI", "").lower() == "true"


def main(argv: list[str] | None = None) -> int:
    """``python -m nodebook_build pdf [--html _build/html] [--out PDF] [--instructor]`` (no torch import)."""
    import argparse

    import yaml

    parser = argparse.ArgumentParser(prog="python -m nodebook_build pdf", description="print the built book to one PDF "
                                     "with Chromium")
    parser.error = lambda message: parser.exit(2, f"{parser.prog}: error: {message}\n")  # one line, no usage
    parser.add_argument("--html", default="_build/html", help="the built site (default: _build/html)")
    parser.add_argument("--out", default=None, help="default: <html>/nodebook-student.pdf")
    parser.add_argument("--instructor", action="store_true", help="keep the solutions")
    args = parser.parse_args(argv)
    html_dir = Path(args.html).resolve()
    root = html_dir.parent.parent  # <book>/_build/html
    if not (root / "_toc.yml").is_file():
        parser.error(f"--html: expected the built site at <book>/_build/html (with <book>/_toc.yml); got {html_dir}")
    if not will_print():
        stale = Path(args.out or html_dir / "nodebook-student.pdf")
        if stale.is_file():  # an earlier build's PDF would no longer match the pages
            stale.unlink()
        print(f"PDF skipped: {CHROMIUM} not found, so no PDF was printed (apt-get install -y chromium, then "
              "make book); the pages say the PDF is not built here instead of linking to it")
        return 0
    try:
        require_pypdf()
    except ModuleNotFoundError as err:
        parser.exit(1, f"{parser.prog}: error: {err}\n")
    title = (yaml.safe_load((root / "_config.yml").read_text()) or {}).get("title", "nodebook")
    out = Path(args.out or html_dir / "nodebook-student.pdf")
    stats = write_pdf(html_dir, out, toc_docnames(root), title=title, student=not args.instructor)
    print(f"wrote {out}: {stats['pages']} pages, {stats['bytes'] / 1e6:.1f} MB, printed {stats['prints']} times "
          f"(the second with the contents' page numbers) in {stats['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
