"""`make lab` in a real browser: a learner notebook runs all its cells and shows no glue key or solution;
`make lab-source` (authors): a chapter's MyST source opens as a notebook and its setup cell runs.

JupyterLab is an extra (requirements-lab.txt), not part of `make test`; this test skips without it.
`make lab-test` installs it and runs this file. The learner notebook is written the way `make lab` writes
it (`python -m nodebook_build notebooks`: numbers from the built book's execution cache, solutions left out);
without a built book it skips (under CI=true it fails).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT, skip_or_fail

pytestmark = pytest.mark.browser

pytest.importorskip("jupyterlab", reason="JupyterLab is an extra: `make lab-test` installs it and runs this test")

CHAPTER = "chapters/01_odes_and_solvers.md"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# What `make lab` writes into the venv's lab settings (Makefile, LAB_STAMP), plus every cell rendered (Lab
# draws only the cells in view by default, and the test reads the whole rendered notebook).
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook",
                                                                   "myst": "Jupytext Notebook"}},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}


def _start_lab(root: Path, workdir: Path):
    """A JupyterLab server on 127.0.0.1 serving ``root``, run as `make lab` runs it (same venv)."""
    port, token = _free_port(), secrets.token_hex(8)
    settings = workdir / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "overrides.json").write_text(json.dumps(LAB_SETTINGS))
    log = workdir / "lab.log"
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}", "--no-browser",
           f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
           f"--LabApp.app_settings_dir={settings}"]
    if hasattr(os, "getuid") and os.getuid() == 0:
        cmd.append("--allow-root")
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=root,
                                env={**os.environ, "NODEBOOK_MODE": "quick"})
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240  # a loaded 2-core machine took over 90 s
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            return proc, base, token
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"JupyterLab did not start; its log:\n{log.read_text()[-3000:]}")
            time.sleep(1)


def _stop(proc) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    """JupyterLab on the clone, as `make lab-source` runs it."""
    proc, base, token = _start_lab(ROOT, tmp_path_factory.mktemp("lab"))
    try:
        yield base, token
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def learner_lab(tmp_path_factory):
    """JupyterLab on a folder holding Chapter 1's learner notebook, written as `make lab` writes it."""
    from nodebook_build import write_notebooks

    work = tmp_path_factory.mktemp("learner-lab")
    cache = ROOT / "_build" / ".jupyter_cache"
    written = write_notebooks(work / "notebooks", ROOT, cache_path=cache, sources=[ROOT / CHAPTER])
    if written.missing_glue:
        skip_or_fail(f"no executed book in {cache} to fill the numbers in (run `make book` first)")
    root = work / "lab"
    root.mkdir()
    (root / "ch1.ipynb").write_bytes(written.student[0].read_bytes())
    proc, base, token = _start_lab(root, work)
    try:
        yield base, token
    finally:
        _stop(proc)


def _leaks(source: str) -> tuple[list[str], list[str]]:
    """The chapter's glue keys, and a phrase from each of its solutions (what a student must not see)."""
    keys = sorted(set(re.findall(r"\{glue(?::\w+)?\}`(?:[^`<]*<)?([\w.]+)", source)))
    phrases = []
    for body in re.findall(r"```\{solution-start\}.*?```\n(.*?)```\{solution-end\}", source, re.S):
        prose = [ln.strip() for ln in body.splitlines() if ln.strip() and not ln.startswith(("`", ":", "$"))]
        if prose:
            phrases.append(re.sub(r"[`*$]", "", prose[0])[:40])
    return keys, phrases


def _open_notebook(chromium, url: str):
    """A JupyterLab page showing the notebook at ``url`` (its kernel picker accepted on a first start), and the
    list its page errors are collected into."""
    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, timeout=90_000)
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90_000)
    page.wait_for_timeout(3000)
    if page.locator(".jp-Dialog").count():
        page.locator(".jp-Dialog .jp-mod-accept").first.click()
    return page, errors


@pytest.mark.timeout(900)
def test_learner_notebook_runs_all_cells_without_glue_keys_or_solutions(learner_lab, chromium):
    base, token = learner_lab
    source = (ROOT / CHAPTER).read_text()
    keys, phrases = _leaks(source)
    assert len(keys) > 10 and phrases, "the chapter should have glue keys and solutions to look for"
    page, errors = _open_notebook(chromium, f"{base}/lab/tree/ch1.ipynb?token={token}")
    try:
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        # done when every code cell has an execution count and none is still running ([*])
        page.wait_for_function("""() => {
          const prompts = Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))
            .map(p => p.innerText.trim());
          return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p));
        }""", timeout=540_000, polling=2000)
        errors_out = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        tracebacks = [t for t in errors_out.all_inner_texts() if "Traceback" in t or "Error" in t.split("\n")[0]]
        assert not tracebacks, f"a cell raised: {tracebacks[0][:500]}"
        shown = "\n".join(page.locator(".jp-MarkdownCell .jp-RenderedMarkdown, .jp-OutputArea")
                           .all_inner_texts())
        assert "mode=quick" in shown
        leaked_keys = [k for k in keys if k in shown]
        assert not leaked_keys, f"glue keys shown as text: {leaked_keys[:5]}"
        leaked = [p for p in phrases if p in shown]
        assert not leaked, f"solution text shown: {leaked[:3]}"
        assert "Start of Solution" not in shown and "{glue" not in shown and "{solution" not in shown
        assert not errors, f"page errors in JupyterLab: {errors[:3]}"
    finally:
        page.close()


def test_a_chapter_opens_as_a_notebook_and_its_setup_cell_runs(lab_url, chromium):
    base, token = lab_url
    # jupytext's "Jupytext Notebook" viewer (set by `make lab`) renders the .md as cells, not as text.
    page, errors = _open_notebook(chromium, f"{base}/lab/tree/{CHAPTER}?token={token}")
    try:
        # Lab renders only the cells in view, so look at the first code cell: the chapter's setup cell, on
        # its own (a text editor would show the whole file, jupytext header included, in one box).
        cells = page.locator(".jp-Notebook .jp-CodeCell")
        source = cells.nth(0).locator(".jp-InputArea-editor").inner_text()
        assert "setup(" in source and "jupytext" not in source, f"expected the setup cell; got {source[:300]!r}"
        cells.nth(0).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")
        output = cells.nth(0).locator(".jp-OutputArea")
        page.wait_for_function(
            "el => el.innerText.includes('nodebook')", arg=output.element_handle(timeout=90_000), timeout=90_000)
        text = output.inner_text()
        assert "mode=quick" in text and "ch1" in text, f"setup cell printed {text!r}"
        assert not errors, f"page errors in JupyterLab: {errors[:3]}"
    finally:
        page.close()
