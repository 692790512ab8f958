"""Sphinx extension: the pages whose tables are generated from ``results/`` and the chapters on every build.

``book/index.md`` (the chapter table) and ``book/results.md`` ("Reproducing the papers") each hold a marker
line; when Sphinx reads the page, the marker is replaced by Markdown from :mod:`nodebook.reports`, which
the page's MyST parser then reads like any other table. Because a results file can change without any
page source changing, the two pages are re-read on every build, and after the chapters, so that the
landing page can show how long each chapter took to execute (myst-nb's execution data, from this build
or the execution cache it reused). No kernel runs for either page.
"""

from __future__ import annotations

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

MARKERS = {
    "book/index": "<!-- nodebook:chapter-table -->",
    "book/results": "<!-- nodebook:results-table -->",
}


def always_reread(app: Sphinx, env, added, changed, removed) -> list[str]:
    return [doc for doc in MARKERS if doc in env.found_docs and doc not in added | changed]


def read_last(app: Sphinx, env, docnames: list[str]) -> None:
    """Read the generated pages after the chapters (in place: Sphinx reads ``docnames`` in this order)."""
    late = [d for d in docnames if d in MARKERS]
    docnames[:] = [d for d in docnames if d not in MARKERS] + late


def chapter_runtimes(env) -> dict[str, float]:
    """Seconds each chapter's notebook took to execute, as myst-nb recorded it (cache hits keep the time of
    the run that filled the cache)."""
    from myst_nb.sphinx_ import NbMetadataCollector

    from nodebook.config import CHAPTERS

    out = {}
    for key, stem in CHAPTERS.items():
        data = NbMetadataCollector.get_doc_data(env).get(f"chapters/{stem}", {}).get("exec_data") or {}
        if data.get("runtime") is not None and data.get("succeeded", True):
            out[key] = float(data["runtime"])
    return out


def fill(app: Sphinx, docname: str, source: list[str]) -> None:
    marker = MARKERS.get(docname)
    if marker is None:
        return
    if marker not in source[0]:
        logger.warning(f"{docname}: the marker {marker} is missing, so its generated table is not shown",
                       location=docname)
        return
    from nodebook import reports

    table = (reports.chapter_table(chapter_runtimes(app.env)) if docname == "book/index"
             else reports.results_table())
    source[0] = source[0].replace(marker, table)


def setup(app: Sphinx) -> dict:
    app.connect("env-get-outdated", always_reread)
    app.connect("env-before-read-docs", read_last)
    app.connect("source-read", fill)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
