"""A chapter's teaching notes, read off the course page: its week's objectives, pre-reading and in-class plan.

The slides carry them as speaker notes, so the lecturer's plan and the deck come from one source
(``book/course.md``, "### Week N" sections naming ``{ref}`chN```).
"""

from __future__ import annotations

import re

_WEEK = re.compile(r"^### Week \d+:.*?(?=^#{2,3} |^\(|\Z)", re.S | re.M)
_ITEM = re.compile(r"^- \*\*(?P<name>[^*]+?):?\*\*:?\s*(?P<text>.*?)(?=^- \*\*|\Z)", re.S | re.M)
NOTE_ITEMS = ("Objectives", "In class", "Pre-reading")


def teaching_notes(course_text: str, chapter: str) -> str:
    """HTML of the notes for ``chapter`` (``"ch3"``): ``""`` when no week names it."""
    if not isinstance(course_text, str):
        raise TypeError(f"expected the course page's text as a str; got {type(course_text).__name__}")
    from .slides import _markdown

    for week in _WEEK.finditer(course_text):
        block = week.group(0)
        if f"{{ref}}`{chapter}`" not in block:
            continue
        items = {m["name"].strip().rstrip(":"): " ".join(m["text"].split()) for m in _ITEM.finditer(block)}
        lines = [f"- **{name}:** {items[name]}" for name in NOTE_ITEMS if items.get(name)]
        text = re.sub(r"\{ref\}`([^`<]*?)\s*<[^`]*>`", r"\1", "\n".join(lines))
        text = re.sub(r"\{\w+\}`([^`]*)`", r"\1", text)
        return _markdown(text)
    return ""
