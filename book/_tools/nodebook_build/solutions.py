"""Where a chapter's solutions are: the one parser the student notebooks, the slides and the student source share.

A solution is

* a ``{solution}`` directive at any depth: on its own or inside a dropdown, an admonition, a tab, a card or
  any other directive, with backtick or colon fences;
* everything from a ``{solution-start}`` directive to the end of its ``{solution-end}``: Markdown and code
  cells alike.

Fences nest the CommonMark way (a fence closes at a line of at least as many of the same character). Code
fences and code directives (``code-cell``, ``code-block``, ``math``…) are opaque: a solution fence written
inside code is code. An unclosed ``{solution-start}``, or a ``{solution-end}`` with no start, is a
``ValueError`` naming the file and the line: guessing would either leak a solution to students or drop the
rest of the chapter.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"^\s*(?P<fence>`{3,}|:{3,}|~{3,})\s*(?:\{(?P<name>[^}\s]+)\})?(?P<info>.*)$")
OPAQUE = {"code-cell", "code-block", "code", "sourcecode", "math", "raw", "literalinclude", "glue", "glue:md",
          "glue:any", "mermaid"}


def _closes(line: str, fence: str) -> bool:
    s = line.strip()
    return len(s) >= len(fence) and set(s) == {fence[0]}


class SolutionScanner:
    """Reads a chapter top to bottom (its Markdown, cell by cell or as one text) and keeps what is not a solution.

    Args:
        path: the chapter's file, for error messages.
    """

    def __init__(self, path: str = "<chapter>"):
        self.path = path
        self._stack: list[tuple[str, str | None, bool, str]] = []  # (fence, directive name, opaque, where)
        self._solution_depth: int | None = None  # stack depth of the {solution} being skipped
        self._gate: str | None = None  # where the open {solution-start} is ("line 12")
        self._gate_closing = False  # inside the {solution-end} directive itself

    @property
    def in_solution(self) -> bool:
        """Whether what comes next (e.g. a code cell) belongs to a solution."""
        return self._gate is not None or self._solution_depth is not None

    def _where(self, line: int | None, cell: int | None, k: int) -> str:
        if line is not None:
            return f"{self.path}, line {line + k}"
        return f"{self.path}, " + ("" if cell is None else f"cell {cell}, ") + f"line {k + 1}"

    def markdown(self, text: str, *, line: int | None = 1, cell: int | None = None) -> str:
        """``text`` without its solutions; ``line``: the file's line number of its first line, if known."""
        kept = []
        for k, raw in enumerate(text.split("\n")):
            drop = self.in_solution
            top = self._stack[-1] if self._stack else None
            m = _FENCE.match(raw)
            if top is not None and _closes(raw, top[0]):
                self._stack.pop()
                if self._solution_depth is not None and len(self._stack) == self._solution_depth:
                    self._solution_depth = None
                if self._gate_closing and top[1] == "solution-end":
                    self._gate, self._gate_closing = None, False
            elif m and (top is None or not top[2]):  # inside code, a fence is code
                name = m["name"]
                self._stack.append((m["fence"], name, name is None or name in OPAQUE, self._where(line, cell, k)))
                if name == "solution" and self._solution_depth is None and self._gate is None:
                    self._solution_depth, drop = len(self._stack) - 1, True
                elif name == "solution-start" and self._solution_depth is None:
                    if self._gate is not None:
                        raise ValueError(f"{self._where(line, cell, k)}: {{solution-start}} inside the solution "
                                         f"opened at {self._gate}; close that one with {{solution-end}} first")
                    self._gate, drop = self._where(line, cell, k), True
                elif name == "solution-end" and self._solution_depth is None:
                    if self._gate is None:
                        raise ValueError(f"{self._where(line, cell, k)}: {{solution-end}} without a "
                                         "{solution-start} before it")
                    self._gate_closing = True
            if not drop:
                kept.append(raw)
        return "\n".join(kept)

    def new_cell(self) -> None:
        """A notebook cell boundary: fences do not cross cells (a solution-start gate does)."""
        self._check_closed()
        self._stack, self._solution_depth = [], None

    def _check_closed(self) -> None:
        if self._stack:  # what follows an unclosed fence is its content: a solution there would not be seen
            fence, name, _, where = self._stack[0]
            opener = fence + ("" if name is None else f"{{{name}}}")
            raise ValueError(f"{where}: the fence {opener} is never closed; expected a closing {fence} line "
                             "(an unclosed fence swallows the rest of the cell, solutions included)")

    def code(self) -> bool:
        """Whether a code cell at this point is kept (it is not part of a solution)."""
        return not self.in_solution

    def finish(self) -> None:
        """Raise if a fence or a ``{solution-start}`` was never closed."""
        self._check_closed()
        if self._gate is not None:
            raise ValueError(f"{self._gate}: {{solution-start}} has no matching {{solution-end}}: the rest of "
                             "the chapter would be a solution; add ```{solution-end}``` after the solution")


def strip_solutions(text: str, path: str = "<chapter>") -> str:
    """A chapter's MyST source (code cells included) with every solution removed (see the module's docstring)."""
    scanner = SolutionScanner(path)
    out = scanner.markdown(text, line=1)
    scanner.finish()
    return out


def cells_without_solutions(cells: list, path: str = "<chapter>", source: str | None = None) -> list:
    """Notebook cells with every solution removed: Markdown cells rewritten (or dropped when nothing is left),
    code cells of a gated solution dropped. Each cell is read on its own (a fence left open in one cell
    cannot hide a solution in the next), a ``solution-start`` gate across cells. ``source``: the chapter's
    text, to name lines in errors. The student notebooks and the slides both call this."""
    scanner, out, pos = SolutionScanner(path), [], 0
    for i, cell in enumerate(cells):
        line = None
        if source is not None and cell.source.strip():
            at = source.find(cell.source, pos)
            at = at if at >= 0 else source.find(cell.source.split("\n")[0], pos)
            if at >= 0:
                line, pos = source.count("\n", 0, at) + 1, at + 1
        scanner.new_cell()
        if cell.cell_type == "markdown":
            text = scanner.markdown(cell.source, line=line, cell=i)
            if text.strip():
                copy = cell.copy()
                copy.source = text
                out.append(copy)
        elif scanner.code():
            out.append(cell)
    scanner.finish()
    return out
