"""Sphinx extension: exercises are numbered per page, with the page's number: 2.3, A4.1.

sphinx-exercise numbers its exercises through the whole book (Sphinx's figure numbering with
``numfig_secnum_depth`` 0), so Assignment 4 had "Exercise 38-42" and Chapter 2's exercises were 4-6 on the
site but 1-3 in its notebook. After Sphinx has assigned the numbers (``env-get-updated``, after the
toctree collector), each page's exercises are renumbered from 1, prefixed with the chapter's number
(``2.3``) or, on an assignment page ``book/assignments/chN``, with ``AN`` (``A4.1``). Titles and
``{numref}``/``{ref}`` links read these numbers, so they agree everywhere.
"""

from __future__ import annotations

import re

from sphinx.application import Sphinx

FIGTYPE = "exercise"
_ASSIGNMENT = re.compile(r"^book/assignments/ch(?P<n>\d+)$")
_CHAPTER = re.compile(r"^chapters/(?P<n>\d+)_")


def page_prefix(docname: str) -> tuple[str | int, ...]:
    """``(2,)`` for ``chapters/02_x``, ``("A4",)`` for ``book/assignments/ch4``, else ``()``."""
    if m := _ASSIGNMENT.match(docname):
        return (f"A{int(m['n'])}",)
    if m := _CHAPTER.match(docname):
        return (int(m["n"]),)
    return ()


def renumber(app: Sphinx, env) -> list[str]:
    """env-get-updated: per-page exercise numbers; returns the pages whose numbers changed (to rewrite)."""
    changed = []
    for docname, fignumbers in env.toc_fignumbers.items():
        numbers = fignumbers.get(FIGTYPE)
        if not numbers:
            continue
        prefix = page_prefix(docname)
        new = {node_id: (*prefix, i) for i, node_id in enumerate(numbers, start=1)}
        if new != numbers:
            fignumbers[FIGTYPE] = new
            changed.append(docname)
    return changed


def setup(app: Sphinx) -> dict:
    app.connect("env-get-updated", renumber, priority=900)  # after the toctree collector (500)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
