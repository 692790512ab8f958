"""How long a week of the course takes a student: estimates the course page shows and checks against a load.

A chapter's **reading** is its prose at :data:`WORDS_PER_MINUTE` (code cells, directive options and
maths left out of the word count) plus time for its **maths**: :data:`DISPLAY_MATH_MINUTES` per displayed
equation (or line of an aligned block) and :data:`INLINE_MATH_MINUTES` per inline formula, since an
equation is read far slower than a sentence. Its **practice** exercises and its **assignment** are timed
from their difficulty labels (:func:`nodebook.grading.exercise_minutes`). All of these are estimates, not
measurements; the course page says so, shows each week's total and fails the build when a week's total
goes over :data:`WEEKLY_LOAD_HOURS`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

WORDS_PER_MINUTE = 200
DISPLAY_MATH_MINUTES = 1.5
INLINE_MATH_MINUTES = 0.1
CLASS_MINUTES = 90  # one session a week
CAPSTONE_HOURS = 15  # spread over the weeks named on the course page
WEEKLY_LOAD_HOURS = 12  # the stated load: no week's estimate may exceed it (today's weeks: 5.6-9.9 h)

_FRONT = re.compile(r"^---\n.*?\n---\n", re.S)
_CODE = re.compile(r"^```\{code-cell\}.*?^```", re.S | re.M)
_OPTIONS = re.compile(r"^:[\w-]+:.*$", re.M)
_DISPLAY = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE = re.compile(r"(?<![\\$])\$(?!\$)([^$\n]+?)(?<!\\)\$")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


@dataclass(frozen=True)
class Study:
    reading: int  # prose, minutes
    maths: int  # display and inline maths, minutes
    practice: int  # the chapter's own exercises, minutes (estimate from difficulty labels)

    @property
    def total(self) -> int:
        return self.reading + self.maths + self.practice


def reading_and_maths(text: str) -> tuple[int, int]:
    """``(prose minutes, maths minutes)`` of a MyST page's text (rounded up; at least 1 minute of prose)."""
    if not isinstance(text, str):
        raise TypeError(f"expected the page's text as a str; got {type(text).__name__}")
    text = _OPTIONS.sub(" ", _CODE.sub(" ", _FRONT.sub("", text, count=1)))
    display_lines = 0
    for m in _DISPLAY.finditer(text):
        tex = re.sub(r"\\(begin|end)\{\w+\*?\}", " ", m[1])
        lines = [ln for ln in re.split(r"\\\\|\n", tex) if ln.strip()]
        display_lines += max(1, len(lines))
    text = _DISPLAY.sub(" ", text)
    inline = len(_INLINE.findall(text))
    prose = _INLINE.sub(" ", text)
    reading = max(1, math.ceil(len(_WORD.findall(prose)) / WORDS_PER_MINUTE))
    maths = math.ceil(display_lines * DISPLAY_MATH_MINUTES + inline * INLINE_MATH_MINUTES)
    return reading, maths


def chapter_study(path: str | Path) -> Study:
    """The estimate for one chapter source (``chapters/NN_x.md``)."""
    from nodebook.grading import exercise_minutes

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"expected a chapter source file; got {path}, which does not exist")
    reading, maths = reading_and_maths(path.read_text())
    return Study(reading, maths, exercise_minutes(path))
