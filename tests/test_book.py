"""Chapter stamps: reading time from the source and the full-mode note from the results file."""

import pytest

from nodebook import book, results


def test_reading_time_counts_prose_not_code(tmp_path, monkeypatch):
    (tmp_path / "chapters").mkdir()
    prose = " ".join(["word"] * 450)
    code = "```{code-cell} ipython3\n" + "x = 1\n" * 2000 + "```\n"
    src = f"---\njupytext: {{}}\n---\n# Title\n{prose}\n{code}"
    (tmp_path / "chapters" / "01_odes_and_solvers.md").write_text(src)
    monkeypatch.setattr(book, "repo_root", lambda: tmp_path)
    assert book.reading_time("ch1") == 3  # 451 words at 200 per minute, rounded up


def test_reading_time_of_the_real_chapter_is_plausible():
    assert 5 <= book.reading_time("ch1") <= 60


def test_full_run_note(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "results_dir", lambda: tmp_path)
    assert book.full_run_note("ch1") == "no full-mode run has been committed yet"
    results.save_results("ch1", {}, mode="full", device="cpu", wall_time_s=12.3, directory=tmp_path)
    note = book.full_run_note("ch1")
    assert note.startswith("12 s in full mode on CPU")


def test_unknown_chapter():
    with pytest.raises(ValueError, match="unknown chapter 'ch42'"):
        book.reading_time("ch42")


CHAPTER = """# T
```{exercise}
:label: e1
Do it.
```

```{solution-start} e1
:class: dropdown
```
secret
```{code-cell} ipython3
answer = 42
```

```{solution-end}
```
After.
"""


def test_student_version_removes_solutions_only():
    out = book.student_version(CHAPTER)
    assert "secret" not in out and "answer = 42" not in out and "solution" not in out
    assert "Do it." in out and "After." in out


def test_student_version_refuses_unclosed_solution():
    with pytest.raises(ValueError, match="1 solution-start block"):
        book.student_version("```{solution-start} e1\n```\nsecret\n")


def test_write_notebooks(tmp_path):
    import json

    paths = book.write_notebooks(tmp_path)
    student = tmp_path / "student" / "01_odes_and_solvers.ipynb"
    assert student in paths
    full = json.loads((tmp_path / "01_odes_and_solvers.ipynb").read_text())
    cells = json.loads(student.read_text())["cells"]
    assert len(cells) < len(full["cells"])
    assert not any("heun_step(f, t, y, h):\n    k1" in "".join(c["source"]) for c in cells)
    assert all(c.get("outputs", []) == [] for c in full["cells"])
