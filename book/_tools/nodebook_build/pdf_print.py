"""Printing an HTML file to PDF with Chromium (through playwright), offline, at the printed page's width."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from .pdf_pages import page_count

CHROMIUM = "/usr/bin/chromium"
PRINT_WIDTH_PX = 680  # A4 (210 mm) less 2 x 14 mm margins, at 96 px per inch: about 688 px
# A box the theme keeps in one piece (break-inside: avoid: admonitions, code blocks, tables, outputs) that is
# taller than a third of a page may break across pages: kept whole, it went to the next page and left up
# to half a page blank (the first page of every chapter held its title and one paragraph, because the tall
# "In this chapter" box after it did not fit). Figures stay whole (they cannot be split).
PAGE_HEIGHT_PX = (297 - 16 - 18) / 25.4 * 96  # A4 less the top and bottom margins of @page
RELAX_TALL_BOXES_JS = """(limit) => {
  const whole = '.js-plotly-plot, .plot-container, .svg-container, img, svg, mjx-container, figure';
  let relaxed = 0;
  for (const el of document.querySelectorAll('.nodebook-print *')) {
    if (el.matches(whole) || el.closest('figure, .js-plotly-plot, mjx-container')) continue;
    const avoid = getComputedStyle(el).breakInside;
    if ((avoid === 'avoid' || avoid === 'avoid-page') && el.getBoundingClientRect().height > limit) {
      el.style.setProperty('break-inside', 'auto', 'important');
      relaxed += 1;
    }
  }
  return relaxed;
}"""


@contextlib.contextmanager
def printer(chromium: str = CHROMIUM, timeout_s: float = 120):
    """A Chromium tab that prints HTML files to PDF, offline; yields ``print_to(page, out) -> refused URLs``."""
    from playwright.sync_api import sync_playwright

    if not Path(chromium).exists():
        raise FileNotFoundError(f"expected Chromium at {chromium} (apt-get install -y chromium); not found")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            # Lay the page out at the printable width (A4 less the margins), so plotly draws its figures
            # that wide (it sizes them when drawn; at the default 1280 px they were cut off on paper).
            context = browser.new_context(viewport={"width": PRINT_WIDTH_PX, "height": 1000})
            refused: list[str] = []
            context.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else (
                refused.append(r.request.url), r.abort()))
            tab = context.new_page()
            tab.set_default_timeout(timeout_s * 1000)

            def print_to(page: Path, out: Path) -> list[str]:
                tab.emulate_media(media="screen")
                tab.goto(Path(page).resolve().as_uri(), wait_until="load")
                tab.evaluate("async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise;"
                             " await document.fonts.ready; }")
                tab.wait_for_function("() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
                                      ".every(gd => gd.querySelector('.main-svg'))", timeout=30_000)
                tab.emulate_media(media="print")
                tab.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")  # the site's print hook
                tab.evaluate(RELAX_TALL_BOXES_JS, PAGE_HEIGHT_PX / 3)
                footer = ('<div style="font-size:8px; width:100%; text-align:center; color:#666">'
                          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
                tab.pdf(path=str(out), format="A4", print_background=True, display_header_footer=True,
                        header_template="<span></span>", footer_template=footer, prefer_css_page_size=True)
                return list(refused)

            yield print_to
        finally:
            browser.close()


def print_pdf(page: Path, out: Path, *, chromium: str = CHROMIUM, timeout_s: float = 120) -> dict:
    """Print an HTML file to PDF with Chromium (offline: any request that is not a local file is refused).

    Returns:
        ``{"pages", "bytes", "seconds", "refused"}``; ``refused`` lists requests that went outside.
    """
    start = time.perf_counter()
    with printer(chromium, timeout_s) as print_to:
        refused = print_to(page, out)
    return {"pages": page_count(out), "bytes": Path(out).stat().st_size,
            "seconds": round(time.perf_counter() - start, 1), "refused": refused}
