"""Class grading, run the way README.md's "Grading a class" says: its commands, copied from the README.

The submissions are made here: a right one, a wrong one, an empty one, and the ways a student could try
to cheat or break the grader. Only the chapter (``all`` -> ``ch1``) and the cell time limit (60 -> 4 s)
are changed from the README's commands, to keep the test short.
"""

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "book" / "_tools"
RIGHT = {
    "y_euler": "y_euler = 0.5\nerror = abs(0.5 - 2 * math.exp(-1.0))",
    "fitted_order": "import numpy as np\ndef fitted_order(hs, errors):\n"
                    "    return float(np.polyfit(np.log(hs), np.log(errors), 1)[0])",
}


def readme_commands() -> list[str]:
    """The shell commands of README.md's "Grading a class" section (comments dropped, continuations joined)."""
    text = (ROOT / "README.md").read_text().split("## Grading a class", 1)[1]
    block = re.search(r"```bash\n(.*?)```", text, re.S)[1].replace("\\\n", " ")
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip() and not line.startswith("#")]


def _tiny(cells: list[str]) -> nbformat.NotebookNode:
    """A small submission (no torch in its kernel, so the test stays fast): ``import math`` and ``cells``."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in ["import math", *cells]])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_readme_commands_grade_a_folder_into_points_per_question(tmp_path):
    commands = readme_commands()
    assert [c.split()[1] for c in commands] == ["book/_tools/assign.py", "book/_tools/grade.py"], commands
    (tmp_path / "book").symlink_to(ROOT / "book")
    subs = tmp_path / "submissions" / "ch1"
    subs.mkdir(parents=True)

    def save(name, cells):
        nbformat.write(_tiny(cells), subs / f"{name}.ipynb")

    right = [RIGHT["y_euler"], RIGHT["fitted_order"]]
    save("right", right)
    save("right_with_public_checks", [*right, "import otter\ngrader = otter.Notebook()"])
    save("wrong", ["y_euler = 0.25\nerror = 0.1", "def fitted_order(hs, errors):\n    return 2.0"])
    save("empty", ["y_euler = ...\nerror = ...", "def fitted_order(hs, errors):\n    raise NotImplementedError"])
    save("patched_grader", ["y_euler = 0.1\nerror = 0.1",
                            "import nodebook.grading.ch1 as g, otter.test_files.exception_test as e\n"
                            "g.check_euler_by_hand = lambda *a: None\n"
                            "e.ExceptionTestFile.run = lambda self, env: None\n"
                            "e.ExceptionTestFile.score = 100"])
    save("breaks_kernel", ["import builtins\nbuiltins.__import__ = None", RIGHT["fitted_order"]])
    save("slow_answer", ["y_euler = 0.5\nerror = 0.1", "def fitted_order(hs, errors):\n    while True:\n        pass"])
    save("kills_kernel", ["import os\nos._exit(0)", RIGHT["fitted_order"]])
    save("exits", ["import sys\nsys.exit(0)", RIGHT["fitted_order"]])
    save("loops", ["while True:\n    pass", RIGHT["fitted_order"]])
    save("magic", ["%matplotlib inline\n" + RIGHT["y_euler"], RIGHT["fitted_order"]])
    (subs / "truncated.ipynb").write_text(nbformat.writes(_tiny(right))[:200])
    for command in commands:
        command = command.replace(" all ", " ch1 ").replace("--cell-timeout 60", "--cell-timeout 4")
        command = re.sub(r"^python ", f"{sys.executable} ", command)
        subprocess.run(["bash", "-c", command], cwd=tmp_path, check=True, timeout=600,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    out = tmp_path / "scores.csv"
    student = tmp_path / "dist" / "assignments" / "ch1" / "student"
    text = (student / "ch1.ipynb").read_text() + "".join(p.read_text() for p in (student / "tests").glob("*.py"))
    for secret in ("polyfit(np.log", "y_euler = 0.5", "nodebook_hidden", "hidden=True", "2 * h / 3 * k1"):
        assert secret not in text, secret  # no solution and no hidden test in what students get
    assert "grader.check(" in text and "BEGIN SOLUTION" not in text
    rows = {r["submission"]: r for r in csv.DictReader(out.open())}
    score = {name.removesuffix(".ipynb"): (float(r["a1-euler"]), float(r["a1-fit"]), float(r["total"]))
             for name, r in rows.items()}
    possible = score.pop("(possible)")
    assert possible[:2] == (2.0, 2.0)
    assert score["right"][:2] == (2.0, 2.0)  # it has no check cells at all: the grader runs the tests itself
    assert score["right_with_public_checks"][:2] == (2.0, 2.0)
    assert score["magic"][:2] == (2.0, 2.0)  # a magic is not a crash
    assert score["wrong"] == (0.0, 0.0, 0.0)
    assert score["empty"] == (0.0, 0.0, 0.0)
    assert score["patched_grader"][0] == 0.0  # patching the checks in the notebook changes nothing
    assert score["exits"][:2] == (0.0, 2.0)  # sys.exit in one answer: that answer is missing, the rest graded
    assert score["loops"][:2] == (0.0, 2.0)  # an endless cell is interrupted, the rest graded
    assert "timed out" in rows["loops.ipynb"]["error"]
    assert score["breaks_kernel"][:2] == (0.0, 2.0)  # the cell that breaks imports is dropped, the rest graded
    assert "dropped" in rows["breaks_kernel.ipynb"]["error"]
    assert score["kills_kernel"][:2] == (0.0, 2.0)  # os._exit: the kernel is restarted for the next cells
    assert "kernel died" in rows["kills_kernel.ipynb"]["error"]
    assert score["slow_answer"][1] == 0.0 and "ran too long" in rows["slow_answer.ipynb"]["error"]
    assert score["truncated"] == (0.0, 0.0, 0.0) and "unreadable" in rows["truncated.ipynb"]["error"]
