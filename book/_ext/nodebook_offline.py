"""Sphinx extension: make the built book work for a reader with no network.

A default Jupyter Book 1 page fetches MathJax from a CDN, and a plotly figure needs plotly.js, which our
renderer (``nodebook.plotting``) deliberately leaves out of each figure. This extension serves both from
the book's own ``_static`` folder, and tidies two things Jupyter Book puts on every page:

* **MathJax 3** (es5 build) is copied from the ``django-static-mathjax`` wheel (plain static files; Django
  is not needed) into ``_static/mathjax/``, keeping MathJax's directory layout so its fonts
  (``output/chtml/fonts/woff-v2``) and lazily loaded pieces (TeX extensions pulled in by ``autoload``,
  the menu's accessibility and SVG-output components) resolve relative to the loader. ``mathjax_path`` in
  ``_config.yml`` points at ``mathjax/tex-mml-chtml.js``; a URL there is reported as a warning (fatal
  under ``-W``), because the book must not depend on a CDN.
* **plotly.js** is copied from the installed plotly package into ``_static/plotly/`` and added, as a plain
  (blocking) ``<script>`` in the page head, only to pages whose body has a plotly figure, so it is
  defined before the figures' inline ``Plotly.newPlot`` calls run.
* **plotly's JSON output** (``application/vnd.plotly.v1+json``, which JupyterLab draws) sits next to the
  ``text/html`` version in each figure's output. myst-nb turns every mime type of an output into nodes
  before it picks one per builder, and warns on a type it has no renderer for (fatal under ``-W``). A
  small mime-render plugin accepts the plotly type as a placeholder and gives it no priority, so the HTML
  builders pick ``text/html``; an output that has *only* the plotly JSON still fails the build (myst-nb's
  "No mime type available in priority list" warning) instead of silently losing the figure.
* **sphinx-thebe** is loaded by Jupyter Book unconditionally, although launch buttons/thebe are off. Its
  inline ``const THEBE_JS_URL = ...`` script is registered after the HTML builder is initialised, so
  Sphinx adds it to each page twice (once as ``_JavaScript(None)``, once as ``_JavaScript('')``, which do
  not compare equal), and the browser reports ``Identifier 'THEBE_JS_URL' has already been declared``.
  We use no thebe, so its scripts, stylesheet and per-page config blocks are not added at all. And a
  chapter with (output-removed) ipywidgets still gets the notebook's widget state embedded as JSON
  (tens of kB); with ``nb_ipywidgets_js: {}`` no widget manager would ever read it, so it is dropped.

The copies are made when the HTML builder starts and are incremental (unchanged files are skipped), so a
cached rebuild stays fast. Nothing here is committed: the sources live in the virtual environment.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

MATHJAX_DIR = "mathjax"  # under _static
MATHJAX_ENTRY = "tex-mml-chtml.js"
PLOTLY_JS = "plotly/plotly.min.js"  # under _static
PLOTLY_MARKER = "plotly-graph-div"  # the class plotly.io.to_html gives every figure's div
PLOTLY_MIME = "application/vnd.plotly.v1+json"

# Top-level files of MathJax's es5 folder that the book does not load: the other combined bundles and the
# Node/CDN entry points. Everything else (core, loader, startup, a11y/, adaptors/, input/, output/, sre/,
# ui/) is copied, because the entry bundle may load any of it on demand.
_MATHJAX_SKIP = {
    "latest.js",  # redirects to a CDN
    "node-main.js",
    "mml-chtml.js",
    "mml-svg.js",
    "tex-chtml.js",
    "tex-chtml-full.js",
    "tex-chtml-full-speech.js",
    "tex-svg.js",
    "tex-svg-full.js",
    "tex-mml-svg.js",
}


def _package_dir(name: str) -> Path:
    """Where an installed package lives, found without importing it (``mathjax`` would need Django)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {name!r} is not installed; `make book` installs requirements.txt")
    return Path(next(iter(spec.submodule_search_locations)))


def mathjax_source() -> Path:
    """MathJax's es5 build inside the django-static-mathjax wheel."""
    es5 = _package_dir("mathjax") / "static" / "mathjax" / "es5"
    if not (es5 / MATHJAX_ENTRY).is_file():
        raise RuntimeError(f"expected MathJax's {MATHJAX_ENTRY} in {es5} (django-static-mathjax); not found")
    return es5


def plotly_source() -> Path:
    """``plotly.min.js`` shipped in plotly.py's package data."""
    path = _package_dir("plotly") / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise RuntimeError(f"expected plotly.js at {path}; not found")
    return path


def _sync_file(src: Path, dst: Path) -> bool:
    """Copy ``src`` to ``dst`` unless an identical-looking copy (size, mtime) is already there."""
    if dst.is_file():
        s, d = src.stat(), dst.stat()
        if s.st_size == d.st_size and int(s.st_mtime) == int(d.st_mtime):
            return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)
    return True


def _sync_mathjax(static: Path) -> int:
    src_root = mathjax_source()
    copied = 0
    for src in src_root.rglob("*"):
        rel = src.relative_to(src_root)
        if src.is_dir() or (len(rel.parts) == 1 and rel.name in _MATHJAX_SKIP):
            continue
        copied += _sync_file(src, static / MATHJAX_DIR / rel)
    return copied


def copy_offline_assets(app: Sphinx) -> None:
    """builder-inited: put MathJax and plotly.js into the HTML output's ``_static``."""
    if app.builder.format != "html":
        return
    static = Path(app.outdir) / "_static"
    n_mathjax = _sync_mathjax(static)
    n_plotly = _sync_file(plotly_source(), static / PLOTLY_JS)
    logger.info(f"[nodebook_offline] _static: {n_mathjax} MathJax file(s), {int(n_plotly)} plotly.js copied")


def check_mathjax_path(app: Sphinx, config) -> None:
    """config-inited: the book's MathJax must be the local copy."""
    expected = f"{MATHJAX_DIR}/{MATHJAX_ENTRY}"
    if config.mathjax_path != expected:
        logger.warning(
            f"[nodebook_offline] mathjax_path should be {expected!r} (served from the book's _static so "
            f"pages work offline); got {config.mathjax_path!r}",
            type="nodebook",
            subtype="offline",
        )


def add_plotly_js(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """html-page-context: load plotly.js on pages that have a plotly figure, and only there.

    Like ``sphinx.ext.mathjax``, this adds to the builder's per-page script list, which Sphinx resets
    before each page. No ``defer``/``async``: the figures' inline scripts call ``Plotly`` as the body parses.
    """
    if app.builder.format != "html" or PLOTLY_MARKER not in context.get("body", ""):
        return
    app.builder.add_js_file(PLOTLY_JS, priority=400)


class PlotlyJsonPlaceholder:
    """myst-nb mime-render plugin: accept plotly's JSON output, never choose it (HTML is chosen)."""

    mime_priority_overrides = [("*", PLOTLY_MIME, None)]

    @staticmethod
    def handle_mime(renderer, data, inline: bool):
        if data.mime_type != PLOTLY_MIME:
            return None
        return [nodes.comment("", "plotly figure JSON (for JupyterLab); the book renders its text/html")]


def register_plotly_mime() -> None:
    """Add :class:`PlotlyJsonPlaceholder` to myst-nb's plugins.

    myst-nb discovers plugins through the ``myst_nb.mime_renderers`` entry point and caches the list it
    loads (``load_mime_renders``), so appending to that cached list registers one without packaging an
    entry point.
    """
    from myst_nb.core.render import load_mime_renders

    plugins = load_mime_renders()
    if PlotlyJsonPlaceholder not in plugins:
        plugins.append(PlotlyJsonPlaceholder)


WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"


def drop_unread_widget_state(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """html-page-context (after myst-nb's): no widget manager is loaded, so nothing reads the state."""
    if app.config.nb_ipywidgets_js or "script_files" not in context:
        return
    context["script_files"][:] = [
        js for js in context["script_files"] if getattr(js, "attributes", {}).get("type") != WIDGET_STATE_MIME
    ]


def _is_thebe_asset(filename: str | None, body: str) -> bool:
    return "thebe" in (filename or "").lower() or "THEBE_JS_URL" in (body or "")


_THEBE_HANDLERS = {"st_static_path", "init_thebe_core", "update_thebe_context"}


def drop_thebe(app: Sphinx) -> None:
    """Take sphinx-thebe's assets and per-page config out of the build (we never launch thebe).

    sphinx-thebe registers its stylesheet in ``setup`` and connects handlers that copy its static files
    (``builder-inited``), add its scripts (``env-before-read-docs``) and append a config ``<script>`` to
    every page (``doctree-resolved``). Jupyter Book always loads the extension, so we disconnect those.
    """
    if "sphinx_thebe" not in app.extensions:
        return
    for event in ("builder-inited", "env-before-read-docs", "doctree-resolved"):
        for listener in list(app.events.listeners.get(event, [])):
            handler = listener.handler
            if getattr(handler, "__module__", "") == "sphinx_thebe" and handler.__name__ in _THEBE_HANDLERS:
                app.disconnect(listener.id)
    app.registry.css_files[:] = [(f, a) for f, a in app.registry.css_files if "thebe" not in (f or "")]
    app.registry.js_files[:] = [
        (f, a) for f, a in app.registry.js_files if not _is_thebe_asset(f, a.get("body", ""))
    ]


def setup(app: Sphinx) -> dict:
    drop_thebe(app)
    register_plotly_mime()
    app.connect("config-inited", check_mathjax_path)
    app.connect("builder-inited", copy_offline_assets)
    app.connect("html-page-context", add_plotly_js)
    app.connect("html-page-context", drop_unread_widget_state, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
