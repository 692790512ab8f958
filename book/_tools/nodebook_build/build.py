"""Write every chapter's notebooks (student and instructor copies) and the zip of the student ones."""

from __future__ import annotations

import re
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .lint import leftovers
from .myst import Context
from .notebooks import chapter_labels, executed_notebook, glue_values, to_notebook
from .references import Bibliography
from .settings import STUDENT_ZIP, Settings, read_settings


@dataclass
class Written:
    instructor: list[Path] = field(default_factory=list)
    student: list[Path] = field(default_factory=list)
    zip: Path | None = None
    missing_glue: dict[str, list[str]] = field(default_factory=dict)  # chapter -> keys without a value
    leftovers: dict[str, list[str]] = field(default_factory=dict)  # notebook -> MyST left in Markdown


def chapter_sources(root: Path) -> list[Path]:
    sources = sorted((Path(root) / "chapters").glob("*.md"))
    if not sources:
        raise FileNotFoundError(f"no chapter sources (chapters/*.md) under {root}")
    return sources


def markdown_leftovers(nb) -> list[str]:
    """MyST syntax left in a notebook's Markdown cells (``[]`` when Jupyter renders all of it)."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            found += [f"cell {i}: {what}" for what in leftovers(cell.source)]
    return found


def write_notebooks(out_dir: str | Path, root: str | Path | None = None, *, cache_path: str | Path | None = None,
                    settings: Settings | None = None, sources: list[Path] | None = None) -> Written:
    """``out_dir/<chapter>.ipynb`` (instructor: solutions after each exercise), ``out_dir/student/<chapter>.ipynb``
    (no solutions; an empty answer cell after each exercise) and ``out_dir/student/<zip>``.

    Glued numbers come from the executed run in ``cache_path`` (default ``<root>/_build/.jupyter_cache``);
    a chapter with no up-to-date run there gets a placeholder for each, listed in ``Written.missing_glue``.
    ``sources``: the chapters to write (default: every ``chapters/*.md``).
    """
    import nbformat

    from nodebook.results import repo_root

    root = Path(root) if root is not None else repo_root()
    settings = settings if settings is not None else read_settings(root / "_config.yml")
    cache = Path(cache_path) if cache_path is not None else root / "_build" / ".jupyter_cache"
    labels = chapter_labels(chapter_sources(root))
    sources = sources if sources is not None else chapter_sources(root)
    stems = {s.stem: labels_title(labels, s.stem) for s in chapter_sources(root)}
    bib = Bibliography(root / "book" / "references.bib", settings.site_url, required=False)
    if bib.missing:  # e.g. an installed package run outside the repository: degrade, don't fail
        warnings.warn(f"bibliography {bib.path} not found: citations in the notebooks are left as their keys, "
                      "unlinked (run from a clone of the book's repository to link them)", stacklevel=2)
    out = Path(out_dir)
    try:
        (out / "student").mkdir(parents=True, exist_ok=True)
        probe = out / "student" / ".nodebook-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        text = (f"cannot write the notebooks to {out}: {err.strerror or err}; expected a folder that can be "
                "created and written to (choose another with --out)")
        raise (type(err)(err.errno, text) if err.errno is not None else type(err)(text)) from err
    written = Written()

    def doc(target: str):
        stem = Path(target).name.removesuffix(".md")
        if stem in stems:
            return stems[stem], f"{stem}.ipynb"
        if stem == "bibliography":
            return "Bibliography", "#Bibliography"
        if settings.site_url:
            return stem, f"{settings.site_url.rstrip('/')}/{target.lstrip('./')}.html"
        return None

    for source in sources:
        executed = executed_notebook(source, cache)
        glue = glue_values(executed) if executed is not None else {}
        text = source.read_text()
        for student, target, bucket in ((False, out / f"{source.stem}.ipynb", written.instructor),
                                        (True, out / "student" / f"{source.stem}.ipynb", written.student)):
            ctx = Context(glue=glue, cite=bib.cite, ref=labels.get, doc=doc)
            nb = to_notebook(text, student=student, ctx=ctx, settings=settings, bibliography=bib,
                             path=_shown_path(source, root))
            number_exercises(nb, source.stem)
            nbformat.validate(nb)
            nbformat.write(nb, target)
            bucket.append(target)
            if ctx.missing_glue:
                written.missing_glue[source.stem] = sorted(set(ctx.missing_glue))
            if left := markdown_leftovers(nb):
                written.leftovers[str(target)] = left
    written.zip = zip_notebooks(written.student, out / "student" / STUDENT_ZIP)
    return written


def _shown_path(source: Path, root: Path) -> str:
    try:
        return str(source.relative_to(root))
    except ValueError:
        return str(source)


_EXERCISE_NUMBER = re.compile(r"^((?:###|####) (?:<a id=\"[^\"]*\"></a>)?(?:Exercise|Solution to exercise) |"
                              r"# Your answer to exercise )(\d+)", re.M)


def number_exercises(nb, stem: str) -> None:
    """Exercise numbers as the site shows them (book/_ext/nodebook_numbers.py): ``2.3`` in Chapter 2."""
    prefix = f"{int(stem[:2])}." if stem[:2].isdigit() else ""
    if not prefix:
        return
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if {"exercise", "exercise-answer", "solution"} & set(tags):
            cell.source = _EXERCISE_NUMBER.sub(lambda m: f"{m[1]}{prefix}{m[2]}", cell.source, count=1)


def labels_title(labels: dict[str, tuple[str, str]], stem: str) -> str:
    """A chapter's title from its labelled heading, else its file name."""
    return next((title for title, file in labels.values() if file == f"{stem}.ipynb"), stem)


def zip_notebooks(paths: list[Path], zip_path: Path) -> Path:
    """A zip of ``paths`` under a ``nodebook/`` folder, byte-identical for identical inputs."""
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(paths):
            info = zipfile.ZipInfo(f"nodebook/{path.name}", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return zip_path
