"""Build an assignment's otter-grader distribution from its MyST page (the single source).

    python book/_tools/assign.py ch1 [ch2 ...] --out dist/assignments   # or: all

For each chapter this writes an otter-assign master notebook made from

* ``book/assignments/chN.md``: the text, the set-up cell, each exercise's stub cells and check call;
* ``tests/grading/solutions_chN.py``: the reference solution of each exercise (instructor only);
* ``book/assignments/_autograder/chN.py``: the hidden checks (other constants, randomised inputs,
  method requirements), shipped only inside the autograder zip,

and runs ``otter assign`` on it. Result, in ``OUT/chN/``: ``student/chN.ipynb`` (stubs, public tests
only: the package's form checks, which hold no reference value), ``autograder/chN.ipynb`` (the instructor
notebook, solutions in place) and ``autograder/chN-autograder_*.zip`` (all tests, hidden ones included,
for ``book/_tools/grade.py`` or Gradescope). Each exercise with a check is one otter question named by its
label; its points come from the page's title (``· 3 points``) and go to the hidden test.
"""

from __future__ import annotations

import argparse
import ast
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "book" / "assignments"
HIDDEN = PAGES / "_autograder"
SOLUTIONS = ROOT / "tests" / "grading"
_CHECK = re.compile(r"^grade\.(check_\w+)\((.*)\)\s*$", re.S)
_EXERCISE = re.compile(r"```\{exercise\}[ \t]*([^\n]*)\n((?::[^\n]*\n)*)(.*?)^```", re.S | re.M)


def _names_defined(source: str) -> list[str]:
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return names


def questions(page: Path) -> tuple[list[str], list[dict]]:
    """The page's set-up code and its questions: label, title, points, prompt, stub cells, check calls."""
    nb = jupytext.read(page)
    setup, found, current = [], [], None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for m in _EXERCISE.finditer(cell.source):
                label = re.search(r":label:\s*(\S+)", m[2])[1]
                parts = [p.strip() for p in m[1].split("·")]
                points = next(int(p.split()[0]) for p in parts if re.fullmatch(r"\d+ points?", p))
                current = {"label": label, "title": parts[0], "parts": parts[1:], "points": points,
                           "prompt": m[3].strip(), "stubs": [], "checks": [], "open": "open-ended" in parts}
                found.append(current)
        elif current is None:
            setup.append(cell.source)
        elif _CHECK.match(cell.source.strip()):
            current["checks"].append(cell.source.strip())
        else:
            current["stubs"].append(cell.source)
    return setup, found


def solution_sections(path: Path, qs: list[dict]) -> dict[str, str]:
    """Split a solutions module into one block per question: each block ends with the last statement that
    defines a name of that question's stubs (helpers and imports before it belong to it)."""
    source = path.read_text()
    body = ast.parse(source).body
    lines = source.splitlines()
    sections, start = {}, 0
    for q in qs:
        if q["open"] or not q["checks"]:
            continue
        wanted = set(_names_defined("\n".join(q["stubs"])))
        ends = [i for i, node in enumerate(body) if wanted & set(_names_defined(ast.get_source_segment(source, node)))]
        if not ends:
            raise ValueError(f"{path}: no solution defines {sorted(wanted)} (question {q['label']})")
        # a trailing loop/statement computing the value (e.g. a bisection) after the assignment is kept too
        end = ends[-1]
        while end + 1 < len(body) and not isinstance(body[end + 1], ast.FunctionDef | ast.ClassDef):
            later = set(_names_defined(ast.get_source_segment(source, body[end + 1])))
            if later and not later & wanted:
                break
            end += 1
        first = body[start].lineno - 1 if start < len(body) else len(lines)
        text = "\n".join(lines[first:body[end].end_lineno]).strip()
        text = re.sub(r'^""".*?"""\n*', "", text, flags=re.S)  # the module docstring
        sections[q["label"]] = text
        start = end + 1
    return sections


def _test_cell(call: str, module: str, hidden: bool, points: float) -> str:
    m = _CHECK.match(call)
    call_node = ast.parse(f"f({m[2]})", mode="eval").body
    parts = [*call_node.args, *(k.value for k in call_node.keywords)]
    args = sorted({n.id for a in parts for n in ast.walk(a) if isinstance(n, ast.Name)})
    kind = "hidden" if hidden else "public"
    importer = f"import {module} as grade" if hidden else f"from nodebook.grading import {module} as grade"
    return (f'""" # BEGIN TEST CONFIG\nhidden: {str(hidden).lower()}\npoints: {points}\n""" # END TEST CONFIG\n'
            f"def test_{kind}({', '.join(args)}):\n    {importer}\n    grade.{m[1]}({m[2]})\n")


def _plain(markdown: str) -> str:
    """MyST cross-references as their text (Jupyter renders no ``{ref}`` role)."""
    markdown = re.sub(r"\{(?:ref|doc)\}`([^`<]*?)\s*<[^`>]*>`", r"\1", markdown)
    return re.sub(r"\{(?:ref|doc)\}`([^`]*)`", r"\1", markdown)


def master(chapter: str, work: Path) -> Path:
    """Write the otter-assign master notebook of ``chapter`` into ``work``; return its path."""
    page = PAGES / f"{chapter}.md"
    setup, qs = questions(page)
    sections = solution_sections(SOLUTIONS / f"solutions_{chapter}.py", qs)
    hidden_module = f"nodebook_hidden_{chapter}"
    shutil.copy2(HIDDEN / f"{chapter}.py", work / f"{hidden_module}.py")
    config = (f"# ASSIGNMENT CONFIG\nname: {chapter}\ninit_cell: true\ncheck_all_cell: false\nexport_cell: false\n"
              f"run_tests: false\ntests:\n  files: true\n  ok_format: false\nautograder_files:\n"
              f"  - {hidden_module}.py\ngenerate:\n  seed: null\n")
    cells = [nbformat.v4.new_raw_cell(config)]
    text = page.read_text().split("\n---\n", 1)[1]
    intro = text[:text.index("```{code-cell}")]
    intro = re.sub(r"^\(assignment-\d+\)=\n", "", intro, flags=re.M)
    intro = _plain(intro)
    cells.append(nbformat.v4.new_markdown_cell(intro.strip()))
    cells += [nbformat.v4.new_code_cell(s) for s in setup]
    for q in qs:
        head = _plain(f"### {q['title']} ({' · '.join(q['parts'])})\n\n{q['prompt']}")
        if q["open"] or not q["checks"]:
            cells.append(nbformat.v4.new_markdown_cell(head + "\n\n*Graded by hand with the rubric.*"))
            continue
        cells.append(nbformat.v4.new_raw_cell(f"# BEGIN QUESTION\nname: {q['label']}\npoints: {q['points']}"))
        cells.append(nbformat.v4.new_markdown_cell(head))
        prompt = "\n".join(q["stubs"]).strip()
        cells.append(nbformat.v4.new_raw_cell("# BEGIN SOLUTION"))
        cells.append(nbformat.v4.new_code_cell(
            f'""" # BEGIN PROMPT\n{prompt}\n""" # END PROMPT\n# BEGIN SOLUTION NO PROMPT\n'
            f"{sections[q['label']]}\n# END SOLUTION"))
        cells.append(nbformat.v4.new_raw_cell("# END SOLUTION"))
        cells.append(nbformat.v4.new_raw_cell("# BEGIN TESTS"))
        share = q["points"] / len(q["checks"])
        for call in q["checks"]:
            cells.append(nbformat.v4.new_code_cell(_test_cell(call, chapter, False, 0)))
            cells.append(nbformat.v4.new_code_cell(_test_cell(call, hidden_module, True, share)))
        cells.append(nbformat.v4.new_raw_cell("# END TESTS"))
        cells.append(nbformat.v4.new_raw_cell("# END QUESTION"))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    path = work / f"{chapter}.ipynb"
    nbformat.write(nb, path)
    return path


def build(chapter: str, out: Path) -> Path:
    """Run otter assign for one chapter into ``out/chapter``; return that folder."""
    dest = (out / chapter).resolve()
    shutil.rmtree(dest, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f"assign-{chapter}-") as tmp:
        src = master(chapter, Path(tmp))
        otter = Path(sys.executable).with_name("otter")
        cmd = [str(otter) if otter.exists() else "otter", "assign", "--no-run-tests", "--no-pdfs", src.name, str(dest)]
        done = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"otter assign failed for {chapter} (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="+", help="ch1 ch2 ... or all")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "assignments")
    args = parser.parse_args(argv)
    chapters = sorted(p.stem for p in PAGES.glob("ch*.md")) if args.chapters == ["all"] else args.chapters
    for chapter in chapters:
        if not (PAGES / f"{chapter}.md").is_file():
            parser.error(f"no assignment page {PAGES / (chapter + '.md')}")
        dest = build(chapter, args.out)
        print(f"{chapter}: {dest / 'student'} (student), {dest / 'autograder'} (instructor notebook + autograder zip)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
