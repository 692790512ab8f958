"""Page numbers for the printed book's contents, read back from the PDF Chromium printed.

Chromium has no CSS ``target-counter()``, so the contents cannot number themselves. The book is printed
once, the page each contents link lands on is read from the PDF (its named destinations, which the links
point to), the numbers are written into the contents, and the book is printed again; the second print is
checked to have left every section where it was (see :func:`nodebook_build.pdf.write_pdf`).
"""

from __future__ import annotations

from pathlib import Path


def require_pypdf():
    try:
        import pypdf
    except ImportError:
        raise ModuleNotFoundError("the PDF's contents need pypdf to read the printed page numbers: "
                                  "pip install pypdf==7.1.0 (it is pinned in requirements.txt)") from None
    return pypdf


def page_count(pdf: str | Path) -> int:
    """The number of pages of a PDF file."""
    return len(require_pypdf().PdfReader(str(pdf)).pages)


def destination_pages(pdf: str | Path, anchors: list[str]) -> dict[str, int]:
    """The page (1-based, cover included: as the footer numbers it) each anchor id lands on in ``pdf``.

    Raises:
        ValueError: an anchor is not a destination of the PDF (Chromium writes one per linked-to id).
    """
    reader = require_pypdf().PdfReader(str(pdf))
    named = reader.named_destinations
    pages, missing = {}, []
    for anchor in anchors:
        dest = named.get(f"/{anchor}", named.get(anchor))
        if dest is None:
            missing.append(anchor)
        else:
            pages[anchor] = reader.get_destination_page_number(dest) + 1
    if missing:
        raise ValueError(f"{pdf}: expected a link destination for every contents entry; none for {missing[:5]} "
                         f"(the PDF has {len(named)} destinations)")
    return pages
