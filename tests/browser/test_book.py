"""Every page of the built book, in a real browser with no network.

For each page in _toc.yml: nothing is fetched from outside 127.0.0.1, nothing local 404s, the console has
no errors, MathJax typeset every formula, every plotly figure is drawn and its slider changes the plot
when dragged with the mouse, images load, and exercise solutions stay collapsed until clicked. A
full-page screenshot of each page goes to _build/screenshots/.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

import pytest

from .conftest import toc_docnames

pytestmark = pytest.mark.browser

DOCNAMES = toc_docnames()

# Console errors we have understood and accept, as (regex, why). Keep it empty unless there is a reason
# that has been investigated; an entry without a reason is not allowed.
CONSOLE_ALLOW: list[tuple[str, str]] = []

READY_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  await Promise.all(Array.from(document.images).map(img => img.complete ? null :
    new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
  await document.fonts.ready;
}"""

ALL_PLOTS_DRAWN_JS = """() => Array.from(document.querySelectorAll('.plotly-graph-div'))
  .every(gd => gd.querySelector('.main-svg'))"""

MATH_JS = r"""() => {
  const maths = Array.from(document.querySelectorAll('.math'));
  const raw = [];
  const root = document.querySelector('main') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {acceptNode: n =>
    n.parentElement.closest('pre, code, script, style, textarea, mjx-container, .highlight')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  for (let n; (n = walker.nextNode());) {
    if (/\\\(|\\\)|\\\[|\\\]|\$\$/.test(n.textContent)) raw.push(n.textContent.trim().slice(0, 80));
  }
  return {
    count: maths.length,
    typeset: document.querySelectorAll('mjx-container').length,
    unrendered: maths.filter(el => !el.querySelector('mjx-container')).map(el => el.textContent.slice(0, 80)),
    errors: Array.from(document.querySelectorAll('mjx-merror')).map(el => el.textContent.slice(0, 80)),
    raw: raw,
  };
}"""

FIGURES_JS = """() => Array.from(document.querySelectorAll('.plotly-graph-div')).map(gd => {
  const box = gd.getBoundingClientRect();
  return {id: gd.id, drawn: !!gd.querySelector('.main-svg'), traces: (gd.data || []).length,
          sliders: ((gd._fullLayout || {}).sliders || []).filter(s => s.visible !== false).length,
          width: box.width, height: box.height};
})"""

# What the figure shows: trace visibility, and every drawn path/point of the data layers.
SIGNATURE_JS = """gd => JSON.stringify({
  visible: (gd.data || []).map(t => t.visible === undefined ? true : t.visible),
  drawn: Array.from(gd.querySelectorAll(
      '.cartesianlayer path, .polarlayer path, .ternarylayer path, .shapelayer path, .imagelayer image'))
    .map(el => ['d', 'transform', 'href'].map(a => el.getAttribute(a) || '').join('|')),
})"""

IMAGES_JS = """() => Array.from(document.images).map(img => ({
  src: img.currentSrc || img.src, complete: img.complete, width: img.naturalWidth}))"""


@dataclass
class Visit:
    """A page opened in its own browser context, with everything it asked the network for."""

    docname: str
    url: str
    host: str
    external: list[tuple[str, str]] = field(default_factory=list)  # (resource type, url), aborted
    failed: list[str] = field(default_factory=list)  # local requests that did not succeed
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    page: object = None
    context: object = None

    def unexplained_console_errors(self) -> list[str]:
        return [e for e in self.console_errors if not any(re.search(p, e) for p, _ in CONSOLE_ALLOW)]

    def assert_clean(self) -> None:
        problems = []
        if self.external:
            problems.append("requests to the network (the book must work offline):\n    " + "\n    ".join(
                f"{kind}: {url}" for kind, url in self.external))
        if self.failed:
            problems.append("local requests that failed:\n    " + "\n    ".join(self.failed))
        if self.page_errors:
            problems.append("uncaught page errors:\n    " + "\n    ".join(self.page_errors))
        if errors := self.unexplained_console_errors():
            problems.append("console errors:\n    " + "\n    ".join(errors))
        assert not problems, f"{self.docname}: " + "\n  ".join(problems)


def open_page(chromium, book_url: str, docname: str) -> Visit:
    """Load a page with every non-local request aborted and recorded; wait for MathJax, images, plots."""
    visit = Visit(docname=docname, url=f"{book_url}/{docname}.html", host=urlparse(book_url).netloc)
    context = chromium.new_context(viewport={"width": 1280, "height": 900})

    def route(r):
        if urlparse(r.request.url).netloc == visit.host:
            r.continue_()
        else:
            visit.external.append((r.request.resource_type, r.request.url))
            r.abort()

    def is_local(url: str) -> bool:
        return urlparse(url).netloc == visit.host

    context.route("**/*", route)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda m: m.type == "error" and visit.console_errors.append(
        f"{m.text} (at {m.location.get('url', '?')}:{m.location.get('lineNumber', '?')})"))
    page.on("pageerror", lambda err: visit.page_errors.append(str(err)))
    page.on("response", lambda r: r.status >= 400 and is_local(r.url) and visit.failed.append(
        f"HTTP {r.status} {r.url}"))
    page.on("requestfailed", lambda r: is_local(r.url) and visit.failed.append(f"{r.failure} {r.url}"))
    response = page.goto(visit.url, wait_until="load")
    if visit.url.startswith("http"):  # file:// loads have no HTTP response
        status = response.status if response is not None else "no response"
        assert response is not None and response.ok, f"{visit.url} did not load: {status}"
    page.evaluate(READY_JS)
    try:
        page.wait_for_function(ALL_PLOTS_DRAWN_JS, timeout=10_000)
    except Exception:  # noqa: BLE001 - test_plotly_figures_drawn reports which figure is missing
        pass
    visit.page, visit.context = page, context
    return visit


@pytest.fixture(scope="session", params=DOCNAMES)
def visit(request, chromium, book_url, screenshot_dir):
    """One load of each page, shared by the tests below; takes the page's screenshot first.

    pytest runs a session fixture's tests grouped by parameter and in file order, so the tests that
    click things (sliders, solutions) are defined last and run after the read-only checks.
    """
    v = open_page(chromium, book_url, request.param)
    v.page.screenshot(path=str(screenshot_dir / (request.param.replace("/", "__") + ".png")), full_page=True)
    yield v
    v.context.close()


def test_root_index_redirects_to_landing_page(chromium, book_url):
    """_build/html/index.html, the file `make book` tells readers to open, leads to the landing page."""
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(f"{book_url}/index.html")
        page.wait_for_url(f"{book_url}/{DOCNAMES[0]}.html", timeout=10_000)
    finally:
        context.close()


@pytest.mark.parametrize("docname", DOCNAMES)
def test_page_works_from_disk(chromium, html_dir, docname):
    """Readers may open _build/html/index.html straight from disk (file://), with no server at all."""
    v = open_page(chromium, html_dir.as_uri(), docname)
    try:
        v.assert_clean()
        math = v.page.evaluate(MATH_JS)
        assert not math["unrendered"], f"{docname} (file://): formulas left as TeX: {math['unrendered']}"
        assert all(f["drawn"] for f in v.page.evaluate(FIGURES_JS)), f"{docname} (file://): figure not drawn"
    finally:
        v.context.close()


def test_console_allow_list_is_explained():
    assert all(why.strip() for _, why in CONSOLE_ALLOW), "every allowed console error needs a reason"


def test_page_works_offline_without_errors(visit):
    visit.assert_clean()


def test_math_rendered_by_mathjax(visit):
    math = visit.page.evaluate(MATH_JS)
    if math["count"]:
        assert math["typeset"] > 0, f"{visit.docname}: {math['count']} formulas but MathJax typeset none"
    assert not math["unrendered"], f"{visit.docname}: formulas left as TeX: {math['unrendered']}"
    assert not math["errors"], f"{visit.docname}: MathJax errors: {math['errors']}"
    assert not math["raw"], f"{visit.docname}: raw TeX delimiters in the text: {math['raw']}"


def test_plotly_figures_drawn(visit):
    for fig in visit.page.evaluate(FIGURES_JS):
        where = f"{visit.docname}: plotly figure #{fig['id']}"
        assert fig["drawn"], f"{where} was not drawn (is plotly.js loaded?)"
        assert fig["traces"] > 0, f"{where} has no traces"
        assert fig["width"] > 0 and fig["height"] > 0, f"{where} has no size"


def test_images_load(visit):
    images = visit.page.evaluate(IMAGES_JS)
    broken = [img["src"] for img in images if not img["complete"] or img["width"] == 0]
    assert not broken, f"{visit.docname}: images that did not load: {broken}"


def _drag_slider(page, gd, index: int) -> tuple[int, int]:
    """Drag slider ``index`` of figure ``gd`` with the mouse, from its grip to another step's tick.

    Returns (active step before, step aimed at).
    """
    group = gd.locator(".slider-group").nth(index)
    group.scroll_into_view_if_needed()
    state = gd.evaluate(
        "(gd, k) => ({active: gd._fullLayout.sliders[k].active || 0,"
        " n: gd._fullLayout.sliders[k].steps.length})",
        index,
    )
    assert state["n"] > 1, "a slider needs at least two steps"
    target = state["n"] - 1 if state["active"] != state["n"] - 1 else 0
    grip = group.locator(".slider-grip-rect").bounding_box()
    rail = group.locator(".slider-rail-rect").bounding_box()
    ticks = group.locator(".slider-tick-rect")
    if ticks.count() == state["n"]:
        tick = ticks.nth(target).bounding_box()
        x = tick["x"] + tick["width"] / 2
    else:  # no ticks drawn: aim at the rail's end
        x = rail["x"] + (rail["width"] - 2 if target else 2)
    y = grip["y"] + grip["height"] / 2
    page.mouse.move(grip["x"] + grip["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(x, y, steps=12)
    page.mouse.up()
    return state["active"], target


def test_plotly_sliders_change_the_plot(visit):
    v, page, docname = visit, visit.page, visit.docname
    figures = [f for f in page.evaluate(FIGURES_JS) if f["sliders"]]
    for fig in figures:
        gd = page.locator(f"#{fig['id']}")
        for k in range(fig["sliders"]):
            before = gd.evaluate(SIGNATURE_JS)
            was, target = _drag_slider(page, gd, k)
            deadline = time.monotonic() + 5
            after = before
            while after == before and time.monotonic() < deadline:
                page.wait_for_timeout(100)
                after = gd.evaluate(SIGNATURE_JS)
            active = gd.evaluate("(gd, k) => gd._fullLayout.sliders[k].active", k)
            where = f"{docname}: slider {k} of #{fig['id']}"
            assert active == target, f"{where} did not move from step {was} to {target} (it is at {active})"
            assert after != before, f"{where} moved but the plot did not change"
    v.assert_clean()


def test_solutions_collapsed_until_clicked(visit):
    v, page, docname = visit, visit.page, visit.docname
    dropdowns = page.locator(".solution.dropdown, .admonition.dropdown")
    for i in range(dropdowns.count()):
        box = dropdowns.nth(i)
        body = box.locator(":scope > :not(.admonition-title)")
        assert body.count() > 0, f"{docname}: dropdown {i} has no content"
        shown = [j for j in range(body.count()) if body.nth(j).is_visible()]
        name = box.get_attribute("id")
        assert not shown, f"{docname}: dropdown {i} ({name}) shows its content before a click"
        box.locator(".admonition-title .toggle-button").click()
        page.wait_for_function("el => !el.classList.contains('toggle-hidden')", arg=box.element_handle())
        body.first.wait_for(state="visible", timeout=5_000)
        assert body.first.is_visible(), f"{docname}: dropdown {i} still hidden after a click"
    v.assert_clean()
