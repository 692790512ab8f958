"""Graded assignments: one self-check module per chapter, a runner that scores a notebook, page helpers.

The checks here are the *public* ones a student runs: they test the form of an answer (type, shape,
integer counts, properties the exercise states) and hold no reference value or formula. The values are
graded by hidden checks that are not in the package (``book/assignments/_autograder/``, shipped only in
the otter autograder zip that ``book/_tools/assign.py`` builds); the reference solutions live with the
tests (``tests/grading/``). The assignments themselves are the pages ``book/assignments/ch*.md``.
"""

from . import ch1, ch2, ch3, ch4, ch5, ch6, ch7
from ._verdict import CheckFailed, close_number, close_tensor, order_near
from .pages import (
    DIFFICULTIES,
    MINUTES,
    OPEN_ENDED_MINUTES,
    Exercise,
    assignment_minutes,
    assignment_page,
    chapter_exercise_minutes,
    exercise_minutes,
    exercises,
)
from .runner import Result, code_cells, report, run_checks

__all__ = [
    "DIFFICULTIES", "MINUTES", "OPEN_ENDED_MINUTES", "CheckFailed", "Exercise", "Result", "assignment_minutes",
    "assignment_page",
    "ch1", "ch2", "ch3", "ch4", "ch5", "ch6", "ch7", "chapter_exercise_minutes", "close_number", "close_tensor",
    "code_cells", "exercise_minutes", "exercises", "order_near", "report", "run_checks",
]
