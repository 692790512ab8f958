"""`make lab` in a real browser: a chapter's MyST source opens as a notebook and its setup cell runs.

JupyterLab is an extra (requirements-lab.txt), not part of `make test`; this test skips without it.
`make lab-test` installs it and runs this file.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.browser

pytest.importorskip("jupyterlab", reason="JupyterLab is an extra: `make lab-test` installs it and runs this test")

CHAPTER = "chapters/01_odes_and_solvers.md"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 run exactly as `make lab` runs it (same venv, settings, root)."""
    port, token = _free_port(), secrets.token_hex(8)
    log = Path(tmp_path_factory.mktemp("lab")) / "lab.log"
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={ROOT}", "--no-browser",
           f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}"]
    if hasattr(os, "getuid") and os.getuid() == 0:
        cmd.append("--allow-root")
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start; its log:\n{log.read_text()[-3000:]}")
                time.sleep(1)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_a_chapter_opens_as_a_notebook_and_its_setup_cell_runs(lab_url, chromium):
    base, token = lab_url
    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base}/lab/tree/{CHAPTER}?token={token}", timeout=90_000)
        # jupytext's "Jupytext Notebook" viewer (set by `make lab`) renders the .md as cells, not as text.
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=90_000)
        page.wait_for_timeout(3000)
        if page.locator(".jp-Dialog").count():  # a kernel picker, on a first start
            page.locator(".jp-Dialog .jp-mod-accept").first.click()
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
