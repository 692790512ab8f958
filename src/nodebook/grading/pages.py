"""Read exercises off a MyST page, and time them: the page is the one source of titles and difficulty labels.

An exercise's title ends with its labels, separated by ``·``: ``Euler by hand · easy`` or
``Your own experiment · hard · open-ended``. Time per exercise is an **estimate** from its difficulty
(:data:`MINUTES`), not a measurement: the book says so wherever it shows one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DIFFICULTIES = ("easy", "medium", "hard")
MINUTES = {"easy": 10, "medium": 25, "hard": 45}  # estimated minutes per exercise, by difficulty
OPEN_ENDED_MINUTES = 60  # an open-ended exercise, whatever its level: reading, running, writing up

_EXERCISE = re.compile(r"^```\{exercise\}[ \t]*(?P<title>[^\n]*)\n(?P<options>(?::[^\n]*\n)*)", re.M)


@dataclass(frozen=True)
class Exercise:
    label: str
    title: str
    difficulty: str
    open_ended: bool
    points: int = 0  # from "· N points" in the title (0 on a page that gives none, e.g. a chapter's practice)

    @property
    def minutes(self) -> int:
        return OPEN_ENDED_MINUTES if self.open_ended else MINUTES[self.difficulty]


def exercises(path: str | Path) -> list[Exercise]:
    """The ``{exercise}`` directives of a MyST file, in order.

    Raises:
        ValueError: an exercise without a label or a difficulty label (file:line in the message).
    """
    path = Path(path)
    text = path.read_text()
    found = []
    for m in _EXERCISE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        label = re.search(r"^:label:\s*(\S+)", m["options"], re.M)
        parts = [p.strip() for p in m["title"].split("·")]
        levels = [p for p in parts if p in DIFFICULTIES]
        if label is None or len(levels) != 1:
            raise ValueError(f"{path}:{line}: an exercise needs a :label: and exactly one of {', '.join(DIFFICULTIES)} "
                             f"after '·' in its title; got title {m['title']!r}")
        points = [int(m_[1]) for p in parts if (m_ := re.fullmatch(r"(\d+) points?", p))]
        found.append(Exercise(label[1], parts[0], levels[0], "open-ended" in parts, points[0] if points else 0))
    return found


def exercise_minutes(path: str | Path) -> int:
    """Estimated minutes for all exercises of a page (see :data:`MINUTES`)."""
    return sum(e.minutes for e in exercises(path))


def chapter_exercise_minutes(chapter: str) -> int:
    """Estimated minutes for a chapter's own (practice) exercises, from their difficulty labels."""
    from ..config import CHAPTERS, resolve_chapter
    from ..results import repo_root

    return exercise_minutes(repo_root() / "chapters" / f"{CHAPTERS[resolve_chapter(chapter)]}.md")


def assignment_page(chapter: str) -> Path:
    """A chapter's assignment page: ``book/assignments/chN.md`` of the clone, or of the copy that a normal
    ``pip install .`` puts in the package (setup.py's ``BOOK_DATA``)."""
    from ..config import resolve_chapter
    from ..results import repo_root

    path = repo_root() / "book" / "assignments" / f"{resolve_chapter(chapter)}.md"
    if not path.is_file():
        raise FileNotFoundError(f"expected the assignment page {path}; it is not there (chapters without an "
                                "assignment: the capstone)")
    return path


def assignment_minutes(chapter: str) -> int:
    """Estimated minutes for a chapter's graded assignment (``book/assignments/chN.md``)."""
    return exercise_minutes(assignment_page(chapter))
