"""MyST syntax that Jupyter would show as raw text: what the learner-notebook test looks for."""

from __future__ import annotations

import re

from .myst import _ROLE_OR_CODE, _fence, split_blocks

_LEFTOVER = [
    (re.compile(r"^ {0,3}(`{3,}|:{3,})\s*\{[^}]*\}", re.M), "directive fence"),
    (re.compile(r"^ {0,3}:{3,}", re.M), "colon fence"),
    (re.compile(r"\{[A-Za-z][\w:.+-]*\}`"), "role"),
    (re.compile(r"^\([^()\s]+\)=\s*$", re.M), "target"),
]


def leftovers(markdown: str) -> list[str]:
    """MyST syntax Jupyter would show as raw text: ``["role: {cite}`", ...]`` (empty when clean).

    Code fences and inline code are skipped: they may show MyST on purpose.
    """
    found = []
    for block in split_blocks(markdown):
        if block.kind == "fence":
            continue
        text = _ROLE_OR_CODE.sub(lambda m: m[0] if m["role"] else "``", block.text) if block.kind == "text" else ""
        if block.kind == "directive":
            text = _fence(block.directive)
        for pattern, what in _LEFTOVER:
            found += [f"{what}: {m[0].strip()[:60]}" for m in pattern.finditer(text)]
    return found
