"""What a lecturer's fork publishes: a small build of the real book with `repository.url` set.

The repository is copied (as a fork would have it), its `_config.yml` gets a repository URL (the one step
of "Publish your course" that switches the launch buttons on) and no execution, its `_toc.yml` a few
pages (the landing page, two chapters, an assignment and a page of Markdown outputs), and Jupyter Book
builds it offline into the copy. Then the HTML is read: launch links on every chapter and assignment,
Binder's environment files in the site root, exercise numbers per page, and Markdown outputs (the pipe
tables a chapter shows with `display(Markdown(...))`) rendered as tables.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nodebook.results import repo_root

pytestmark = pytest.mark.slow

ROOT = repo_root()
URL = "https://github.com/some-lecturer/nodebook"
TABLE_PAGE = """---
jupytext:
  text_representation: {extension: .md, format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
mystnb: {execution_mode: force}
---
# Markdown outputs

```{code-cell} ipython3
from IPython.display import Markdown
Markdown("| model | error |\\n|---|---|\\n| latent ODE | 0.1 |\\n\\n**bold** and $x^2$")
```
"""


def _copy_repository(dest: Path) -> Path:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split("\n")
    for name in filter(None, files):
        if (ROOT / name).is_file() and not name.startswith(".venv"):
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    if not (ROOT / ".git").exists():
        pytest.skip("needs the repository (git ls-files) to copy")
    fork = _copy_repository(tmp_path_factory.mktemp("publish") / "fork")
    cfg = yaml.safe_load((fork / "_config.yml").read_text())
    cfg["repository"]["url"] = URL
    cfg["execute"]["execute_notebooks"] = "off"
    (fork / "_config.yml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    (fork / "book" / "tables.md").write_text(TABLE_PAGE)
    toc = {"format": "jb-book", "root": "book/index", "parts": [
        {"caption": "Chapters", "chapters": [{"file": "chapters/01_odes_and_solvers"},
                                             {"file": "chapters/02_resnet_euler"}]},
        {"caption": "Using the book", "chapters": [
            {"file": "book/course", "sections": [{"file": "book/assignments/ch2"}]},
            {"file": "book/tables"}]}]}
    (fork / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    env = {**os.environ, "NODEBOOK_MODE": "quick", "PYTHONPATH": str(ROOT / "src")}
    jb = Path(sys.executable).parent / "jupyter-book"
    done = subprocess.run([str(jb), "build", str(fork)], cwd=fork, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    return fork / "_build" / "html"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("page, stem", [("chapters/01_odes_and_solvers", "01_odes_and_solvers"),
                                        ("chapters/02_resnet_euler", "02_resnet_euler"),
                                        ("book/assignments/ch2", "02_resnet_euler")])
def test_launch_buttons_on_every_chapter_and_assignment(site, page, stem):
    text = (site / f"{page}.html").read_text()
    binder = f"https://mybinder.org/v2/gh/some-lecturer/nodebook/gh-pages?urlpath=lab%2Ftree%2Fnotebooks%2F{stem}.ipynb"
    colab = f"https://colab.research.google.com/github/some-lecturer/nodebook/blob/gh-pages/notebooks/{stem}.ipynb"
    assert binder.replace("&", "&amp;") in text and colab in text
    bar = text[text.find('<p class="nodebook-chapter-links">'):]
    bar = bar[:bar.find("</p>")]
    assert bar.count("Open in Binder") == 1 and bar.count("Open in Colab") == 1, bar
    assert "launch-binder-button" in text  # and the header's rocket menu
    # the notebook a button opens is published with the site; it installs the package from the fork
    notebook = (site / "notebooks" / f"{stem}.ipynb").read_text()
    assert f"nodebook @ git+{URL}@main" in notebook


@pytest.mark.timeout(900)
def test_binder_environment_is_published_with_the_site(site):
    reqs = (site / "binder" / "requirements.txt").read_text().splitlines()
    assert "torch==2.13.0" in reqs and reqs[-1] == f"nodebook @ git+{URL}@main"
    assert any("download.pytorch.org/whl/cpu" in line for line in reqs)
    assert (site / "binder" / "runtime.txt").read_text().strip().startswith("python-3.")


@pytest.mark.timeout(900)
def test_markdown_outputs_render_tables_and_myst(site):
    text = (site / "book" / "tables.html").read_text()
    output = text[text.find('<div class="cell_output'):]
    output = output[:output.find("</section>")]
    assert "<table" in output and "<td><p>latent ODE</p></td>" in output
    assert "|---|" not in output and "| model |" not in output and "**bold**" not in output
    assert "<strong>bold</strong>" in output and 'class="math' in output


@pytest.mark.timeout(900)
@pytest.mark.parametrize("page, prefix", [("chapters/02_resnet_euler", "2."), ("book/assignments/ch2", "A2.")])
def test_exercises_numbered_per_page(site, page, prefix):
    text = (site / f"{page}.html").read_text()
    numbers = re.findall(r'<span class="caption-number">Exercise ([^<]*?)\s*</span>', text)
    numbers = numbers or re.findall(r"Exercise (\S+?)</span>", text)
    assert numbers, "no numbered exercise found"
    assert numbers == [f"{prefix}{i}" for i in range(1, len(numbers) + 1)], numbers
