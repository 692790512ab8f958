"""Reading a printed PDF back (pypdf): what its contents say against where their links land, and how far
down each page the ink reaches. Shared by the unit tests and the browser test of the built book."""

from __future__ import annotations

import re

A4_HEIGHT_PT = 842.0
TOP_PT, BOTTOM_PT = 16 / 25.4 * 72, 18 / 25.4 * 72  # the @page margins of the printed book (the footer is below)


def _mul(m, n):
    return [m[0] * n[0] + m[1] * n[2], m[0] * n[1] + m[1] * n[3], m[2] * n[0] + m[3] * n[2],
            m[2] * n[1] + m[3] * n[3], m[4] * n[0] + m[5] * n[2] + n[4], m[4] * n[1] + m[5] * n[3] + n[5]]


def text_runs(page) -> list[tuple[float, float, str]]:
    """``(x, y, text)`` of each text run on a pypdf page, in page coordinates (points, origin bottom left)."""
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            m = _mul(tm, cm)
            runs.append((m[4], m[5], text))

    page.extract_text(visitor_text=visit)
    return runs


def contents_entries(reader) -> list[tuple[str, int, str]]:
    """The cover's contents: ``(destination, page the link lands on, number printed on the link's line)``.

    Pages are 1-based, cover included (as the footer counts them); the number is the last run of digits
    printed inside the link's rectangles ('' when there is none).
    """
    named = reader.named_destinations
    entries = []
    for number, page in enumerate(reader.pages, 1):  # the cover: the pages before the first section's
        rects: dict[str, list] = {}
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link" and "/Dest" in annot:
                rects.setdefault(str(annot["/Dest"]), []).append([float(v) for v in annot["/Rect"]])
        runs = text_runs(page)
        for dest, boxes in rects.items():
            inside = sorted((x, t) for x, y, t in runs
                            if any(b[0] - 1 <= x <= b[2] + 1 and b[1] - 1 <= y <= b[3] + 1 for b in boxes))
            printed = re.findall(r"\d+", " ".join(t for _, t in inside))
            target = reader.get_destination_page_number(named[dest]) + 1
            entries.append((dest.lstrip("/"), target, printed[-1] if printed else ""))
        if entries and number + 1 >= min(target for _, target, _ in entries):
            break
    return entries


def ink_fill(page) -> float:
    """How far down the printable area of a pypdf page its text and images reach (0: empty, 1: the bottom).

    Filled boxes without text (a code block's background) are not counted: an underestimate, never more.
    """
    top = A4_HEIGHT_PT - TOP_PT
    lows = [y for _, y, _ in text_runs(page)]

    def visit(op, args, cm, tm):
        if op == b"Do":  # an image or a form: the unit square under the current matrix
            lows.append(min(cm[5], cm[5] + cm[3]))

    page.extract_text(visitor_operand_before=visit)
    lows = [y for y in lows if BOTTOM_PT - 2 < y < top]  # not the footer's page number
    return 0.0 if not lows else (top - min(lows)) / (top - BOTTOM_PT)
