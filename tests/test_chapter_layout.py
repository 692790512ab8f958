"""Pages readable at a glance: build plumbing hidden, exercises labelled (chapters 1 and 2 so far)."""

import re
from pathlib import Path

import pytest

from nodebook.grading import chapter_exercise_minutes, exercises

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["01_odes_and_solvers", "02_resnet_euler"]
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(?P<body>.*?)^```", re.M | re.S)


def cells(stem):
    return [m["body"] for m in CELL.finditer((ROOT / "chapters" / f"{stem}.md").read_text())]


def tags(body):
    m = re.match(r"(?:---\n.*?\n---\n|:tags: \[(?P<tags>[^\]]*)\]\n)", body, re.S)
    if m is None:
        return set()
    found = m["tags"] if m["tags"] is not None else (re.search(r"tags: \[([^\]]*)\]", m[0]) or [None, ""])[1]
    return {t.strip() for t in found.split(",") if t.strip()}


@pytest.mark.parametrize("stem", CHAPTERS)
def test_glue_calls_sit_in_removed_cells(stem):
    shown = [b for b in cells(stem) if "glue(" in b and "remove-cell" not in tags(b)]
    assert not shown, f"{stem}: glue(...) in a visible cell:\n" + "\n---\n".join(shown)


@pytest.mark.parametrize("stem", CHAPTERS)
def test_plotting_cells_hide_their_input(stem):
    # a cell that draws (plt.subplots / a plotly figure helper) and computes nothing the prose needs
    for body in cells(stem):
        draws = re.search(r"plt\.subplots|nbp\.\w+_figure\(", body)
        if draws and not {"hide-input", "remove-input", "remove-cell"} & tags(body):
            pytest.fail(f"{stem}: a plotting cell shows its input:\n{body[:300]}")


@pytest.mark.parametrize("stem", CHAPTERS)
def test_exercises_carry_difficulty_labels(stem):
    found = exercises(ROOT / "chapters" / f"{stem}.md")
    assert len(found) >= 3
    assert chapter_exercise_minutes(stem[:2].lstrip("0").join(["ch", ""])) > 0
