"""Generated pages: "Reproducing the papers" and the landing page's chapter table, from ``results/`` and the chapters.

The book builds them on every build (``book/_ext/nodebook_generated.py`` puts :func:`results_table` and
:func:`chapter_table` where the pages say), so a chapter's row appears as soon as its ``results/<ch>.json``
is committed, and a missing run is one line, never an empty table. The numbers of each chapter come from
a small function in :mod:`.rows` (chapters 5 and 6 in ``_rows_ch56``) fed by that chapter's ``run()`` keys;
``_missing`` keeps a null or NaN metric from hiding a chapter.
"""

from __future__ import annotations

import re
from pathlib import Path

from .._provenance import missing_note, run_facts
from .._tables import Row, cell, markdown_table, num, pct, pm, seconds
from ..config import CHAPTERS, resolve_chapter
from ..results import reference_results, repo_root
from .rows import ROWS, chapter_rows

__all__ = [
    "ROWS", "Row", "cell", "chapter_line", "chapter_rows", "chapter_table", "chapter_title", "markdown_table",
    "num", "pct", "pm", "results_table", "seconds",
]

_ABBREV = re.compile(r"\b(et al|e\.g|i\.e|cf|vs)\.")


def _source(chapter: str) -> str:
    key = resolve_chapter(chapter)
    path = repo_root() / "chapters" / f"{CHAPTERS[key]}.md"
    if not path.exists():
        raise FileNotFoundError(f"chapter source {path} not found")
    return path.read_text()


def chapter_title(chapter: str) -> str:
    """The chapter's ``# N. Title`` heading, without its number."""
    m = re.search(r"^# (?:\d+\.\s*)?(.+)$", _source(chapter), flags=re.M)
    return m.group(1).strip() if m else chapter


def chapter_line(chapter: str) -> str:
    """The first sentence of the chapter's opening paragraph (its one-line summary)."""
    text = _source(chapter)
    head = re.search(r"^# .+$", text, flags=re.M)
    body = text[head.end():] if head else text
    para = next((p for p in re.split(r"\n\s*\n", body) if p.strip() and not p.lstrip().startswith(("(", "`", ":"))),
                "")
    para = " ".join(para.split())
    masked = _ABBREV.sub(lambda m: m.group(0).replace(".", "\0"), para)
    m = re.match(r"(.+?[.!?])(\s|$)", masked)
    return (m.group(1) if m else masked).replace("\0", ".")


def _link(chapter: str) -> str:
    return f"{{doc}}`../chapters/{CHAPTERS[chapter]}`"


def _run_cell(record: dict) -> str:
    f = run_facts(record)
    extra = f" · with {f['overrides']}" if f["overrides"] else ""
    return f"{f['device']} · {f['date']} · {f['wall']} · commit `{f['commit']}`{extra}"


def _seeds_cell(record: dict) -> str:
    seeds = record.get("seeds") or {}
    n = seeds.get("n", 1)
    return f"{n} seeds ({', '.join(map(str, seeds.get('seeds', [])))})" if n > 1 else "1 seed"


def _ours(row: Row, record: dict) -> str:
    """The row's number: mean ± standard error of each of its ``keys`` over the record's seeds, or (one seed,
    or a row without keys) the text the row function made from seed 0."""
    summary = (record.get("seeds") or {}).get("summary") or {}
    if not summary:
        return row.ours
    if row.keys and all(k in summary for k in row.keys):
        return " / ".join(pm(summary[k].get("mean"), summary[k].get("se"), row.digits, row.scale, row.unit)
                          for k in row.keys)
    return f"{row.ours} (seed 0)"


def results_table(directory: Path | None = None) -> str:
    """One Markdown table of every reference number in ``results/*.json`` beside the paper's, by chapter; a
    record with several seeds shows mean ± standard error, and every row says how many seeds it has."""
    header = ["chapter", "reference run (device · date · wall time · commit)", "result", "seeds", "this book",
              "paper (or theory)", "how our protocol differs"]
    rows = []
    for key, record in reference_results(directory).items():
        if record is None:
            rows.append([_link(key), "–", missing_note(key), "–", "–", "–", "no reference run yet"])
            continue
        none = Row("(no published numbers to set beside this chapter's; its page shows the run)", "–", "–",
                   "nothing to compare: the chapter's own measurements")
        for i, r in enumerate(chapter_rows(key, record.get("metrics") or {}) or [none]):
            rows.append([_link(key) if i == 0 else "", _run_cell(record) if i == 0 else "", r.result,
                         _seeds_cell(record), _ours(r, record), r.paper, r.protocol or "–"])
    return markdown_table(header, rows)


def chapter_table(runtimes: dict[str, float] | None = None, directory: Path | None = None) -> str:
    """The landing page's table: chapter, one line, reading time, quick run time, reference run.

    Args:
        runtimes: seconds each chapter took to execute in quick mode (keys ``"ch1"``…), as the book build
            measured them; a chapter without one says so.
    """
    from ..book import reading_time

    header = ["", "chapter", "in one line", "reading", "quick run", "reference run"]
    rows = []
    for key, record in reference_results(directory).items():
        quick = (runtimes or {}).get(key)
        if record is None:
            ref = "not committed yet"
        else:
            f = run_facts(record)
            ref = f"{f['wall']} on {f['device']}, {f['date']}"
        rows.append([key[2:], _link(key), chapter_line(key), f"{reading_time(key)} min",
                     "not measured in this build" if quick is None else seconds(quick), ref])
    return markdown_table(header, rows)
