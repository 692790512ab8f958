"""How the generated pages write numbers and tables (Markdown the book parses as MyST)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One reference number: what it is, ours, the paper's (or the theory's), and how our protocol differs.

    ``keys``: the dotted metrics entries that ``ours`` shows, in order; a record with several seeds then
    shows each as mean ± standard error (times ``scale``, with ``digits`` significant digits and ``unit``).
    """

    result: str
    ours: str
    paper: str = "–"
    protocol: str = ""
    keys: tuple[str, ...] = ()
    scale: float = 1.0
    digits: int = 3
    unit: str = ""


def mean_se(s, digits: int = 3, scale: float = 1.0) -> str:
    """A table cell for a :class:`~nodebook.seeds.Stat`: ``"0.663 ± 0.012"`` (mean ± standard error) over
    several seeds, ``"0.663"`` for one, ``"–"`` where there is no number; ``scale`` multiplies both."""
    if s.n >= 2 and math.isfinite(s.se):
        return f"{scale * s.mean:.{digits}f} ± {scale * s.se:.{digits}f}"
    return "–" if s.mean is None or not math.isfinite(s.mean) else f"{scale * s.mean:.{digits}f}"


def pm(mean, se, digits: int = 3, scale: float = 1.0, unit: str = "") -> str:
    """``"95.5% ± 0.31%"``: a mean and its standard error (``"–"`` for what is missing)."""
    m = num(None if mean is None else mean * scale, digits)
    e = num(None if se is None else se * scale, 2)
    return f"{m}{unit} ± {e}{unit}"


def num(x, digits: int = 3) -> str:
    """``x`` with ``digits`` significant digits (``"–"`` for a missing or non-finite value)."""
    if x is None or isinstance(x, bool):
        return "–"
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(v):
        return "–"
    if v != 0 and (abs(v) >= 10 ** digits or abs(v) < 1e-3):
        return f"{v:.{max(digits - 1, 0)}e}"
    return f"{v:.{digits}g}"


def pct(x, digits: int = 1) -> str:
    """A fraction in [0, 1] as a percentage."""
    return "–" if x is None else f"{100 * float(x):.{digits}f}%"


def seconds(s) -> str:
    """A duration: seconds below two minutes, else minutes."""
    if s is None:
        return "–"
    s = float(s)
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.0f} min"


def cell(text) -> str:
    """Text safe inside a Markdown table cell (no pipes, no line breaks)."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown pipe table; every row must have as many cells as the header."""
    for i, r in enumerate(rows):
        if len(r) != len(header):
            raise ValueError(f"row {i} has {len(r)} cells; expected {len(header)} (the header's)")
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)
