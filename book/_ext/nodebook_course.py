"""Sphinx extension: the course files that go with the web book, built with it and served from it.

At the end of each HTML build (``build-finished``: every chapter has run by then, so the execution cache
holds its numbers) this writes

* ``_build/notebooks/<chapter>.ipynb`` (instructor copies, solutions after each exercise) and
  ``_build/notebooks/student/`` (student copies), in Markdown Jupyter renders (``nodebook_build``,
  the book's tooling in ``book/_tools/``, not part of the installed package);
* into the site: ``notebooks/<chapter>.ipynb`` (the student copies), ``notebooks/<zip>`` of all of them,
  and ``slides/<chapter>.html`` (reveal.js, with reveal.js, MathJax and plotly.js from ``_static``).

Each chapter page gets links to its notebook and slides (a line under the title, and the header's
download menu) and, when ``repository.url`` is set in ``_config.yml``, Binder/Colab/JupyterHub buttons
that open the published learner notebook. With no repository URL nothing points outside the book.
Jupyter Book's own launch buttons would open the ``.md`` source, so the theme is not given the launch
settings (this extension uses them). The ``nodebook-downloads`` directive lists the downloads on the
landing page. A chapter whose glued numbers could not be filled in, or whose notebook keeps MyST syntax
Jupyter cannot render, is a warning (fatal under ``-W``).
"""

from __future__ import annotations

import html
import shutil
import sys
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from nodebook.config import CHAPTERS

# The book's build tooling lives beside the book (book/_tools/nodebook_build), not in the installed package.
_TOOLS = str(Path(__file__).resolve().parent.parent / "_tools")
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)

from nodebook_build import (  # noqa: E402
    STUDENT_PDF,
    STUDENT_ZIP,
    Bibliography,
    Context,
    launch_links,
    read_settings,
    write_notebooks,
)
from nodebook_build.notebooks import chapter_labels, executed_notebook, glue_values  # noqa: E402
from nodebook_build.pdf import CHROMIUM, will_print  # noqa: E402
from nodebook_build.settings import NOTEBOOKS_DIR, SLIDES_DIR  # noqa: E402
from nodebook_build.slides import REVEAL_DIR, slides_html  # noqa: E402
from nodebook_build.teaching import teaching_notes  # noqa: E402

logger = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
STATIC_SRC = HERE.parent / "_static"
CSS = "nodebook-course.css"
PRINT_JS = "nodebook-print.js"  # plotly figures redrawn at the paper's width before printing
ASSIGNMENTS = "book/assignments/"
BINDER_DIR = "binder"  # repo2docker's folder; copied into the site root (the pages branch is what launches)
_LAUNCH_KEYS = ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url", "jupyterlite_url", "thebe")


def _settings(app: Sphinx):
    return read_settings(Path(app.srcdir) / "_config.yml")


def _chapters(app: Sphinx) -> dict[str, Path]:
    """``{docname: source}`` for the chapter pages of this build."""
    return {d: Path(app.env.doc2path(d)) for d in sorted(app.env.found_docs) if d.startswith("chapters/")}


def keep_launch_buttons_from_theme(app: Sphinx, config) -> None:
    """config-inited: the theme's launch buttons would open the .md source; ours open the learner notebook."""
    opts = config.html_theme_options.get("launch_buttons")
    if isinstance(opts, dict):
        config.html_theme_options["launch_buttons"] = {k: v for k, v in opts.items() if k not in _LAUNCH_KEYS}


def copy_static(app: Sphinx) -> None:
    """builder-inited: reveal.js (vendored) and this extension's CSS into the site's _static."""
    if app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    shutil.copytree(STATIC_SRC / REVEAL_DIR, static / REVEAL_DIR, dirs_exist_ok=True)
    shutil.copy2(STATIC_SRC / CSS, static / CSS)
    shutil.copy2(STATIC_SRC / PRINT_JS, static / PRINT_JS)


def _page_chapter(app: Sphinx, pagename: str) -> str | None:
    """The chapter stem a page's links are about: the chapter itself, or for ``book/assignments/chN`` the
    chapter N it grades (students launch that chapter's learner notebook to work in); else None."""
    if pagename.startswith("chapters/"):
        return pagename.rsplit("/", 1)[1]
    if pagename.startswith(ASSIGNMENTS):
        return CHAPTERS.get(pagename.removeprefix(ASSIGNMENTS))
    return None


def chapter_links(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """html-page-context (after the theme's buttons): notebook, slides, PDF and launch links on a chapter,
    and on an assignment (its own notebook to download, and the graded chapter's notebook, launched)."""
    stem = _page_chapter(app, pagename)
    if app.builder.format != "html" or stem is None or "body" not in context:
        return
    pathto = context["pathto"]
    assignment = not pagename.startswith("chapters/")
    links = []
    if assignment:
        own = ASSIGNMENT_NB.format(stem=pagename.rsplit("/", 1)[1])
        links.append(("Assignment notebook (.ipynb)", pathto(f"{NOTEBOOKS_DIR}/{own}", 1), "assignment", True))
    links += [("Chapter notebook (.ipynb)" if assignment else "Notebook (.ipynb)",
               pathto(f"{NOTEBOOKS_DIR}/{stem}.ipynb", 1), "notebook", True),
              ("Slides", pathto(f"{SLIDES_DIR}/{stem}.html", 1), "slides", False)]
    if app.config.nodebook_pdf:  # no link to a PDF this machine will not print
        links.append(("Book (PDF)", pathto(STUDENT_PDF, 1), "pdf", False))
    launch = launch_links(_settings(app), stem)
    items = [f'<a class="nodebook-{cls}" href="{html.escape(url)}"{" download" if dl else ""}>{text}</a>'
             for text, url, cls, dl in links]
    items += [f'<a class="nodebook-launch" href="{html.escape(url)}" rel="noopener" target="_blank">'
              f"Open in {name}</a>" for name, url in launch]
    bar = f'<p class="nodebook-chapter-links">{" · ".join(items)}</p>'
    body = context["body"]
    cut = body.find("</h1>")
    context["body"] = body[:cut + 5] + bar + body[cut + 5:] if cut >= 0 else bar + body
    buttons = context.get("header_buttons")
    if buttons is None:
        return
    for group in buttons:
        if group.get("label") == "download-buttons":
            group["buttons"][:0] = [
                {"type": "link", "url": links[0][1], "text": ".ipynb (learner)", "icon": "fas fa-code",
                 "tooltip": "Download the learner notebook", "label": "download-learner-notebook-button"},
                {"type": "link", "url": links[1][1], "text": "slides", "icon": "fas fa-person-chalkboard",
                 "tooltip": "This chapter's slides", "label": "slides-button"}]
    if launch:
        buttons.append({"type": "group", "tooltip": "Launch the learner notebook", "icon": "fas fa-rocket",
                        "label": "launch-buttons", "buttons": [
                            {"type": "link", "url": url, "text": name, "tooltip": f"Open in {name}",
                             "label": f"launch-{name.lower()}-button"} for name, url in launch]})


class DownloadsDirective(SphinxDirective):
    """``{nodebook-downloads}``: the zip of student notebooks, the PDF, and each chapter's notebook/slides."""

    def run(self):
        up = "../" * self.env.docname.count("/")
        root = Path(self.env.srcdir)
        labels = chapter_labels(sorted((root / "chapters").glob("*.md")))
        titles = {file.removesuffix(".ipynb"): title for title, file in labels.values()}
        rows = "".join(
            f'<li>{html.escape(titles.get(stem, stem))}: <a href="{up}{NOTEBOOKS_DIR}/{stem}.ipynb" download>'
            f'notebook</a> · <a href="{up}{SLIDES_DIR}/{stem}.html">slides</a></li>'
            for stem in sorted(p.stem for p in (root / "chapters").glob("*.md")))
        raw = (f'<div class="nodebook-downloads"><ul>'
               f'<li><a href="{up}{NOTEBOOKS_DIR}/{STUDENT_ZIP}" download>All student notebooks (.zip)</a>: '
               "one per chapter, an empty cell to answer each exercise in, no solutions; and the graded "
               "assignments as notebooks (public form checks only).</li>"
               + (f'<li><a href="{up}{STUDENT_PDF}">The whole book as a PDF</a>, student edition (solutions left '
                  "out).</li>" if self.config.nodebook_pdf else
                  "<li>The whole book as a PDF: not printed with this build (printing needs Chromium at "
                  f"<code>{CHROMIUM}</code>: <code>apt-get install -y chromium</code>, then "
                  "<code>make book</code>).</li>")
               + "</ul><p>Per chapter:</p><ul>" + rows + "</ul></div>")
        return [nodes.raw("", raw, format="html")]


ASSIGNMENT_NB = "assignment-{stem}.ipynb"  # in the site's notebooks/ folder and in the student zip


def write_assignment_notebooks(root: Path, site_nb: Path, zip_path: Path | None = None) -> list[Path]:
    """``book/assignments/chN.md`` as student notebooks (stubs and public form checks; the pages hold no
    solutions) into ``site_nb``, and into the student zip when given. Hidden tests are never in them."""
    import zipfile

    import jupytext

    written = []
    for page in sorted((root / "book" / "assignments").glob("ch*.md")):
        nb = jupytext.read(page)
        nb.metadata.pop("mystnb", None)
        path = site_nb / ASSIGNMENT_NB.format(stem=page.stem)
        jupytext.write(nb, path, fmt="ipynb")
        written.append(path)
    if zip_path is not None and zip_path.is_file():
        with zipfile.ZipFile(zip_path, "a") as zf:
            present = set(zf.namelist())
            for path in written:
                if path.name not in present:
                    zf.write(path, path.name)
    return written


def write_binder(root: Path, out: Path, settings) -> None:
    """``binder/`` into the site: Binder builds the pages branch (where the learner notebooks are), so its
    environment files must be there; with a repository URL, nodebook itself is installed from it too."""
    src = root / BINDER_DIR
    if not src.is_dir():
        return
    dest = out / BINDER_DIR
    shutil.copytree(src, dest, dirs_exist_ok=True)
    if settings.install_spec:
        reqs = dest / "requirements.txt"
        reqs.write_text(reqs.read_text().rstrip("\n") + f"\n{settings.install_spec}\n")


def write_course_files(app: Sphinx, exception) -> None:
    """build-finished: notebooks (+ zip) and slides, from the execution cache of this build."""
    if exception is not None or app.builder.format != "html":
        return
    root, out = Path(app.srcdir), Path(app.outdir)
    cache = Path(app.config.nb_execution_cache_path or out.parent / ".jupyter_cache")
    settings = _settings(app)
    chapters = _chapters(app)
    written = write_notebooks(out.parent / "notebooks", root, cache_path=cache, settings=settings,
                              sources=list(chapters.values()))
    for stem, keys in written.missing_glue.items():
        logger.warning(f"[nodebook_course] {stem}: no executed run in {cache} for {len(keys)} glued value(s) "
                       f"({', '.join(keys[:3])}...): the notebooks show placeholders", type="nodebook", subtype="glue")
    for path, left in written.leftovers.items():
        logger.warning(f"[nodebook_course] {path} keeps MyST Jupyter cannot render: {left[:3]}", type="nodebook",
                       subtype="myst")
    write_binder(root, out, settings)
    site_nb = out / NOTEBOOKS_DIR
    site_nb.mkdir(parents=True, exist_ok=True)
    for path in [*written.student, written.zip]:
        shutil.copy2(path, site_nb / path.name)
    assignments = write_assignment_notebooks(root, site_nb, site_nb / written.zip.name)
    bib = Bibliography(root / "book" / "references.bib", settings.site_url)
    (out / SLIDES_DIR).mkdir(exist_ok=True)
    labels = chapter_labels(list(chapters.values()))
    course = (root / "book" / "course.md").read_text() if (root / "book" / "course.md").is_file() else ""
    for docname, source in chapters.items():
        nb = executed_notebook(source, cache)
        if nb is None:
            import jupytext

            nb = jupytext.read(source)
        ctx = Context(glue=glue_values(nb), cite=lambda keys, role: f"({'; '.join(map(bib.label, keys))})",
                      ref=lambda label: (labels[label][0], f"{labels[label][1].removesuffix('.ipynb')}.html")
                      if label in labels else None)
        title = app.env.titles[docname].astext() if docname in app.env.titles else source.stem
        key = next((k for k, stem in CHAPTERS.items() if stem == source.stem), "")
        page = slides_html(nb, ctx, title=title, chapter_url=f"../{docname}.html", source=source,
                           notes=teaching_notes(course, key) if key else "")
        (out / SLIDES_DIR / f"{source.stem}.html").write_text(page)
    logger.info(f"[nodebook_course] {len(written.student)} learner notebooks, {len(assignments)} assignment "
                f"notebooks, {STUDENT_ZIP}, "
                f"{len(chapters)} slide decks")


def setup(app: Sphinx) -> dict:
    app.add_config_value("nodebook_pages_branch", "gh-pages", "html")
    # Whether `make pdf` will print the PDF on this machine; "env": a change re-reads every page, so no
    # page keeps a link to a PDF that is not there (or an excuse for one that is).
    app.add_config_value("nodebook_pdf", will_print(), "env")
    app.add_directive("nodebook-downloads", DownloadsDirective)
    app.add_css_file(CSS)
    app.add_js_file(PRINT_JS)
    app.connect("config-inited", keep_launch_buttons_from_theme)
    app.connect("builder-inited", copy_static)
    app.connect("html-page-context", chapter_links, priority=510)
    app.connect("build-finished", write_course_files)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
