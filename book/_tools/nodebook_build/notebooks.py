"""Chapters as Jupyter notebooks a learner can use: plain Markdown, one cell per exercise, no solutions.

A chapter (MyST Markdown) is read with jupytext; its Markdown cells are rewritten by :mod:`.myst`:
glued numbers are filled in from the book's executed run (the execution cache), citations become
author–year links to a Bibliography cell, admonitions become block quotes. Each exercise gets its own
Markdown cell, followed by an empty code cell to answer in (student copy) or by the solution's cells
(instructor copy): the student copy has no solution anywhere, so "Run All" cannot run one.
"""

from __future__ import annotations

import re
from pathlib import Path

from .myst import Block, Context, _fence, convert, convert_directive, convert_inline, split_blocks
from .references import Bibliography
from .settings import Settings
from .solutions import cells_without_solutions

_LABEL_HEADING = re.compile(r"^\((?P<label>[^()\s]+)\)=\s*\n+#+\s+(?P<title>.+)$", re.M)
_HEADING = re.compile(r"^#{1,2}\s")
_ANCHORS = re.compile(r'\s*(<a id="[^"]*"></a>\s*)*')
_ANCHORED_TITLE = re.compile(r'(?P<anchors>\s*(?:<a id="[^"]*"></a>\s*)+)(?P<heading>#\s[^\n]*)(?P<rest>.*)', re.S)


def executed_notebook(source: Path, cache_path: Path):
    """The chapter as it ran in the book build (outputs included), from the execution cache; None when the
    cache has no run of the chapter's current code.

    The cache is searched by the notebook's content (what myst-nb matches on), not by the source's path:
    a chapter whose run was reused from the cache, or a clone that moved, has no record for its path.
    """
    if not Path(cache_path).is_dir():
        return None
    import jupytext
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_path))
    try:
        _, merged = cache.merge_match_into_notebook(jupytext.read(source, fmt="md:myst"))
    except KeyError:
        return None
    return merged


def glue_values(nb) -> dict[str, str]:
    """``{key: text}`` of every ``glue(key, value)`` output in an executed notebook: its text/markdown
    when it has one (a glued ``Markdown`` table, shown by ``{glue:md}``), else its text/plain."""
    values = {}
    for cell in getattr(nb, "cells", []):
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get("scrapbook")
            if not meta:
                continue
            data, prefix = out.get("data", {}), meta.get("mime_prefix", "")
            text = data.get(prefix + "text/markdown", data.get("text/markdown"))
            if text is None:
                text = data.get(prefix + "text/plain", data.get("text/plain"))
            if text is not None:
                values[meta["name"]] = text if isinstance(text, str) else "".join(text)
    return values


def chapter_labels(chapters: list[Path]) -> dict[str, tuple[str, str]]:
    """``{label: (heading text, notebook file name)}`` for the ``(label)=`` targets before a heading."""
    labels = {}
    for path in chapters:
        for m in _LABEL_HEADING.finditer(path.read_text()):
            labels[m["label"]] = (m["title"].strip(), f"{path.stem}.ipynb")
    return labels


TORCH_PIN = "2.13.0"  # requirements.txt's torch (tests/test_book.py checks they agree)


def install_source(settings: Settings) -> str:
    """The first cell of a learner notebook: install the package where it is missing (Colab, Binder)."""
    head = ("# The book's package and the libraries the chapters use. In a clone where `make venv` (or\n"
            "# `pip install .`) ran, this does nothing.\nimport importlib.util\n\n")
    if settings.install_spec:
        # Colab has torch; a bare JupyterHub/Binder image may not, and PyPI's wheel bundles CUDA (GBs):
        # the CPU wheel of the pinned version first, then the package (which then finds torch satisfied).
        return head + ('if importlib.util.find_spec("nodebook") is None:\n'
                       "    import subprocess, sys\n\n"
                       '    if importlib.util.find_spec("torch") is None:\n'
                       '        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", '
                       f'"torch=={TORCH_PIN}",\n'
                       '                               "--extra-index-url", "https://download.pytorch.org/whl/cpu"])\n'
                       f'    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", '
                       f'"{settings.install_spec}"])\n')
    return head + ('if importlib.util.find_spec("nodebook") is None:\n'
                   '    raise ModuleNotFoundError("this notebook needs the package `nodebook`: run `pip install .` '
                   'in a clone of the book\'s repository first")\n')


def _md(source: str, **meta):
    import nbformat

    return nbformat.v4.new_markdown_cell(source, metadata=meta)


def _code(source: str, tags: list[str]):
    import nbformat

    return nbformat.v4.new_code_cell(source, metadata={"tags": tags})


def _title_first(cells: list) -> None:
    """Put the first Markdown cell's ``#`` heading before the anchors a ``(label)=`` target left above it.

    jupyterlab-myst (2.7) draws a title block from a notebook's first heading, and drops the heading itself
    only when it is the first thing in the first Markdown cell: behind an anchor, the title showed twice.
    """
    first = next((c for c in cells if c.cell_type == "markdown"), None)
    m = _ANCHORED_TITLE.fullmatch(first.source) if first is not None else None
    if m:
        first.source = f"{m['heading'].rstrip()}\n\n{m['anchors'].strip()}{m['rest']}"


def _blocks(nb) -> list:
    """The notebook as a flat list of ("code", cell) and ("md", Block) items."""
    items = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            items += [("md", b) for b in split_blocks(cell.source)]
        else:
            items.append(("code", cell))
    return items


def to_notebook(text: str, *, student: bool, ctx: Context, settings: Settings | None = None,
                bibliography: Bibliography | None = None, path: str = "<chapter>"):
    """A chapter's MyST source as a Jupyter notebook (nbformat 4, no outputs). The student copy is made from
    the cells with every solution removed by :func:`.solutions.cells_without_solutions` (the slides' parser:
    nested in any directive, or gated by ``solution-start``/``solution-end``); an unclosed gate is a
    ``ValueError`` naming ``path`` and the line, in both copies."""
    import jupytext

    src = jupytext.reads(text, fmt="md:myst")
    kept = cells_without_solutions(src.cells, path, text)
    if student:
        src.cells = kept
    cells = [_code(install_source(settings or Settings()), ["install"])]
    buf: list[str] = []
    n_exercise, skipping, gated_exercise = 0, False, False

    def flush():
        if "".join(buf).strip():
            cells.append(_md("\n\n".join(b.strip("\n") for b in buf if b.strip())))
        buf.clear()

    for kind, item in _blocks(src):
        if kind == "code":
            if skipping:
                continue
            flush()
            tags = item.metadata.get("tags", [])
            if {"remove-cell", "hide-input", "remove-input", "hide-cell"} & set(tags):
                item.metadata.setdefault("jupyter", {})["source_hidden"] = True
            item.outputs, item.execution_count = [], None
            cells.append(item)
            continue
        block: Block = item
        d = block.directive
        if d is None or d.name not in ("exercise", "exercise-start", "exercise-end", "solution",
                                       "solution-start", "solution-end"):
            if skipping:
                continue
            if block.kind == "text":  # a new section starts a new cell
                for chunk in re.split(r"\n(?=#{1,2}\s)", block.text):
                    if _HEADING.match(chunk) and not all(_ANCHORS.fullmatch(b) for b in buf):
                        flush()
                    buf.append(convert_inline(chunk, ctx))
            elif block.kind == "fence":
                buf.append(block.text)
            else:
                out = convert_directive(d, ctx)
                buf.append(_fence(d) if out is None else out)
            continue
        if d.name in ("exercise", "exercise-start"):
            flush()
            n_exercise += 1
            title = f"Exercise {n_exercise}" + (f": {convert_inline(d.arg, ctx)}" if d.arg else "")
            anchor = f'<a id="{d.options["label"]}"></a>' if "label" in d.options else ""
            cells.append(_md(f"### {anchor}{title}\n\n{convert(d.body, ctx)}".rstrip(), tags=["exercise"]))
            gated_exercise = d.name == "exercise-start"
            if not gated_exercise and student:
                cells.append(_code(f"# Your answer to exercise {n_exercise}\n", ["exercise-answer"]))
        elif d.name == "exercise-end":
            flush()
            if student:
                cells.append(_code(f"# Your answer to exercise {n_exercise}\n", ["exercise-answer"]))
        elif d.name in ("solution", "solution-start"):
            flush()
            if student:
                skipping = d.name == "solution-start"
                continue
            body = convert(d.body, ctx)
            cells.append(_md(f"#### Solution to exercise {n_exercise}" + (f"\n\n{body}" if body else ""),
                             tags=["solution"]))
        elif d.name == "solution-end":
            if skipping:
                skipping = False
                continue
            flush()
    if skipping:
        raise ValueError("found a solution-start without a matching solution-end")
    flush()
    if bibliography is not None and ctx.cited:
        cells.append(_md(bibliography.references_markdown(ctx.cited)))
    _title_first(cells)
    src.cells = cells
    src.metadata.pop("jupytext", None)
    src.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    src.metadata["language_info"] = {"name": "python"}
    return src
