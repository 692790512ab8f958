"""Slides for a chapter: reveal.js, made from the chapter's headings, key equations and figures.

One slide per section (its heading, its display equations, its first list), then one per figure the
executed chapter drew (matplotlib PNGs inline, plotly figures live, drawn by the book's own plotly.js).
The page loads reveal.js, MathJax and plotly.js from the built book's ``_static`` folder (relative
URLs), so the slides work offline and from disk. They are written next to the site as
``slides/<chapter>.html`` by the Sphinx extension ``book/_ext/nodebook_course.py``.
"""

from __future__ import annotations

import html
import re

from .myst import Context, _fence, convert, split_blocks
from .solutions import cells_without_solutions

REVEAL_DIR = "revealjs"  # under _static: reveal.js, reveal.css (vendored from npm's reveal.js) and our theme
MAX_EQUATIONS = 3
MAX_ITEMS = 8
_DISPLAY_MATH = re.compile(r"^\$\$\s*\n?(?P<tex>.+?)\n?\$\$\s*$", re.S | re.M)
_SECTION = re.compile(r"^(?P<hashes>#{1,2})\s+(?P<title>.+)$", re.M)
_LIST = re.compile(r"(?:^[-*] .*(?:\n(?![-*] )[ \t]+.*)*\n?)+", re.M)
_PLOTLY_MARK = "plotly-graph-div"
_ANCHOR = re.compile(r'<a id="[^"]*"></a>')
_HIDDEN_TAGS = {"remove-output", "remove-cell", "hide-output"}


def _markdown(text: str) -> str:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    def math(content: str, opts: dict) -> str:
        tex = html.escape(content.strip())
        return f"\\[{tex}\\]" if opts.get("display_mode") else f"\\({tex}\\)"

    md = MarkdownIt("commonmark").enable("table").use(dollarmath_plugin, double_inline=True, renderer=math)
    return md.render(text)


def _figures(cell) -> list[str]:
    """HTML for each figure a code cell drew (PNG/SVG images, plotly figures); glue and widgets left out."""
    if _HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
        return []
    out = []
    for output in cell.get("outputs", []):
        if output.get("metadata", {}).get("scrapbook") or output.get("output_type") not in (
                "display_data", "execute_result"):
            continue
        data = output.get("data", {})
        if "image/png" in data:
            png = "".join(data["image/png"]).replace("\n", "")
            out.append(f'<img class="figure" alt="figure" src="data:image/png;base64,{png}">')
        elif "image/svg+xml" in data:
            out.append("".join(data["image/svg+xml"]))
        elif _PLOTLY_MARK in "".join(data.get("text/html", "")):
            out.append(f'<div class="plotly-figure">{"".join(data["text/html"])}</div>')
    return out


def _exercise_line(body: str, ctx: Context) -> str:
    """An exercise on a slide: its bold title if it has one, else its first sentence."""
    text = convert(body, ctx).strip()
    bold = re.match(r"\*\*(.+?)\*\*", text)
    first = bold[1].rstrip(".") if bold else re.split(r"(?<=[.?!])\s", text, maxsplit=1)[0]
    return f"- {first}\n"


def _sections(nb, ctx: Context, source=None) -> list[dict]:
    """The chapter as ``[{level, title, text, figures}]``, in order; Markdown already plain (glue filled).

    Solutions are left out (their text, code and figures) by the parser the student notebooks use
    (:mod:`.solutions`; an unclosed ``solution-start`` is a ``ValueError`` naming the file and line);
    an exercise becomes one line of a list.
    """
    sections = [{"level": 1, "title": "", "text": "", "figures": []}]
    path, text = (str(source), source.read_text()) if source is not None else ("<chapter>", None)
    for cell in cells_without_solutions(nb.cells, path, text):
        if cell.cell_type == "code":
            sections[-1]["figures"] += _figures(cell)
            continue
        parts = []
        for block in split_blocks(cell.source):
            name = block.directive.name if block.directive else ""
            if name in ("exercise", "exercise-start"):
                parts.append(_exercise_line(block.directive.body, ctx))
            elif name == "exercise-end":
                continue
            else:
                parts.append(convert(block.text if block.kind != "directive" else _fence(block.directive), ctx))
        text, pos = "\n".join(parts), 0
        for m in _SECTION.finditer(text):
            sections[-1]["text"] += text[pos:m.start()]
            sections.append({"level": len(m["hashes"]), "title": m["title"].strip(), "text": "", "figures": []})
            pos = m.end()
        sections[-1]["text"] += text[pos:] + "\n\n"
    return [s for s in sections if s["title"] or _ANCHOR.sub("", s["text"]).strip() or s["figures"]]


def _first_paragraph(text: str) -> str:
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if para and not para.startswith((">", "$$", "<a ", "|", "```", "-", "*")):
            return re.split(r"\n(?=>|\$\$|```|\|)", para, maxsplit=1)[0].strip()  # up to a quote/maths/fence
    return ""


def _first_sentences(text: str, max_chars: int = 200) -> str:
    """The paragraph's first sentences, up to ``max_chars`` (a title slide shows the gist, not the prose)."""
    out = ""
    for sentence in re.split(r"(?<=[.?!])\s+", text.strip()):
        if out and len(out) + len(sentence) > max_chars:
            break
        out = f"{out} {sentence}".strip()
    return out


def _inline(text: str) -> str:
    """One line of Markdown as inline HTML ("1. Title" stays a title, not a numbered list)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").renderInline(text)


def _title_slide(title: str, text: str, notes: str) -> str:
    """Title, the chapter's gist and its learning objectives on one slide; the teaching notes as speaker notes."""
    goals = _LIST.findall(text.replace("> ", ""))
    objectives = (f'<div class="objectives"><h4>Learning objectives</h4>{_markdown(goals[0])}</div>'
                  if goals else "")
    lead = _first_sentences(_first_paragraph(text))
    aside = f'<aside class="notes">{notes}</aside>' if notes else ""
    return f'<section class="title-slide"><h2>{_inline(title)}</h2><p class="lead">{_inline(lead)}</p>' \
           f"{objectives}{aside}</section>"


def slide_sections(nb, ctx: Context, notes: str = "", source=None) -> list[str]:
    """``<section>`` elements: a title slide (gist, objectives, ``notes`` as speaker notes: HTML), then per
    section its heading/equations/list, then its figures (``source``: the chapter's path, named in errors)."""
    slides = []
    for sec in _sections(nb, ctx, source):
        title = _inline(sec["title"])
        if sec["title"].lower().startswith(("references", "bibliography")):
            continue
        text = re.sub(r"^>.*$", "", sec["text"], flags=re.M) if sec["level"] > 1 else sec["text"]
        equations = [m["tex"].strip() for m in _DISPLAY_MATH.finditer(text)][:MAX_EQUATIONS]
        lists = _LIST.findall(text)
        body = []
        if sec["level"] == 1 and not slides:
            slides.append(_title_slide(sec["title"], text, notes))
            body = None
        elif sec["level"] == 1:
            body.append(_markdown(_first_paragraph(text)))
        else:
            body += [f'<div class="equation">\\[{html.escape(tex)}\\]</div>' for tex in equations]
            items = [item for lst in lists for item in re.split(r"\n(?=[-*] )", lst.strip())][:MAX_ITEMS]
            if items:
                body.append(f'<div class="list">{_markdown(chr(10).join(items))}</div>')
            if not body:
                body.append(f'<div class="lead">{_markdown(_first_paragraph(text))}</div>')
        if body is not None:
            tag = "h2" if sec["level"] == 1 else "h3"
            slides.append(f"<section><{tag}>{title}</{tag}>{''.join(body)}</section>")
        for fig in sec["figures"]:
            slides.append(f'<section class="figure-slide"><h4>{title}</h4>{fig}</section>')
    return slides


def slides_html(nb, ctx: Context, *, title: str, chapter_url: str, static: str = "../_static",
                notes: str = "", source=None) -> str:
    """A complete reveal.js page for a chapter (``static``: the site's ``_static`` relative to the page;
    ``notes``: HTML of the teaching notes, as reveal.js speaker notes: hidden on the slides, shown with ``?notes``
    in the URL or in any reveal.js speaker view; ``source``: the chapter's ``Path``, named with the line in a
    solution error)."""
    sections = slide_sections(nb, ctx, notes, source)
    sections[0] = sections[0].replace("</section>", f'<p class="back"><a href="{html.escape(chapter_url)}">'
                                                    "Read the chapter</a></p></section>", 1)
    has_plotly = any(_PLOTLY_MARK in s for s in sections)
    plotly = f'<script src="{static}/plotly/plotly.min.js"></script>\n' if has_plotly else ""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} (slides)</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{static}/{REVEAL_DIR}/reveal.css">
<link rel="stylesheet" href="{static}/{REVEAL_DIR}/nodebook-slides.css">
<script>window.MathJax = {{tex: {{inlineMath: [["\\\\(", "\\\\)"]], displayMath: [["\\\\[", "\\\\]"]]}}}};</script>
<script defer src="{static}/mathjax/tex-mml-chtml.js"></script>
{plotly}</head>
<body>
<div class="reveal"><div class="slides">
{chr(10).join(sections)}
</div></div>
<script src="{static}/{REVEAL_DIR}/reveal.js"></script>
<script>
Reveal.initialize({{hash: true, width: 1280, height: 760, margin: 0.04, center: false, transition: "none",
                   // the teaching notes: hidden; `?notes` in the URL shows them under the slides (the presenter's copy)
                   showNotes: new URLSearchParams(location.search).has("notes")}});
// plotly sizes a figure when it is drawn; slides that were hidden then are resized when shown.
// A slide whose content is taller than the frame is set in a smaller type until it fits (after MathJax).
function fitSlides() {{
  document.querySelectorAll(".reveal .slides > section").forEach(section => {{
    let size = 100;
    while (section.scrollHeight > 760 && size > 55) {{ size -= 5; section.style.fontSize = size + "%"; }}
  }});
}}
window.addEventListener("load", () =>
  (window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve()).then(fitSlides));
Reveal.on("ready", fitSlides);
Reveal.on("slidechanged", event => {{
  if (window.Plotly) event.currentSlide.querySelectorAll(".plotly-graph-div").forEach(gd => Plotly.Plots.resize(gd));
}});
</script>
</body>
</html>
"""
