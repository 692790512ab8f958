"""Run an assignment notebook the way a grader would: every code cell in order, each check cell scored.

A *check cell* is a code cell that calls ``grade.check_…(…)``. Other cells (set-up, the learner's code)
run first, in order, in one namespace. The same function proves in CI that each stub fails its check
and each reference solution passes (``overrides`` puts the solutions in place of the stubs), and scores a
learner's submission (``.ipynb`` or the MyST ``.md``) in CI. It executes the submission's code in this
process and trusts it: to grade students, use ``book/_tools/grade.py`` (one process and kernel per
submission, otter's hidden tests run outside the student's kernel).
"""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

_CHECK = re.compile(r"\bgrade\.(check_\w+)\s*\(")


@dataclass(frozen=True)
class Result:
    check: str
    passed: bool
    message: str


def code_cells(path: str | Path) -> list[str]:
    """The code cells' sources of a notebook (``.ipynb``) or a MyST Markdown notebook (``.md``)."""
    path = Path(path)
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                for c in cells if c["cell_type"] == "code"]
    if path.suffix == ".md":
        return re.findall(r"^```\{code-cell\}[^\n]*\n(.*?)^```", path.read_text(), flags=re.M | re.S)
    raise ValueError(f"expected a .ipynb or .md notebook; got {path}")


def run_checks(path: str | Path, overrides: dict | None = None) -> list[Result]:
    """Run every code cell of ``path``; return one :class:`Result` per check cell, in order.

    Args:
        path: the assignment notebook.
        overrides: names put into the namespace before each check cell (e.g. the reference solutions).
    """
    namespace: dict = {"__name__": "__assignment__"}
    results = []
    for source in code_cells(path):
        found = _CHECK.search(source)
        if found:
            namespace.update(overrides or {})
        out = io.StringIO()
        try:
            with redirect_stdout(out):
                exec(compile(source, str(path), "exec"), namespace)  # noqa: S102 - that is the point
        except AssertionError as err:  # CheckFailed is one
            if not found:
                raise
            results.append(Result(found[1], False, str(err)))
            continue
        except Exception as err:
            if not found:
                raise RuntimeError(f"{path}: a set-up cell failed: {type(err).__name__}: {err}") from err
            results.append(Result(found[1], False, f"{type(err).__name__}: {err}"))
            continue
        if found:
            results.append(Result(found[1], True, out.getvalue().strip()))
    return results


def report(results: list[Result]) -> str:
    """A plain-text score sheet: one line per check, then the count passed."""
    lines = [f"{'PASS' if r.passed else 'FAIL'}  {r.check}: {r.message.splitlines()[0] if r.message else ''}"
             for r in results]
    lines.append(f"{sum(r.passed for r in results)}/{len(results)} checks passed")
    return "\n".join(lines)
