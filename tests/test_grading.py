"""The graded assignments: every stub fails its check, every reference solution passes, no check leaks."""

import importlib.util
import math
import re
from pathlib import Path

import pytest
import torch

from nodebook.grading import CheckFailed, exercise_minutes, exercises, report, run_checks
from nodebook.grading import ch1 as g1

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "book" / "assignments").glob("ch*.md"))


def solutions(page: Path) -> dict:
    path = ROOT / "tests" / "grading" / f"solutions_{page.stem}.py"
    spec = importlib.util.spec_from_file_location(f"solutions_{page.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {k: v for k, v in vars(module).items() if not k.startswith("_")}


def test_one_assignment_per_chapter():
    assert [p.stem for p in PAGES] == [f"ch{i}" for i in range(1, 7)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_assignment_shape(page):
    found = exercises(page)
    assert len(found) >= 5
    assert {e.difficulty for e in found} == {"easy", "medium", "hard"}
    assert sum(e.open_ended for e in found) == 1
    # every exercise that is not open-ended has at least one check cell, the open-ended one none
    text = page.read_text()
    for e, block in zip(found, re.split(r"^```\{exercise\}", text, flags=re.M)[1:], strict=True):
        assert bool(re.search(r"grade\.check_\w+\(", block)) != e.open_ended, e


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_stubs_fail_every_check(page, capsys):
    results = run_checks(page)
    assert results and not any(r.passed for r in results), report(results)
    for r in results:  # a stub fails with a diagnosis, not with a crash inside the check
        assert re.search(r"wrong type|not written yet", r.message), r


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_reference_solutions_pass_every_check(page, capsys):
    results = run_checks(page, overrides=solutions(page))
    assert results and all(r.passed for r in results), report(results)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_no_check_prints_a_number_it_was_not_given(page, capsys):
    # Wrong answers (the solution nudged by 10%) get "too large"/"too small", never the expected value.
    sol = solutions(page)
    nudged = {k: v * 1.1 for k, v in sol.items() if isinstance(v, float)}
    if not nudged:
        pytest.skip("no numeric answers on this page")
    results = run_checks(page, overrides={**sol, **nudged})
    failed = [r for r in results if not r.passed]
    assert failed
    for r in failed:
        assert re.search(r"too (large|small)", r.message), r
        for v in sol.values():
            if isinstance(v, float) and v != 0:
                for shown in {f"{v:.4g}", f"{v:.3g}"}:
                    assert not re.search(rf"(?<![\d.]){re.escape(shown)}(?!\d)", r.message), (shown, r)


def test_wrong_shape_and_order_are_named():
    def first_only(f, t, y, h):  # right on a scalar state, wrong shape on a 2-d one
        k1 = f(t, y)
        return (y + h * (k1 / 4 + 3 * f(t + 2 * h / 3, y + 2 * h / 3 * k1) / 4))[:1]

    with pytest.raises(CheckFailed, match=r"wrong shape: expected \(2,\), got \(1,\)"):
        g1.check_ralston(first_only)
    with pytest.raises(CheckFailed, match="is off by"):
        g1.check_ralston(lambda f, t, y, h: y + h * f(t, y))  # Euler: the one-step value is wrong


def test_exercise_minutes_are_an_estimate_from_the_labels(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("```{exercise} A · easy\n:label: a\n\nx\n```\n\n```{exercise} B · hard · open-ended\n"
                    ":label: b\n\ny\n```\n")
    assert exercise_minutes(page) == 10 + 60
    page.write_text("```{exercise} A\n:label: a\n\nx\n```\n")
    with pytest.raises(ValueError, match=r"p.md:1: an exercise needs a :label: and exactly one of easy"):
        exercises(page)


def test_run_checks_scores_a_notebook(tmp_path):
    import json

    nb = {"cells": [{"cell_type": "code", "source": ["from nodebook.grading import ch1 as grade\n"]},
                    {"cell_type": "markdown", "source": "text"},
                    {"cell_type": "code", "source": "grade.check_rk4_stability(0.2785, rate=10.0)"},
                    {"cell_type": "code", "source": "grade.check_rk4_stability(0.25, rate=10.0)"}]}
    path = tmp_path / "submission.ipynb"
    path.write_text(json.dumps(nb))
    results = run_checks(path)
    assert [r.passed for r in results] == [True, False]
    assert "too small" in results[1].message and "0.278" not in results[1].message
    assert report(results).endswith("1/2 checks passed")


def test_rk4_boundary_is_the_known_constant():
    # the real stability interval of classical RK4 is about [-2.785, 0] (Hairer & Wanner, vol. II)
    assert math.isclose(g1._rk4_boundary(), 2.785, abs_tol=1e-3)
    assert torch.is_tensor(torch.tensor(0.0))
