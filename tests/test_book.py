"""Chapter stamps: reading time from the source and the full-mode note from the results file."""

import math

import pytest

import nodebook_build as booktools
from nodebook import book, results
from nodebook_build import myst


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
    out = booktools.strip_solutions(CHAPTER)
    assert "secret" not in out and "answer = 42" not in out and "solution" not in out
    assert "Do it." in out and "After." in out


def test_student_version_refuses_unclosed_solution():
    with pytest.raises(ValueError, match=r"c\.md, line 2: \{solution-start\} has no matching \{solution-end\}"):
        booktools.strip_solutions("# T\n```{solution-start} e1\n```\nsecret\n", "c.md")


def test_write_notebooks(tmp_path):
    import json

    written = booktools.write_notebooks(tmp_path)
    paths = written.instructor + written.student
    student = tmp_path / "student" / "01_odes_and_solvers.ipynb"
    assert student in paths
    full = json.loads((tmp_path / "01_odes_and_solvers.ipynb").read_text())
    cells = json.loads(student.read_text())["cells"]
    assert len(cells) < len(full["cells"])
    assert not any("heun_step(f, t, y, h):\n    k1" in "".join(c["source"]) for c in cells)
    assert all(c.get("outputs", []) == [] for c in full["cells"])


# ------------------------------------------------------------------------------------ learner notebooks

SOURCE = """---
jupytext: {text_representation: {extension: .md, format_name: myst}}
kernelspec: {display_name: Python 3, language: python, name: python3}
---
(chx)=
# X. A chapter

```{admonition} In this chapter
:class: tip

It ran in {glue:text}`x_secs:.1f` s, see {cite}`chen2018neural` and {ref}`chx`.
```

Inline `{cite}` code and a [link](../book/bibliography.md) stay readable.

```{code-cell} ipython3
:tags: [remove-cell]
glue("x_secs", 1.234, display=False)
```

## Exercises

```{exercise}
:label: x-ex
Compute {math}`1+1`.
```

```{solution-start} x-ex
:class: dropdown
```
The answer is two.
```{code-cell} ipython3
answer = 1 + 1
```
```{solution-end}
```
"""


def _convert(student: bool, glue=None):
    bib = booktools.Bibliography(book.repo_root() / "book" / "references.bib")
    ctx = myst.Context(glue=glue or {}, cite=bib.cite, ref={"chx": ("X. A chapter", "x.ipynb")}.get,
                       doc=lambda p: ("Bibliography", "#Bibliography") if p.endswith("bibliography") else None)
    return booktools.to_notebook(SOURCE, student=student, ctx=ctx, bibliography=bib), ctx


def _text(nb, kind="markdown"):
    return "\n".join(c.source for c in nb.cells if c.cell_type == kind)


def test_notebook_markdown_is_plain_jupyter_markdown():
    nb, ctx = _convert(student=True, glue={"x_secs": "1.234"})
    md = _text(nb)
    assert booktools.markdown_leftovers(nb) == []
    assert "It ran in 1.2 s" in md  # glued value, formatted like {glue:text}`x_secs:.1f`
    assert "> **In this chapter**" in md  # admonition -> block quote with a bold title
    assert "[Chen et al., 2018](#ref-chen2018neural)" in md and '<a id="ref-chen2018neural"></a>' in md
    assert "[X. A chapter](x.ipynb)" in md and '<a id="chx"></a>' in md
    assert "`{cite}`" in md  # inline code is not a role
    assert "[link](#Bibliography)" in md
    assert "$1+1$" in md


def test_notebook_title_heading_comes_first_in_its_cell():
    # jupyterlab-myst lifts the first heading into a title block and drops the heading only when it is the
    # cell's first node: an anchor before it showed Chapter 1's title twice in JupyterLab
    for student in (True, False):
        nb, _ = _convert(student=student)
        first = next(c for c in nb.cells if c.cell_type == "markdown").source
        assert first.startswith("# X. A chapter\n\n<a id=\"chx\"></a>"), first[:80]


def test_student_notebook_has_answer_cell_and_no_solution():
    nb, _ = _convert(student=True)
    exercise = [i for i, c in enumerate(nb.cells) if "exercise" in c.metadata.get("tags", [])]
    assert len(exercise) == 1
    answer = nb.cells[exercise[0] + 1]
    assert answer.cell_type == "code" and "exercise-answer" in answer.metadata["tags"]
    assert "answer = 1 + 1" not in _text(nb, "code") and "two" not in _text(nb)
    assert "Compute $1+1$." in nb.cells[exercise[0]].source  # the exercise has a cell of its own
    assert nb.cells[0].metadata["tags"] == ["install"]


def test_instructor_notebook_keeps_the_solution_after_the_exercise():
    nb, _ = _convert(student=False)
    i = next(i for i, c in enumerate(nb.cells) if "exercise" in c.metadata.get("tags", []))
    assert "solution" in nb.cells[i + 1].metadata["tags"]
    assert "The answer is two." in nb.cells[i + 2].source
    assert nb.cells[i + 3].source == "answer = 1 + 1"
    assert booktools.markdown_leftovers(nb) == []


def test_missing_glue_is_listed_not_left_as_a_role():
    nb, ctx = _convert(student=True)
    assert ctx.missing_glue == ["x_secs"] and booktools.markdown_leftovers(nb) == []


def test_unknown_role_and_directive_are_reported():
    text = "a {foo}`bar`\n\n```{weird}\nx\n```\n\n:::{note}\ny\n:::\n"
    left = booktools.leftovers(myst.convert(text, myst.Context()))
    assert any(x.startswith("role") for x in left) and any(x.startswith("directive") for x in left)
    assert not any("note" in x for x in left)  # a known directive was converted


def test_unclosed_gated_solution_is_an_error():
    for student in (True, False):
        with pytest.raises(ValueError, match=r"<chapter>, line 1: \{solution-start\} has no matching"):
            booktools.to_notebook("```{solution-start} e\n```\nsecret\n", student=student, ctx=myst.Context())


def test_every_generated_notebook_is_plain_jupyter(tmp_path):
    """All chapters, both copies: no MyST left in any Markdown cell; the student copies hold no solution."""
    import nbformat

    written = booktools.write_notebooks(tmp_path)
    assert written.leftovers == {}
    assert len(written.student) == len(booktools.chapter_sources(book.repo_root())) >= 6
    for path in written.student + written.instructor:
        nb = nbformat.read(path, as_version=4)
        assert booktools.markdown_leftovers(nb) == [], path
        if path in written.student:
            assert not [c for c in nb.cells if "solution" in c.metadata.get("tags", [])], path
            n_ex = sum("exercise" in c.metadata.get("tags", []) for c in nb.cells)
            n_answer = sum("exercise-answer" in c.metadata.get("tags", []) for c in nb.cells)
            assert n_ex == n_answer >= 1, path
    import zipfile

    with zipfile.ZipFile(written.zip) as zf:
        assert sorted(zf.namelist()) == sorted(f"nodebook/{p.name}" for p in written.student)


def test_glue_values_read_the_scrapbook_outputs():
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("glue(...)")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        "application/papermill.record/text/plain": "0.5"}, metadata={
        "scrapbook": {"name": "k", "mime_prefix": "application/papermill.record/"}})]
    nb.cells.append(cell)
    assert booktools.glue_values(nb) == {"k": "0.5"}


def test_format_glue_matches_myst_nb():
    from myst_nb.core.variables import format_plain_text

    for text, spec in [("1.23456", ".2f"), ("'quick'", ""), ("12", "d"), ("0.000123", ".1e"), ("3", "s")]:
        assert myst.format_glue(text, spec) == format_plain_text(text, spec or "s")


def test_repo_root_from_an_installed_package(tmp_path, monkeypatch):
    """Outside a clone, repo_root() is the copy setup.py installs with the package, else a clear error."""
    monkeypatch.setattr(results, "_PACKAGE_ROOT", tmp_path / "site-packages")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(results, "_PACKAGED", tmp_path / "site-packages" / "nodebook" / "_book")
    with pytest.raises(FileNotFoundError, match="expected the book's files: a clone"):
        results.repo_root()
    (results._PACKAGED / "chapters").mkdir(parents=True)
    (results._PACKAGED / "chapters" / "01_odes_and_solvers.md").write_text("# T\n" + "word " * 300)
    assert results.repo_root() == results._PACKAGED
    assert book.reading_time("ch1") == 2


def test_setup_py_ships_chapters_and_reference_results():
    """The packaging hook copies the chapters and the committed (not quick/custom) results."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("nodebook_setup", book.repo_root() / "setup.py")
    text = spec.loader.get_source("nodebook_setup")
    assert '("chapters", "*.md"' in text and '("results", "*.json"' in text and ".quick." in text


def test_pyproject_lists_everything_the_chapters_import():
    """`pip install .` must run every chapter: each third-party import of the chapters and of the package
    is a declared dependency (the book's build tooling, book/_tools/nodebook_build, is not in the package)."""
    import re
    import sys

    import tomllib

    root = book.repo_root()
    declared = {re.split(r"[<>=!;\[ ]", d, maxsplit=1)[0].lower().replace("_", "-")
                for d in tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]}
    dist = {"sklearn": "scikit-learn", "IPython": "ipython", "myst_nb": "myst-nb", "dm_control": "dm-control"}
    files = list((root / "chapters").glob("*.md")) + list((root / "src" / "nodebook").rglob("*.py"))
    missing = set()
    for path in files:
        for mod in re.findall(r"^\s*(?:from|import)\s+([A-Za-z_]\w*)", path.read_text(), re.M):
            if mod in sys.stdlib_module_names or mod in ("nodebook", "its", "the"):
                continue
            if dist.get(mod, mod).lower().replace("_", "-") not in declared:
                missing.add(f"{mod} ({path.name})")
    assert not missing, f"imported but not in pyproject.toml's dependencies: {sorted(missing)}"


# ------------------------------------------------------------------------------ launch, slides, PDF
def test_launch_links_only_with_a_repository_url():
    from nodebook_build import Settings, launch_links

    assert launch_links(Settings(), "01_x") == []  # a local book: no launch button at all
    s = Settings(repo_url="https://github.com/org/nodebook", binderhub_url="https://mybinder.org",
                 colab_url="https://colab.research.google.com", jupyterhub_url="https://hub.example.org")
    links = dict(launch_links(s, "01_x"))
    assert links["Colab"] == "https://colab.research.google.com/github/org/nodebook/blob/gh-pages/notebooks/01_x.ipynb"
    assert links["Binder"] == ("https://mybinder.org/v2/gh/org/nodebook/gh-pages"
                               "?urlpath=lab%2Ftree%2Fnotebooks%2F01_x.ipynb")
    assert links["JupyterHub"].startswith("https://hub.example.org/hub/user-redirect/git-pull?repo=https%3A%2F%2F")
    assert s.install_spec == "nodebook @ git+https://github.com/org/nodebook@main"


def test_read_settings_of_the_book_and_install_cell(tmp_path):
    from nodebook_build import read_settings
    from nodebook_build.notebooks import install_source

    cfg = tmp_path / "_config.yml"
    cfg.write_text("repository:\n  url: https://github.com/o/r\n  branch: dev\nlaunch_buttons:\n"
                   "  colab_url: https://colab.research.google.com\n")
    s = read_settings(cfg)
    assert (s.repo_url, s.branch, s.colab_url) == ("https://github.com/o/r", "dev", "https://colab.research.google.com")
    assert '"nodebook @ git+https://github.com/o/r@dev"' in install_source(s)
    assert "pip install ." in install_source(read_settings(tmp_path / "missing.yml"))
    compile(install_source(s), "cell", "exec")


def _executed_chapter():
    import base64

    import nbformat

    png = base64.b64encode(b"\x89PNG fake").decode()
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("(c)=\n# 9. Title\n\nMotivation here.\n\n## 9.1 Part\n\n$$\nx' = f(t, x)\n$$\n"),
        nbformat.v4.new_code_cell("plot()"),
        nbformat.v4.new_markdown_cell("## Exercises\n\n```{exercise}\n:label: e\n**Do this.** Then.\n```\n\n"
                                      "```{solution-start} e\n```\nSecret words.\n"),
        nbformat.v4.new_code_cell("secret_plot()"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```\n"),
    ]
    nb.cells[1].outputs = [nbformat.v4.new_output("display_data", data={"image/png": png})]
    nb.cells[3].outputs = [nbformat.v4.new_output("display_data", data={"image/png": "U0VDUkVU"})]
    return nb


def test_slides_from_headings_equations_and_figures():
    from nodebook_build.slides import slides_html

    page = slides_html(_executed_chapter(), myst.Context(), title="9. Title", chapter_url="../chapters/c.html")
    assert page.count("<section") == 4  # title, 9.1 with its equation, its figure, exercises
    assert "= f(t, x)\\]" in page and "data:image/png;base64," in page
    assert "Secret" not in page and "U0VDUkVU" not in page  # solutions (text and figures) are left out
    assert "<li>Do this</li>" in page
    assert "../_static/revealjs/reveal.js" in page and "../_static/mathjax/tex-mml-chtml.js" in page
    assert "http://" not in page and "https://" not in page  # nothing from a CDN


def test_pdf_page_combines_the_site_without_solutions(tmp_path):
    from nodebook_build.pdf import combine

    head = ('<head><meta charset="utf-8"><link rel="stylesheet" href="../_static/a.css">'
            '<script src="../_static/theme.js"></script><script src="../_static/mathjax/tex-mml-chtml.js"></script>'
            "</head>")
    (tmp_path / "book").mkdir()
    (tmp_path / "chapters").mkdir()
    (tmp_path / "book" / "index.html").write_text(
        f'<html data-theme="light">{head}<body><article class="bd-article"><h1>Home</h1>'
        '<a href="../chapters/c1.html#sec">go</a></article></body></html>')
    (tmp_path / "chapters" / "c1.html").write_text(
        f'<html>{head}<body><article class="bd-article"><h1 id="top">C1</h1><p id="sec">x</p>'
        '<div class="exercise">Q</div><div class="solution dropdown">Secret</div>'
        '<details class="hide above-input">hidden code</details></article></body></html>')
    page = combine(tmp_path, ["book/index", "chapters/c1"], title="Book")
    assert "Secret" not in page and "hidden code" not in page and ">Q<" in page
    assert 'href="#chapters-c1--sec"' in page and 'id="chapters-c1--sec"' in page
    assert "theme.js" not in page and "mathjax/tex-mml-chtml.js" in page and "a.css" in page
    assert "Secret" in combine(tmp_path, ["chapters/c1"], title="Book", student=False)


def test_executed_notebook_is_found_by_content_not_path(tmp_path):
    """A chapter whose run the build reused from the cache has no record under its own path: the glued
    values are still found (matched on the code, as myst-nb matches)."""
    import jupytext
    import nbformat
    from jupyter_cache import get_cache

    src = tmp_path / "ch.md"
    src.write_text("---\nkernelspec: {display_name: Python 3, language: python, name: python3}\n---\n# T\n\n"
                   "```{code-cell} ipython3\nglue('k', 0.5, display=False)\n```\n")
    ran = jupytext.read(src, fmt="md:myst")
    code = next(c for c in ran.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("display_data", data={
        "application/papermill.record/text/plain": "0.5"}, metadata={
        "scrapbook": {"name": "k", "mime_prefix": "application/papermill.record/"}})]
    elsewhere = tmp_path / "elsewhere.ipynb"
    nbformat.write(ran, elsewhere)
    get_cache(str(tmp_path / "cache")).cache_notebook_file(str(elsewhere), check_validity=False)
    assert booktools.glue_values(booktools.executed_notebook(src, tmp_path / "cache")) == {"k": "0.5"}
    src.write_text(src.read_text().replace("0.5", "0.6"))  # changed code: the old run does not count
    assert booktools.executed_notebook(src, tmp_path / "cache") is None


@pytest.mark.parametrize("pdf", [True, False])
@pytest.mark.parametrize("repo_url", ["", "https://github.com/org/nodebook"])
def test_chapter_page_links_and_launch_buttons(tmp_path, repo_url, pdf):
    """The Sphinx hook on a chapter page: notebook/slides links always, the PDF link when the PDF will be
    printed; launch buttons (bar and header) exactly when _config.yml names a repository, opening the
    learner notebook of the published site."""
    import importlib.util
    from types import SimpleNamespace

    spec = importlib.util.spec_from_file_location("nodebook_course", book.repo_root() / "book/_ext/nodebook_course.py")
    ext = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ext)
    (tmp_path / "_config.yml").write_text(f"repository:\n  url: '{repo_url}'\nlaunch_buttons:\n"
                                          "  binderhub_url: https://mybinder.org\n"
                                          "  colab_url: https://colab.research.google.com\n")
    app = SimpleNamespace(srcdir=str(tmp_path), builder=SimpleNamespace(format="html"),
                          config=SimpleNamespace(nodebook_pdf=pdf))
    context = {"body": "<h1>1. T</h1><p>x</p>", "pathto": lambda p, resource=0: f"../{p}",
               "header_buttons": [{"label": "download-buttons", "buttons": [{"label": "download-source-button"}]}]}
    ext.chapter_links(app, "chapters/01_x", "page.html", context, None)
    body = context["body"]
    assert body.startswith('<h1>1. T</h1><p class="nodebook-chapter-links">')
    assert 'href="../notebooks/01_x.ipynb" download' in body and 'href="../slides/01_x.html"' in body
    assert ('href="../nodebook-student.pdf"' in body) == pdf
    labels = [b["label"] for b in context["header_buttons"][0]["buttons"]]
    assert labels[:2] == ["download-learner-notebook-button", "slides-button"]
    launch = [g for g in context["header_buttons"] if g.get("label") == "launch-buttons"]
    if repo_url:
        assert "Open in Binder" in body and "Open in Colab" in body
        assert [b["text"] for b in launch[0]["buttons"]] == ["Binder", "Colab"]
        assert "blob/gh-pages/notebooks/01_x.ipynb" in body
    else:
        assert "Open in" not in body and "mybinder" not in body and not launch


def test_glued_markdown_tables_become_markdown():
    """A glued Markdown value (``{glue:md}`` directive) is written as its Markdown, not as a fence or a repr."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("glue(...)")
    prefix = "application/papermill.record/"
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        prefix + "text/plain": "<IPython.core.display.Markdown object>",
        prefix + "text/markdown": "| a |\n|---|\n| 1 |"},
        metadata={"scrapbook": {"name": "tbl", "mime_prefix": prefix}})]
    nb.cells.append(cell)
    values = booktools.glue_values(nb)
    assert values == {"tbl": "| a |\n|---|\n| 1 |"}
    out = myst.convert("Before\n\n```{glue:md} tbl\n:format: myst\n```\n\nAfter", myst.Context(glue=values))
    assert "| 1 |" in out and "{glue" not in out and "```" not in out


# ------------------------------------------------------------------ solutions at every nesting (issue 21)
NESTED = """---
jupytext: {text_representation: {extension: .md, format_name: myst}}
kernelspec: {display_name: Python 3, language: python, name: python3}
---
# 9. Nesting

## Exercises

```{exercise}
:label: n-1
First exercise.
```

```{solution} n-1
SECRET_PLAIN
```

````{dropdown} Show the solution
```{solution} n-1
SECRET_IN_DROPDOWN
```
````

::::{admonition} Hint
:::{solution} n-1
SECRET_COLON_IN_ADMONITION
:::
::::

::::::{dropdown} Three deep
:::::{admonition} Level two
::::{tab-set}
:::{tab-item} Answer
```{solution} n-1
SECRET_THREE_DEEP
```
:::
::::
:::::
::::::

`````{note}
````{tip}
```{solution} n-1
:class: dropdown
SECRET_BACKTICKS_DEEP
```
````
`````

```{exercise-start}
:label: n-2
```
Second exercise.
```{exercise-end}
```

```{solution-start} n-2
:class: dropdown
```
SECRET_GATED_TEXT

```{code-cell} ipython3
secret_gated_code = 1  # SECRET_GATED_CODE
```

```{solution-end}
```

After the exercises.
"""
SECRETS = ["SECRET_PLAIN", "SECRET_IN_DROPDOWN", "SECRET_COLON_IN_ADMONITION", "SECRET_THREE_DEEP",
           "SECRET_BACKTICKS_DEEP", "SECRET_GATED_TEXT", "SECRET_GATED_CODE"]


def _all_text(nb) -> str:
    return "\n".join(c.source for c in nb.cells)


def test_no_solution_at_any_nesting_reaches_the_student_notebook():
    student = booktools.to_notebook(NESTED, student=True, ctx=myst.Context())
    instructor = booktools.to_notebook(NESTED, student=False, ctx=myst.Context())
    assert all(s in _all_text(instructor) for s in SECRETS)  # the test's sources really hold them
    leaked = [s for s in SECRETS if s in _all_text(student)]
    assert leaked == []
    text = _all_text(student)
    assert "First exercise." in text and "Second exercise." in text and "After the exercises." in text
    assert sum("exercise-answer" in c.metadata.get("tags", []) for c in student.cells) == 2


def test_no_solution_at_any_nesting_reaches_the_slides():
    import jupytext

    from nodebook_build.slides import slides_html

    page = slides_html(jupytext.reads(NESTED, fmt="md:myst"), myst.Context(), title="9", chapter_url="c.html")
    assert [s for s in SECRETS if s in page] == [] and "Nesting" in page


def test_write_notebooks_and_zip_hold_no_solution(tmp_path):
    import zipfile

    source = tmp_path / "src" / "09_nesting.md"
    source.parent.mkdir()
    source.write_text(NESTED)
    written = booktools.write_notebooks(tmp_path / "out", book.repo_root(), sources=[source],
                                        cache_path=tmp_path / "no-cache")
    assert [p.name for p in written.student] == ["09_nesting.ipynb"]
    assert [s for s in SECRETS if s in written.student[0].read_text()] == []
    assert all(s in written.instructor[0].read_text() for s in SECRETS)
    with zipfile.ZipFile(written.zip) as zf:
        assert [s for s in SECRETS if any(s in zf.read(n).decode() for n in zf.namelist())] == []


UNCLOSED = NESTED.replace("```{solution-end}\n```\n", "")


def test_unclosed_solution_start_is_the_same_error_in_notebooks_and_slides(tmp_path):
    import jupytext

    from nodebook_build.slides import slides_html

    line = UNCLOSED.splitlines().index("```{solution-start} n-2") + 1
    message = rf"09_nesting\.md, line {line}: \{{solution-start\}} has no matching \{{solution-end\}}"
    for student in (True, False):
        with pytest.raises(ValueError, match=message):
            booktools.to_notebook(UNCLOSED, student=student, ctx=myst.Context(), path="chapters/09_nesting.md")
    source = tmp_path / "09_nesting.md"
    source.write_text(UNCLOSED)
    with pytest.raises(ValueError, match=message):  # slides used to drop the rest of the chapter silently
        slides_html(jupytext.read(source, fmt="md:myst"), myst.Context(), title="9", chapter_url="c.html",
                    source=source)
    with pytest.raises(ValueError, match=r"09_nesting\.md, line \d+: \{solution-end\} without a \{solution-start\}"):
        booktools.to_notebook(NESTED.replace("```{solution-start} n-2\n:class: dropdown\n```\n", ""),
                              student=True, ctx=myst.Context(), path="09_nesting.md")


@pytest.mark.slow
def test_no_solution_at_any_nesting_reaches_the_printed_student_pdf_page(tmp_path):
    """The HTML that Chromium prints for the student PDF (pdf.combine on a Sphinx build with the book's
    extensions) holds no solution; the instructor edition holds every one (so the check is not vacuous)."""
    from sphinx.cmd.build import build_main

    from nodebook_build.pdf import combine

    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["myst_nb", "sphinx_exercise", "sphinx_design"]\n'
                                 'nb_execution_mode = "off"\nmyst_enable_extensions = ["colon_fence", "dollarmath"]\n'
                                 'html_theme = "sphinx_book_theme"\n')
    (src / "index.md").write_text(NESTED)
    assert build_main(["-b", "html", "-q", "-W", str(src), str(tmp_path / "html")]) == 0
    instructor = combine(tmp_path / "html", ["index"], student=False, title="t")
    assert all(s in instructor for s in SECRETS)
    student = combine(tmp_path / "html", ["index"], student=True, title="t")
    assert [s for s in SECRETS if s in student] == [] and "After the exercises." in student


def test_an_unclosed_fence_cannot_hide_a_solution_from_the_parser():
    text = NESTED.replace("After the exercises.", "````\nnever closed\n\n```{solution} n-2\nSECRET_AFTER\n```\n")
    with pytest.raises(ValueError, match=r"c\.md, line \d+: the fence ```` is never closed"):
        booktools.to_notebook(text, student=True, ctx=myst.Context(), path="c.md")
    with pytest.raises(ValueError, match=r"c\.md, line \d+: the fence ```` is never closed"):
        booktools.strip_solutions(text, "c.md")


# ------------------------------------------------------------------------------ publish, workload
def _pins(path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if "==" in line and not line.lstrip().startswith(("#", "-")):
            name, _, version = line.split("#")[0].strip().partition("==")
            pins[name.lower().replace("_", "-")] = version.split("+")[0]
    return pins


def test_binder_pins_agree_with_the_lock_and_the_install_cell():
    """Binder installs the versions the book is tested with (the CPU torch), and so does the install cell."""
    from nodebook_build.notebooks import TORCH_PIN

    root = book.repo_root()
    binder, lock = _pins(root / "binder" / "requirements.txt"), _pins(root / "requirements-lock.txt")
    lab = _pins(root / "requirements-lab.txt")
    assert binder["torch"] == TORCH_PIN == lock["torch"]
    wrong = {k: (v, lock.get(k, lab.get(k))) for k, v in binder.items() if v != lock.get(k, lab.get(k))}
    assert not wrong, f"binder/requirements.txt pins differ from requirements-lock.txt: {wrong}"
    assert "download.pytorch.org/whl/cpu" in (root / "binder" / "requirements.txt").read_text()


def test_workload_counts_maths_and_exercises(tmp_path):
    from nodebook_build import workload

    prose = "word " * 400
    assert workload.reading_and_maths(prose) == (2, 0)
    with_maths = prose + "\n$$\na = b\n$$\n\n$$\n\\begin{aligned}x &= 1\\\\\ny &= 2\n\\end{aligned}\n$$\n" + "$x$ " * 10
    reading, maths = workload.reading_and_maths(with_maths)
    assert reading == 2  # TeX is not read as words
    assert maths == math.ceil(3 * workload.DISPLAY_MATH_MINUTES + 10 * workload.INLINE_MATH_MINUTES)
    page = tmp_path / "c.md"
    page.write_text("word " * 390 + "\n```{exercise} One · hard\n:label: e1\n\nDo it.\n```\n")
    assert workload.chapter_study(page).practice == 45 and workload.chapter_study(page).total == 2 + 45
    with pytest.raises(TypeError, match="expected the page's text as a str"):
        workload.reading_and_maths(None)
    with pytest.raises(FileNotFoundError, match="expected a chapter source file"):
        workload.chapter_study(tmp_path / "missing.md")


def test_every_course_week_fits_the_stated_load():
    """The syllabus table's check, outside the build: each week (reading + maths + practice + assignment +
    class + capstone share) stays within WEEKLY_LOAD_HOURS."""
    from nodebook import config, grading
    from nodebook_build import workload

    root = book.repo_root()
    for week, (key, stem) in enumerate(config.CHAPTERS.items(), start=1):
        page = root / "book" / "assignments" / f"{key}.md"
        total = (workload.chapter_study(root / "chapters" / f"{stem}.md").total + workload.CLASS_MINUTES
                 + (grading.exercise_minutes(page) if page.exists() else 0)
                 + (60 * workload.CAPSTONE_HOURS / 5 if week >= 3 else 0))
        assert total <= 60 * workload.WEEKLY_LOAD_HOURS, f"week {week}: {total / 60:.1f} h"


def test_course_plans_chapter_7_and_notation_has_its_symbols():
    root = book.repo_root()
    course = (root / "book" / "course.md").read_text()
    week7 = course[course.index("### Week 7"):course.index("(course-capstone)=")]
    assert "{ref}`ch7`" in week7
    assert "sizes the papers use, meant for a GPU" not in course and "45 minutes" in course
    notation = (root / "book" / "notation.md").read_text()
    for symbol in (r"R(h\lambda)", r"\lambda_K", r"\gamma", "s = [z, a, g]"):
        assert symbol in notation, symbol


def test_notebook_exercise_numbers_match_the_site(tmp_path):
    """Chapter 2's notebook says "Exercise 2.1", as its page does (numbers per page, not through the book)."""
    import nbformat

    from nodebook_build import write_notebooks

    root = book.repo_root()
    written = write_notebooks(tmp_path, root, cache_path=tmp_path / "none",
                              sources=[root / "chapters" / "02_resnet_euler.md"])
    for path, kinds in ((written.student[0], ("Exercise", "Your answer to exercise")),
                        (written.instructor[0], ("Exercise", "Solution to exercise"))):
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        for kind in kinds:
            assert f"{kind} 2.1" in text and f"{kind} 1" not in text.replace(f"{kind} 2.1", ""), (path, kind)
