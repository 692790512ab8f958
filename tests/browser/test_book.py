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


# ------------------------------------------------------------------ downloads, launch, slides, PDF, print
# Added for the course kit (issue 14): what the built site serves besides its pages.
import io  # noqa: E402
import json  # noqa: E402
import zipfile  # noqa: E402

from .conftest import ROOT  # noqa: E402

CHAPTERS = [d for d in DOCNAMES if d.startswith("chapters/")]
SLIDES_READY_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  return {ready: Reveal.isReady(), total: Reveal.getTotalSlides(),
          typeset: document.querySelectorAll('mjx-container').length,
          errors: Array.from(document.querySelectorAll('mjx-merror')).map(e => e.textContent.slice(0, 80)),
          raw: Array.from(document.querySelectorAll('.equation')).filter(e => !e.querySelector('mjx-container'))
                 .map(e => e.textContent.slice(0, 80))};
}"""


def _settings():
    from nodebook_build import read_settings

    return read_settings(ROOT / "_config.yml")


def _fetch(page, url: str) -> bytes:
    response = page.request.get(url)
    assert response.ok, f"{url}: HTTP {response.status}"
    return response.body()


@pytest.mark.parametrize("docname", CHAPTERS)
def test_chapter_offers_learner_notebook_slides_and_launch(chromium, book_url, docname):
    """The line under the title links the learner .ipynb (plain Jupyter Markdown, no solution) and the
    slides; launch buttons show exactly when _config.yml has a repository URL, and open that notebook."""
    import nbformat

    from nodebook_build import launch_links, markdown_leftovers

    v = open_page(chromium, book_url, docname)
    try:
        links = v.page.locator(".nodebook-chapter-links a")
        hrefs = {links.nth(i).get_attribute("class"): links.nth(i).evaluate("a => a.href")
                 for i in range(links.count())}
        stem = docname.rsplit("/", 1)[1]
        assert hrefs.get("nodebook-notebook", "").endswith(f"/notebooks/{stem}.ipynb"), hrefs
        nb = nbformat.reads(_fetch(v.page, hrefs["nodebook-notebook"]).decode(), as_version=4)
        assert markdown_leftovers(nb) == [], f"{docname}: MyST left in the learner notebook"
        assert not [c for c in nb.cells if "solution" in c.metadata.get("tags", [])], f"{docname}: a solution"
        assert "computed when the chapter runs" not in json.dumps(nb), \
            f"{docname}: a glued value was not filled in from the executed run"
        assert b"reveal.js" in _fetch(v.page, hrefs["nodebook-slides"])
        header = v.page.locator(".dropdown-download-buttons a[href$='.ipynb']")
        assert header.count() >= 1, f"{docname}: the download menu offers no .ipynb"
        expected = launch_links(_settings(), stem)
        launch = v.page.locator("a.nodebook-launch")
        assert launch.count() == len(expected), f"{docname}: {launch.count()} launch links, expected {expected}"
        for i, (_, url) in enumerate(expected):
            assert launch.nth(i).get_attribute("href") == url
        if not expected:
            assert v.page.locator("a[href*='mybinder'], a[href*='colab.research']").count() == 0
        v.assert_clean()
    finally:
        v.context.close()


def test_landing_page_links_student_zip_and_pdf(chromium, book_url):
    v = open_page(chromium, book_url, DOCNAMES[0])
    try:
        zip_link = v.page.locator(".nodebook-downloads a[href$='.zip']")
        pdf_link = v.page.locator(".nodebook-downloads a[href$='.pdf']")
        assert zip_link.count() == 1 and pdf_link.count() == 1
        with zipfile.ZipFile(io.BytesIO(_fetch(v.page, zip_link.evaluate("a => a.href")))) as zf:
            names = sorted(zf.namelist())
        # the chapters' learner notebooks, and the graded assignments as notebooks (public checks only)
        assignments = [f"assignment-{p.stem}.ipynb" for p in (ROOT / "book" / "assignments").glob("ch*.md")]
        assert names == sorted([f"nodebook/{d.rsplit('/', 1)[1]}.ipynb" for d in CHAPTERS] + assignments)
        pdf = _fetch(v.page, pdf_link.evaluate("a => a.href"))
        assert pdf.startswith(b"%PDF"), "the landing page's PDF link is not a PDF"
        pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
        assert pages >= 5 * len(CHAPTERS), f"the book's PDF has only {pages} pages"
        v.assert_clean()
    finally:
        v.context.close()


def test_student_pdf_was_printed_without_solutions(html_dir):
    """The PDF is printed from pdf/book.html: every page of the book is in it, no solution is."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((html_dir / "pdf" / "book.html").read_text(), "html.parser")
    assert not soup.select(".solution"), "a solution made it into the student PDF"
    sections = [s["id"] for s in soup.select("section.nodebook-print-page")]
    assert sections == [d.replace("/", "-") for d in DOCNAMES]
    assert soup.select(".exercise"), "the exercises themselves belong in the PDF"


@pytest.mark.parametrize("docname", CHAPTERS)
def test_slides_open_offline(chromium, book_url, docname):
    """Each chapter's slides: reveal.js starts, there are slides, math is typeset, every plotly figure is
    drawn, stepping through all slides raises nothing, and nothing is fetched from outside the site."""
    stem = docname.rsplit("/", 1)[1]
    v = open_page(chromium, book_url, f"slides/{stem}")
    try:
        state = v.page.evaluate(SLIDES_READY_JS)
        assert state["ready"] and state["total"] >= 5, f"{stem}: slides not ready or too few: {state}"
        assert state["typeset"] > 0 and not state["errors"] and not state["raw"], f"{stem}: math: {state}"
        assert all(f["drawn"] for f in v.page.evaluate(FIGURES_JS)), f"{stem}: a plotly figure was not drawn"
        for _ in range(state["total"]):
            v.page.evaluate("Reveal.next()")
        assert v.page.evaluate("Reveal.isLastSlide()")
        v.assert_clean()
    finally:
        v.context.close()


@pytest.mark.parametrize("docname", CHAPTERS)
def test_print_keeps_solutions_folded(chromium, book_url, docname):
    """Printing a chapter (beforeprint, print media) shows each solution's title, never its body."""
    v = open_page(chromium, book_url, docname)
    try:
        v.page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        v.page.emulate_media(media="print")
        shown = v.page.evaluate("""() => Array.from(document.querySelectorAll('.solution'))
          .flatMap(box => Array.from(box.querySelectorAll(':scope > :not(.admonition-title)')))
          .filter(el => el.getClientRects().length > 0).length""")
        assert shown == 0, f"{docname}: {shown} solution part(s) print"
        v.assert_clean()
    finally:
        v.context.close()


# ------------------------------------------------------------------------ rendered right everywhere
# Text a reader should never see: Markdown or MyST that was not rendered. Code, maths and the page's own
# scripts are skipped; what is left is prose, tables and outputs.
RAW_TEXT_JS = r"""() => {
  const root = document.querySelector('main') || document.querySelector('.reveal') || document.body;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {acceptNode: n =>
    n.parentElement.closest('pre, code, script, style, textarea, mjx-container, .highlight, .math, aside.notes')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  const text = [];
  for (let n; (n = walker.nextNode());) text.push(n.textContent);
  const all = text.join('\n');
  const found = [];
  const patterns = {
    'pipe table': /^\s*\|[^\n|]*\|[^\n]*\|\s*$|\|\s*:?-{3,}:?\s*\|/m,
    'MyST role': /\{(glue|glue:text|glue:md|ref|numref|doc|cite|cite:p|cite:t|eq|term|download)\}`/,
    'MyST directive': /```\{[\w-]+\}|^:::\{?[\w-]*\}?/m,
    'MyST target': /^\(([\w-]+)\)=\s*$/m,
    'Markdown emphasis': /(^|\s)\*\*[^*\n]{1,80}\*\*(\s|[.,;:]|$)/m,
  };
  for (const [what, re] of Object.entries(patterns)) {
    const m = all.match(re);
    if (m) found.push(`${what}: ${JSON.stringify(all.slice(Math.max(0, m.index - 40), m.index + 80))}`);
  }
  return found;
}"""


def test_no_raw_markdown_or_myst(visit):
    """No pipe table, MyST role/directive/target or Markdown bold shows as text (e.g. a chapter's
    `display(Markdown(table))` rendered as CommonMark, which has no tables)."""
    raw = visit.page.evaluate(RAW_TEXT_JS)
    assert not raw, f"{visit.docname}: unrendered Markdown/MyST: {raw}"


PRINT_WIDTH_PX = 640  # book/_static/nodebook-print.js: A4 less the margins (688 px) less the article padding


@pytest.mark.parametrize("docname", [d for d in DOCNAMES if d.startswith("chapters/")])
def test_plotly_figures_fit_the_print_width(chromium, book_url, docname):
    """Opened on a wide screen and then printed: every plotly figure fits the paper (it was cut on the right)."""
    v = open_page(chromium, book_url, docname)
    try:
        v.page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        v.page.emulate_media(media="print")
        v.page.wait_for_timeout(500)
        widths = v.page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd =>
          Math.max(...Array.from(gd.querySelectorAll('.main-svg')).map(s => s.getBoundingClientRect().width)))""")
        too_wide = [round(w) for w in widths if w > PRINT_WIDTH_PX + 1]
        assert not too_wide, f"{docname}: plotly figures wider than the page ({PRINT_WIDTH_PX} px): {too_wide}"
    finally:
        v.context.close()


SLIDE_HEIGHTS_JS = """async () => {
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  await new Promise(done => setTimeout(done, 300));
  return Array.from(document.querySelectorAll('.reveal .slides > section')).map((s, i) => ({
    index: i, height: s.scrollHeight, title: ((s.querySelector('h2, h3, h4') || {}).innerText || '').slice(0, 40)}));
}"""


@pytest.mark.parametrize("docname", CHAPTERS)
def test_slides_fit_their_frame_and_render(chromium, book_url, docname):
    """Every slide fits reveal.js's 1280x760 frame; the title slide lists the chapter's objectives and
    carries the course's teaching notes as speaker notes; no raw Markdown/MyST on any slide."""
    stem = docname.rsplit("/", 1)[1]
    v = open_page(chromium, book_url, f"slides/{stem}")
    try:
        slides = v.page.evaluate(SLIDE_HEIGHTS_JS)
        tall = [s for s in slides if s["height"] > 760]
        assert not tall, f"{stem}: slides taller than the 760 px frame: {tall}"
        title = v.page.locator(".reveal .slides > section").first
        assert title.locator(".objectives li").count() >= 3, f"{stem}: no objectives on the title slide"
        assert title.locator("h2 ol, h2 li").count() == 0, f"{stem}: the title became a numbered list"
        assert "In class" in title.locator("aside.notes").inner_text(), f"{stem}: no teaching notes"
        raw = v.page.evaluate(RAW_TEXT_JS)
        assert not raw, f"{stem} slides: unrendered Markdown/MyST: {raw}"
    finally:
        v.context.close()


def test_pdf_print_page_has_no_raw_markdown(chromium, book_url, html_dir):
    """The student PDF is printed from pdf/book.html: under print media it shows no raw table or MyST."""
    if not (html_dir / "pdf" / "book.html").is_file():
        pytest.skip("no printed book (make pdf)")
    v = open_page(chromium, book_url, "pdf/book")
    try:
        v.page.emulate_media(media="print")
        raw = v.page.evaluate(RAW_TEXT_JS)
        assert not raw, f"the PDF's pages: unrendered Markdown/MyST: {raw}"
    finally:
        v.context.close()


def _student_pdf(html_dir):
    import pypdf

    path = html_dir / "nodebook-student.pdf"
    if not path.is_file():
        pytest.skip("no printed book (make pdf)")
    return pypdf.PdfReader(str(path))


def test_pdf_contents_give_the_pages_their_links_land_on(html_dir):
    """The cover's contents: one entry per page of the book, each printed with the page (as the footer
    counts it) that its link lands on."""
    from _pdf_reading import contents_entries

    entries = contents_entries(_student_pdf(html_dir))
    assert [d for d, _, _ in entries] == [d.replace("/", "-") for d in DOCNAMES]
    wrong = [(d, f"printed {printed!r}", f"lands on {target}")
             for d, target, printed in entries if printed != str(target)]
    assert not wrong, f"contents entries whose number is not their page: {wrong}"


def test_pdf_sections_do_not_start_with_a_mostly_blank_page(html_dir):
    """A section longer than a page fills its first page (Chapter 1's held its title and one paragraph: the
    tall box after them, kept whole, went to the next page)."""
    from _pdf_reading import contents_entries, ink_fill

    reader = _student_pdf(html_dir)
    starts = sorted(target for _, target, _ in contents_entries(reader)) + [len(reader.pages) + 1]
    fills = {start: ink_fill(reader.pages[start - 1])
             for start, end in zip(starts[:-1], starts[1:], strict=True) if end - start >= 2}
    blank = {page: f"{fill:.0%}" for page, fill in fills.items() if fill < 0.6}
    assert not blank, f"sections whose first page is filled less than 60% of the way down (page: fill): {blank}"
