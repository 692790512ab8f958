"""`make lab` in a real browser: a learner notebook runs all its cells and shows no glue key or solution;
`make lab-source` (authors): a chapter's MyST source opens as a notebook and its setup cell runs.

JupyterLab is an extra (requirements-lab.txt), not part of `make test`; this test skips without it.
`make lab-test` installs it and runs this file. The learner notebook is written the way `make lab` writes
it (`python -m nodebook_build notebooks`: numbers from the built book's execution cache, solutions left out);
without a built book it skips (under CI=true it fails).

The tests drive Lab through its own app object and read the notebook's model (see PANEL_JS below): each step
has its own time limit and a failure names the cell that raised or stalled. Chapter 1's Run All takes
10-40 s on the 2-core machine, the whole file 70-230 s (idle to heavily loaded).
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
from contextlib import contextmanager
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
# draws only the cells in view by default, and the test reads the whole rendered notebook) and no news toast
# (offline here; it asks before fetching anything).
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook",
                                                                   "myst": "Jupytext Notebook"}},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
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
           f"--LabApp.app_settings_dir={settings}", "--LabApp.expose_app_in_browser=True"]
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
    # for the test that the checks can fail: the instructor's copy (solutions in), and two broken notebooks
    (root / "instructor.ipynb").write_bytes(written.instructor[0].read_bytes())
    _write_notebook(root / "broken.ipynb", ["The blow-up time is ch1_blowup_t:.6f.\n\nThe answer is forty-two."],
                    "x = 1", "1 / 0", "y = 2")
    _write_notebook(root / "slow.ipynb", [], "import time", "time.sleep(120)")
    proc, base, token = _start_lab(root, work)
    try:
        yield base, token
    finally:
        _stop(proc)


def _write_notebook(path: Path, markdown: list[str], *code: str) -> None:
    import nbformat

    cells = [nbformat.v4.new_markdown_cell(m) for m in markdown] + [nbformat.v4.new_code_cell(c) for c in code]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                        "display_name": "Python 3"}})
    nbformat.write(nb, path)


def _leaks(source: str) -> tuple[list[str], list[str]]:
    """The chapter's glue keys, and a phrase from each of its solutions (what a student must not see): the
    longest stretch of plain words in the solution's first paragraph (math renders as other text)."""
    keys = sorted(set(re.findall(r"\{glue(?::\w+)?\}`(?:[^`<]*<)?([\w.]+)", source)))
    phrases = []
    for body in re.findall(r"```\{solution-start\}.*?```\n(.*?)```\{solution-end\}", source, re.S):
        paragraph = " ".join(re.split(r"\n\s*\n", body.strip())[0].split())
        if paragraph.startswith(("`", ":", "$")):
            continue
        plain = re.split(r"\$[^$]*\$|`[^`]*`|[*_()\[\]{}]", paragraph)
        phrase = max((p.strip(" .,;:") for p in plain), key=len)
        if len(phrase) >= 15:
            phrases.append(phrase[:60])
    return keys, phrases


# The tests drive JupyterLab through its own app object (the server exposes it to the page with
# --LabApp.expose_app_in_browser, as JupyterLab's own UI tests do) and read the notebook's model, not its
# menus or prompts: a menu click can land before the menu bar is ready, and a code cell whose input is folded
# (the learner notebooks fold every hide-input/remove-cell cell) shows no prompt text at all.
PANEL_JS = """window.__nbPanel = (path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  for (const w of app.shell.widgets('main')) if (w.context && w.context.path === path) return w;
  return null;
};"""

READY_JS = """(path) => {
  const w = window.__nbPanel(path);
  if (!window.jupyterapp) return 'the JupyterLab app is not loaded';
  if (!w) return 'no tab shows ' + path;
  if (!w.hasClass('jp-NotebookPanel')) return path + ' opened in a ' + w.node.className + ', not as a notebook';
  if (!w.context.isReady) return 'the notebook is still loading';
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  return kernel ? kernel.status : 'no kernel yet';
}"""

STATE_JS = """(path) => {
  const w = window.__nbPanel(path);
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  const cells = [];
  w.content.widgets.forEach((cell, i) => {
    if (cell.model.type !== 'code') return;
    const error = cell.model.outputs.toJSON().find(o => o.output_type === 'error');
    cells.push({index: i + 1, count: cell.model.executionCount,
                line: cell.model.sharedModel.getSource().split('\\n').find(l => l.trim()) || '',
                error: error ? error.ename + ': ' + error.evalue : null});
  });
  return {kernel: kernel ? kernel.status : 'no kernel', cells, total: w.content.widgets.length};
}"""

# What the page shows: the rendered text of every Markdown cell (jupyterlab-myst renders into a `.myst` box,
# plain Lab into `.jp-RenderedMarkdown`; null while not rendered yet) and every code cell's outputs.
SHOWN_JS = """(path) => {
  const w = window.__nbPanel(path);
  const markdown = w.content.widgets.filter(c => c.model.type === 'markdown').map(c => {
    const r = c.node.querySelector('.jp-InputArea > .myst, .jp-RenderedMarkdown');
    return r ? r.innerText : null;
  });
  const outputs = w.content.widgets.filter(c => c.model.type === 'code').map(c => c.outputArea.node.innerText);
  return {markdown, outputs};
}"""

# The visible top-level headings (h1: a Markdown `#` heading, or the title block jupyterlab-myst draws from the
# first cell's heading) whose text holds ``title``.
TITLES_JS = """([path, title]) => {
  const w = window.__nbPanel(path);
  return [...w.content.node.querySelectorAll('h1')]
    .filter(h => h.getClientRects().length && h.innerText.includes(title))
    .map(h => (h.className ? h.className + ': ' : '') + h.innerText.trim());
}"""

KERNEL_GONE = ("dead", "restarting", "autorestarting", "terminating")


@contextmanager
def _open_notebook(chromium, base: str, token: str, path: str, *, timeout_s: float = 150):
    """A JupyterLab page showing the notebook ``path`` with its kernel idle (a kernel picker, if any, accepted),
    and the list its page errors are collected into; the page is closed on leaving the ``with`` block."""
    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(PANEL_JS)
    # a workspace of its own: no tab restored from an earlier page
    page.goto(f"{base}/lab/workspaces/t{secrets.token_hex(4)}/tree/{path}?token={token}", timeout=90_000)
    from playwright.sync_api import Error as PlaywrightError

    def ready() -> str:
        try:
            return page.evaluate(READY_JS, path)
        except PlaywrightError as err:  # e.g. the page still navigating
            return f"the page is not ready ({str(err).splitlines()[0]})"

    deadline = time.monotonic() + timeout_s
    while (status := ready()) != "idle":
        if "not as a notebook" in status or status in KERNEL_GONE or time.monotonic() > deadline:
            page.close()
            raise AssertionError(f"{path} did not open as a notebook with an idle kernel within {timeout_s:.0f} s: "
                                 f"{status}")
        if page.locator(".jp-Dialog .jp-mod-accept").count():  # "Select Kernel" on a notebook without one
            page.locator(".jp-Dialog .jp-mod-accept").first.click()
        time.sleep(0.5)
    try:
        yield page, errors
    finally:
        page.close()


def _execute(page, path: str, command: str, *, cells: int | None = None, budget_s: float = 180,
             stall_s: float = 120) -> float:
    """Run JupyterLab's ``command`` on the notebook ``path`` and wait until its first ``cells`` code cells (all
    by default) have run and the kernel is idle; the seconds it took. Fails at once on a cell that raised,
    on a dead kernel, when no cell finished for ``stall_s`` or when it all took over ``budget_s``, naming the
    cell."""
    page.evaluate("""([path, command]) => {
      const w = window.__nbPanel(path);
      window.jupyterapp.shell.activateById(w.id);
      if (command === 'notebook:run-cell') w.content.activeCellIndex =
        w.content.widgets.findIndex(c => c.model.type === 'code');
      else w.content.widgets.forEach(c => {  // nothing left from an earlier run
        if (c.model.type === 'code') { c.model.outputs.clear(); c.model.executionCount = null; }
      });
      window.jupyterapp.commands.execute(command, {widgetId: w.id});  // this tab, whichever has the focus
    }""", [path, command])
    start = last_progress = time.monotonic()
    ran_before = -1
    while True:
        state = page.evaluate(STATE_JS, path)
        wanted = state["cells"][:cells]
        ran = [c for c in wanted if c["count"] is not None]
        for c in state["cells"]:
            if c["error"]:
                raise AssertionError(f"{path}: cell {c['index']} of {state['total']} ({c['line'][:80]!r}) raised "
                                     f"{c['error'][:300]}")
        if state["kernel"] in KERNEL_GONE:
            raise AssertionError(f"{path}: the kernel is {state['kernel']} after {len(ran)} of {len(wanted)} code "
                                 "cells ran (out of memory? see the lab log)")
        if len(ran) == len(wanted) and state["kernel"] == "idle":
            return time.monotonic() - start
        now = time.monotonic()
        if len(ran) != ran_before:
            ran_before, last_progress = len(ran), now
        if now - last_progress > stall_s or now - start > budget_s:
            pending = next((c for c in wanted if c["count"] is None), None)
            where = (f"cell {pending['index']} of {state['total']} ({pending['line'][:80]!r})" if pending
                     else "the last cell")
            raise AssertionError(f"{path}: {command} stalled at {where}: {len(ran)} of {len(wanted)} code cells "
                                 f"ran in {now - start:.0f} s, none in the last {now - last_progress:.0f} s "
                                 f"(limits: {stall_s:.0f} s per cell, {budget_s:.0f} s in all); kernel "
                                 f"{state['kernel']}" + (" (the command never started)" if not ran else ""))
        time.sleep(0.5)


def _shown(page, path: str, *, timeout_s: float = 60) -> tuple[str, str]:
    """The rendered text of the notebook's Markdown cells, and of its outputs, once every Markdown cell has
    rendered."""
    deadline = time.monotonic() + timeout_s
    while None in (shown := page.evaluate(SHOWN_JS, path))["markdown"]:
        if time.monotonic() > deadline:
            missing = shown["markdown"].count(None)
            raise AssertionError(f"{path}: {missing} of {len(shown['markdown'])} Markdown cells not rendered "
                                 f"after {timeout_s:.0f} s")
        time.sleep(0.5)
    return "\n".join(shown["markdown"]), "\n".join(shown["outputs"])


def _check_clean(markdown: str, outputs: str, keys: list[str], phrases: list[str]) -> None:
    """Fail on a traceback in the outputs, or a glue key, solution text or raw MyST anywhere on the page."""
    tracebacks = [t for t in outputs.split("\n\n") if "Traceback (most recent call last)" in t]
    assert not tracebacks, f"a cell printed a traceback: {tracebacks[0][:500]}"
    shown = markdown + "\n" + outputs
    leaked_keys = [k for k in keys if k in shown]
    assert not leaked_keys, f"glue keys shown as text: {leaked_keys[:5]}"
    leaked = [p for p in phrases if p in shown]
    assert not leaked, f"solution text shown: {leaked[:3]}"
    raw = [m for m in ("Start of Solution", "{glue", "{solution", "{exercise", "```{") if m in shown]
    assert not raw, f"raw MyST shown: {raw}"


@pytest.mark.timeout(600)  # JupyterLab's start (up to 240 s on a loaded machine) counts; the steps have their own
def test_learner_notebook_runs_all_cells_without_glue_keys_or_solutions(learner_lab, chromium):
    base, token = learner_lab
    keys, phrases = _leaks((ROOT / CHAPTER).read_text())
    assert len(keys) > 10 and phrases, "the chapter should have glue keys and solutions to look for"
    with _open_notebook(chromium, base, token, "ch1.ipynb") as (page, errors):
        seconds = _execute(page, "ch1.ipynb", "notebook:run-all-cells", budget_s=180, stall_s=120)
        print(f"Run All Cells: {seconds:.1f} s")
        markdown, outputs = _shown(page, "ch1.ipynb")
        assert "ODEs and how to solve them" in markdown, f"the chapter's text is not on the page: {markdown[:300]!r}"
        titles = page.evaluate(TITLES_JS, ["ch1.ipynb", "ODEs and how to solve them"])
        assert len(titles) == 1, f"the chapter's title should be shown once, as one h1; shown: {titles}"
        assert "mode=quick" in outputs, f"the setup cell's line is missing from the outputs: {outputs[:300]!r}"
        _check_clean(markdown, outputs, keys, phrases)
        assert not errors, f"page errors in JupyterLab: {errors[:3]}"


def test_the_checks_fail_on_a_raising_cell_a_stalled_cell_and_a_leak(learner_lab, chromium):
    """The checks above can fail: on the instructor's copy of the chapter (every solution phrase found), a cell
    that raises, a cell that never finishes, a glue key shown as text (notebooks written by the fixture)."""
    base, token = learner_lab
    keys, phrases = _leaks((ROOT / CHAPTER).read_text())
    with _open_notebook(chromium, base, token, "instructor.ipynb") as (page, _):
        markdown, outputs = _shown(page, "instructor.ipynb")
        with pytest.raises(AssertionError, match="solution text shown") as caught:
            _check_clean(markdown, outputs, keys, phrases)
        assert all(p in str(caught.value) for p in phrases), f"not every solution phrase found: {caught.value}"
    with _open_notebook(chromium, base, token, "broken.ipynb") as (page, _):
        with pytest.raises(AssertionError, match=r"cell 3 of 4 \('1 / 0'\) raised ZeroDivisionError"):
            _execute(page, "broken.ipynb", "notebook:run-all-cells", budget_s=60)
        markdown, outputs = _shown(page, "broken.ipynb")
        with pytest.raises(AssertionError, match="(?s)a cell printed a traceback.*ZeroDivisionError"):
            _check_clean("", outputs, [], [])
        with pytest.raises(AssertionError, match="glue keys shown as text: \\['ch1_blowup_t'\\]"):
            _check_clean(markdown, "", ["ch1_blowup_t"], [])
        with pytest.raises(AssertionError, match="solution text shown"):
            _check_clean(markdown, "", [], ["The answer is forty-two"])
    with _open_notebook(chromium, base, token, "slow.ipynb") as (page, _):
        with pytest.raises(AssertionError, match=r"stalled at cell 2 of 2 \('time.sleep\(120\)'\)"):
            _execute(page, "slow.ipynb", "notebook:run-all-cells", stall_s=5)
        page.evaluate("() => window.jupyterapp.commands.execute('kernelmenu:interrupt')")


@pytest.mark.timeout(420)  # JupyterLab's start counts
def test_a_chapter_opens_as_a_notebook_and_its_setup_cell_runs(lab_url, chromium):
    base, token = lab_url
    # jupytext's "Jupytext Notebook" viewer (set by `make lab`) opens the .md as cells, not as text: the first
    # code cell is the chapter's setup cell on its own (a text editor would show the whole file in one box).
    with _open_notebook(chromium, base, token, CHAPTER) as (page, errors):
        source = page.evaluate("""(path) => window.__nbPanel(path).content.widgets
          .find(c => c.model.type === 'code').model.sharedModel.getSource()""", CHAPTER)
        assert "setup(" in source and "jupytext" not in source, f"expected the setup cell; got {source[:300]!r}"
        _execute(page, CHAPTER, "notebook:run-cell", cells=1, budget_s=120)
        text = page.evaluate("""(path) => window.__nbPanel(path).content.widgets
          .find(c => c.model.type === 'code').outputArea.node.innerText""", CHAPTER)
        assert "mode=quick" in text and "ch1" in text, f"setup cell printed {text!r}"
        assert not errors, f"page errors in JupyterLab: {errors[:3]}"
