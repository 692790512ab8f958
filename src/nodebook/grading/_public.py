"""The checks a student runs: they test the *form* of an answer and properties stated in the exercise.

They hold no reference value and no reference formula, so reading their source, or the traceback of a
failing one, tells a student nothing the exercise did not. Whether an answer is *right* is decided by the
hidden tests of the autograder (``book/assignments/_autograder/``, never installed with the package).
A failure raises :class:`~nodebook.grading.CheckFailed`, whose traceback IPython shows as one line.
"""

from __future__ import annotations

import numbers
import sys

import torch

from ._verdict import CheckFailed, as_number, as_tensor, call

__all__ = ["CheckFailed", "as_number", "as_tensor", "call", "count", "function", "passed", "require_solver",
           "solver_calls", "tensor_like"]


def count(value: object, what: str) -> int:
    """An integer count (``int``, a numpy integer or a one-element integer tensor); a float is wrong, 16.0 too."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_floating_point():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise CheckFailed(f"{what}: wrong type: a count is a whole number (an int), got {type(value).__name__}")
    if int(value) < 0:
        raise CheckFailed(f"{what}: a count cannot be negative")
    return int(value)


def function(fn: object, *args, what: str):
    """Call a learner's function on a probe input (a stub or a missing function is a fail)."""
    return call(fn, *args, what=what)


def tensor_like(got: object, shape: tuple[int, ...], what: str) -> torch.Tensor:
    """A finite floating-point tensor of ``shape`` (float32 or float64 both count)."""
    value = as_tensor(got, shape, what)
    if not torch.isfinite(value).all():
        raise CheckFailed(f"{what}: contains inf or nan")
    return value


def passed(what: str) -> None:
    """The line a student sees when the form is right."""
    print(f"✓ {what}: the form is right (the autograder's hidden tests grade the value)")


def solver_calls(fn: object, *args, what: str):
    """Call ``fn(*args)`` and count its calls of ``nodebook.odeint`` (for exercises that say "with nb.odeint").

    Returns:
        ``(output, calls)``. A closed form typed in instead of a solve makes no call.
    """
    from .. import solvers

    # Learners call ``nb.odeint``, the root package's re-export of ``solvers.odeint``, so both names are
    # patched. The root is taken from sys.modules rather than imported: it is always loaded before any of its
    # modules, and grading needs its attribute, not its code (importing it would make grading depend on the
    # whole package, which imports grading).
    nodebook = sys.modules[__name__.partition(".")[0]]
    calls = [0]
    original = solvers.odeint

    def counted(*a, **k):
        calls[0] += 1
        return original(*a, **k)

    saved = nodebook.odeint, solvers.odeint
    nodebook.odeint = solvers.odeint = counted
    try:
        out = call(fn, *args, what=what)
    finally:
        nodebook.odeint, solvers.odeint = saved
    return out, calls[0]


def require_solver(calls: int, what: str) -> None:
    """The exercise asks for ``nb.odeint``: a result computed without it (a closed form) is refused."""
    if calls == 0:
        raise CheckFailed(f"{what}: the exercise asks you to integrate with nb.odeint; your function never calls it")
