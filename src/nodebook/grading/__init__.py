"""Graded assignments: one self-check module per chapter, a runner that scores a notebook, page helpers.

Every check raises :class:`CheckFailed` saying *how* an answer is wrong (wrong type, wrong shape, too
large, too small, off by a relative amount), never what the right answer is, and prints ``✓`` when it
passes. The assignments themselves are the pages ``book/assignments/ch*.md``; the reference solutions are
not in the package (they live with the tests, ``tests/grading/``), so a learner who installs it gets none.
"""

from . import ch1, ch2, ch3, ch4, ch5, ch6
from ._verdict import CheckFailed, close_number, close_tensor, order_near
from .pages import (
    DIFFICULTIES,
    MINUTES,
    OPEN_ENDED_MINUTES,
    Exercise,
    assignment_minutes,
    chapter_exercise_minutes,
    exercise_minutes,
    exercises,
)
from .runner import Result, code_cells, report, run_checks

__all__ = [
    "DIFFICULTIES", "MINUTES", "OPEN_ENDED_MINUTES", "CheckFailed", "Exercise", "Result", "assignment_minutes",
    "ch1", "ch2", "ch3", "ch4", "ch5", "ch6", "chapter_exercise_minutes", "close_number", "close_tensor",
    "code_cells", "exercise_minutes", "exercises", "order_near", "report", "run_checks",
]
