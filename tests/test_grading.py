"""The graded assignments: stubs fail, reference solutions pass, known-wrong answers fail, nothing leaks.

Public checks (``nodebook.grading.chN``, what a student runs) test form only; hidden checks
(``book/assignments/_autograder/chN.py``, only in the autograder zip) test values.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nodebook.grading import exercise_minutes, exercises, report, run_checks

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "grading"))
import corpus  # noqa: E402

PAGES = sorted((ROOT / "book" / "assignments").glob("ch*.md"))
_CALL = re.compile(r"^grade\.(check_\w+)\((.*)\)\s*$", re.M)


def test_one_assignment_per_chapter():
    assert [p.stem for p in PAGES] == [f"ch{i}" for i in range(1, 8)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_assignment_shape_and_points(page):
    found = exercises(page)
    assert len(found) >= 5
    assert {e.difficulty for e in found} == {"easy", "medium", "hard"}
    assert sum(e.open_ended for e in found) == 1
    assert all(e.points > 0 for e in found), found
    assert "## Points and rubric" in page.read_text()
    text = page.read_text()
    for e, block in zip(found, re.split(r"^```\{exercise\}", text, flags=re.M)[1:], strict=True):
        assert bool(re.search(r"grade\.check_\w+\(", block)) != e.open_ended, e


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_stubs_fail_every_public_check(page, capsys):
    results = run_checks(page)
    assert results and not any(r.passed for r in results), report(results)
    for r in results:
        assert re.search(r"wrong type|not written yet", r.message), r


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_reference_solutions_pass_public_and_hidden_checks(page, capsys):
    sol = corpus.solutions(page.stem)
    public = run_checks(page, overrides=sol)
    assert public and all(r.passed for r in public), report(public)
    hidden = run_checks(page, overrides={**sol, "grade": corpus.hidden(page.stem)})
    assert hidden and all(r.passed for r in hidden), report(hidden)


def corpus_result(chapter: str, module) -> tuple[int, list[str]]:
    """Run every known-wrong answer through the hidden checks: (caught, [missed ones])."""
    page = ROOT / "book" / "assignments" / f"{chapter}.md"
    sol = corpus.solutions(chapter)
    calls = _CALL.findall(page.read_text())
    caught, missed = 0, []
    for name, value in sol.items():
        for kind, wrong in corpus.wrong_answers(name, value).items():
            for check, args in calls:
                if not re.search(rf"\b{name}\b", args):
                    continue
                try:
                    eval(f"grade.{check}({args})", {"grade": module, **sol, name: wrong})  # noqa: S307
                except Exception:  # noqa: BLE001 - any failure is a caught wrong answer
                    caught += 1
                else:
                    missed.append(f"{name}: {kind}")
    return caught, missed


@pytest.mark.parametrize("chapter", [p.stem for p in PAGES])
def test_every_known_wrong_answer_fails_a_hidden_check(chapter, capsys):
    caught, missed = corpus_result(chapter, corpus.hidden(chapter))
    with capsys.disabled():
        print(f"\n{chapter}: wrong-answer corpus caught {caught}, missed {len(missed)}")
    assert caught > 0 and not missed, missed


@pytest.mark.parametrize("chapter", [p.stem for p in PAGES])
def test_a_lenient_check_is_caught_by_the_corpus(chapter, monkeypatch, capsys):
    # mutation: every comparison in the hidden checks accepts anything; the corpus must then miss answers
    module = corpus.hidden(chapter)
    for name in ("close_number", "close_tensor", "order_near"):
        if hasattr(module, name):
            monkeypatch.setattr(module, name, lambda got, *a, **k: got)
    _, missed = corpus_result(chapter, module)
    assert missed, "a check that accepts anything went unnoticed"


_SHELL = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance(colors="NoColor")
cells, variants = json.load(open(sys.argv[1]))
for override in variants:  # each variant: the whole page, the override put in place before each check cell
    print("=== variant")
    for source in cells:
        if "grade.check_" in source and override:
            shell.run_cell(override)
        shell.run_cell(source)
"""


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_no_expected_value_in_what_a_student_sees(page, tmp_path):
    # The stubs and every known-wrong answer (numbers and functions), run through a real IPython shell with
    # the public checks: the output (messages and tracebacks) must not contain any number of the reference
    # solution.
    from nodebook.grading import code_cells

    chapter = page.stem
    sol = corpus.solutions(chapter)
    numbers = {k: v for k, v in sol.items() if isinstance(v, float | int) and not isinstance(v, bool)}
    variants = [""]
    for name, value in sol.items():
        for kind in corpus.wrong_answers(name, value):
            here = str(ROOT / "tests" / "grading")
            variants.append(f"import sys; sys.path.insert(0, {here!r}); import corpus as _c; "
                            f"{name} = _c.wrong_answers({name!r}, _c.solutions({chapter!r})[{name!r}])[{kind!r}]")
    spec = tmp_path / "cells.json"
    spec.write_text(json.dumps([code_cells(page), variants]))
    script = tmp_path / "shell.py"
    script.write_text(_SHELL)
    done = subprocess.run([sys.executable, str(script), str(spec)], capture_output=True, text=True, timeout=600)
    seen = done.stdout + done.stderr
    assert seen.count("=== variant") == len(variants), seen[-2000:]
    assert "CheckFailed" in seen
    # small whole numbers (a variance of 4, a count of 2) also appear in shapes and sizes: not searchable
    leaked = [f"{k}={v}" for k, v in numbers.items() if not (float(v).is_integer() and abs(v) <= 10)
              for shown in {f"{v:.4g}", f"{v:.3g}", repr(v)}
              if re.search(rf"(?<![\d.]){re.escape(shown)}(?!\d)", seen)]
    assert not leaked, leaked


def test_exercise_minutes_are_an_estimate_from_the_labels(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("```{exercise} A · easy · 2 points\n:label: a\n\nx\n```\n\n```{exercise} B · hard · open-ended\n"
                    ":label: b\n\ny\n```\n")
    assert exercise_minutes(page) == 10 + 60
    assert [e.points for e in exercises(page)] == [2, 0]
    page.write_text("```{exercise} A\n:label: a\n\nx\n```\n")
    with pytest.raises(ValueError, match=r"p.md:1: an exercise needs a :label: and exactly one of easy"):
        exercises(page)


def test_a_right_float32_step_passes_and_a_fractional_count_fails():
    g1, g4 = corpus.hidden("ch1"), corpus.hidden("ch4")
    sol = corpus.solutions("ch1")

    def ralston32(f, t, y, h):  # right, computed in float32
        return sol["ralston_step"](f, t, y.float(), h).float()

    g1.check_ralston(ralston32)
    for bad in (16.4, 16.0, "16"):
        with pytest.raises(AssertionError, match="wrong type"):
            g4.check_rknet_nfe(bad)
    g4.check_rknet_nfe(16)


def _course_extension():
    import importlib.util

    spec = importlib.util.spec_from_file_location("nodebook_course", ROOT / "book" / "_ext" / "nodebook_course.py")
    ext = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ext)
    return ext


def test_assignments_are_student_notebooks_in_the_zip_and_linked_from_their_page(tmp_path):
    import zipfile
    from types import SimpleNamespace

    import nbformat

    ext = _course_extension()
    archive = tmp_path / "student.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("01_x.ipynb", "{}")
    written = ext.write_assignment_notebooks(ROOT, tmp_path, archive)
    assert [p.name for p in written] == [f"assignment-ch{i}.ipynb" for i in range(1, 8)]
    assert {p.name for p in written} <= set(zipfile.ZipFile(archive).namelist())
    nb = nbformat.read(written[0], as_version=4)
    assert any("grade.check_" in c.source for c in nb.cells if c.cell_type == "code")
    text = "".join(p.read_text() for p in written)
    assert "_autograder" not in text and "nodebook_hidden" not in text
    context = {"body": "<h1>Assignment 1</h1><p>x</p>", "pathto": lambda p, resource=0: f"../../{p}"}
    (tmp_path / "_config.yml").write_text("title: t\n")
    app = SimpleNamespace(srcdir=str(tmp_path), builder=SimpleNamespace(format="html"),
                          config=SimpleNamespace(nodebook_pdf=False))
    ext.chapter_links(app, "book/assignments/ch1", "page.html", context, None)
    assert 'href="../../notebooks/assignment-ch1.ipynb" download' in context["body"]


@pytest.mark.slow
def test_normal_install_has_the_pages_and_no_hidden_checks(tmp_path, non_editable_install):
    # `pip install .` (not editable) into a fresh venv: the session's one install (tests/_install.py)
    venv, env = non_editable_install.venv, non_editable_install.env
    empty = tmp_path / "empty"
    empty.mkdir()
    code = ("import nodebook, nodebook.grading as g, json, pathlib; root = pathlib.Path(nodebook.__file__).parent; "
            "print(json.dumps({'file': nodebook.__file__, 'minutes': [g.assignment_minutes(f'ch{i}') for i in "
            "range(1, 8)], 'files': [p.relative_to(root).as_posix() for p in root.rglob('*.py')]}))")
    done = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=empty, capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["file"].startswith(str(venv))
    assert out["minutes"] == [exercise_minutes(ROOT / "book" / "assignments" / f"ch{i}.md") for i in range(1, 8)]
    assert not [f for f in out["files"] if "_autograder" in f or "hidden" in f or "solutions_ch" in f]
    grading = Path(out["file"]).parent / "grading"
    text = "".join(p.read_text() for p in grading.glob("*.py"))
    for secret in ("_reference_det", "_rk4_boundary", "_stage_value", "0.75**4", "matrix_exp", "Normal(",
                   "kl_divergence"):
        assert secret not in text, secret
