"""The book build never sits out a per-cell timeout on a reply that has arrived, and a stuck cell fails fast.

The stall (measured with book/_tools/stress_execute.py): Chapter 5's live_slider cell waited 300.0 s, the
whole per-cell timeout, for an execute_reply that had reached the client 299.3 s earlier; then the build
went on without an error. These tests pin the fix (book/_tools/nodebook_execute.py) and the limits.
"""

import asyncio
import importlib.util
import re
import sys
import time
from pathlib import Path
from queue import Empty

import pytest
import yaml

from nodebook.config import BUDGETS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def execute_ext(monkeypatch):
    spec = importlib.util.spec_from_file_location("nodebook_execute", ROOT / "book" / "_tools" / "nodebook_execute.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from jupyter_client.channels import AsyncZMQSocketChannel

    monkeypatch.setattr(AsyncZMQSocketChannel, "get_msg", AsyncZMQSocketChannel.get_msg)  # undone after
    monkeypatch.setattr(module, "SLICE_S", 0.05)
    return module


class _MissedWakeupSocket:
    """A socket whose poll never wakes early: it only looks again when its timeout ends, as pyzmq does
    after a missed wake-up (its poll ends with one more non-blocking poll)."""

    def __init__(self, arrives_after: float | None):
        self.arrives = None if arrives_after is None else time.monotonic() + arrives_after

    async def poll(self, timeout_ms):
        await asyncio.sleep((timeout_ms or 0) / 1000)
        return int(self.arrives is not None and time.monotonic() >= self.arrives)


def _channel(arrives_after):
    from jupyter_client.channels import AsyncZMQSocketChannel

    channel = AsyncZMQSocketChannel.__new__(AsyncZMQSocketChannel)
    channel.socket = _MissedWakeupSocket(arrives_after)

    async def recv():
        return {"msg_type": "execute_reply"}

    channel._recv = recv
    return channel


def _timed_get(channel, timeout):
    start = time.monotonic()
    try:
        result = asyncio.run(channel.get_msg(timeout=timeout))
    except Empty:
        result = Empty
    return result, time.monotonic() - start


def test_a_missed_wakeup_costs_a_slice_not_the_whole_timeout(execute_ext):
    reply, waited = _timed_get(_channel(arrives_after=0.02), timeout=1.5)
    assert reply == {"msg_type": "execute_reply"} and waited >= 1.4  # jupyter-client as installed: all of it
    assert execute_ext.install() is True and execute_ext.install() is False  # idempotent
    reply, waited = _timed_get(_channel(arrives_after=0.02), timeout=1.5)
    assert reply == {"msg_type": "execute_reply"} and waited < 0.5


def test_a_reply_that_never_comes_still_times_out_at_the_deadline(execute_ext):
    execute_ext.install()
    reply, waited = _timed_get(_channel(arrives_after=None), timeout=0.3)
    assert reply is Empty and 0.29 <= waited < 0.6


def test_the_book_build_loads_the_fix_and_fails_fast_with_the_cell_named():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    execute = config["execute"]
    assert config["sphinx"]["local_extensions"]["nodebook_execute"] == "book/_tools"
    longest_quick = max(b["quick"]["time_s"] for b in BUDGETS.values())
    assert longest_quick < execute["timeout"] < 3 * longest_quick  # close to the chapter budget
    assert execute["raise_on_error"] is True and execute["show_tb"] is True


def test_nbval_gets_the_same_per_cell_limit():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"--nbval-cell-timeout=\$\(CELL_TIMEOUT\)", makefile)
    assert "timeout:" in (ROOT / "_config.yml").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r"--timeout=\d+", pyproject)  # pytest-timeout for every test, nbval cells included


@pytest.mark.skipif(sys.platform == "win32", reason="make and sed")
def test_the_makefile_reads_the_limit_from_config(tmp_path):
    import subprocess

    out = subprocess.run(["make", "-s", "-n", "-C", str(ROOT), "nbval"], capture_output=True, text=True, timeout=60)
    limit = yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]["timeout"]
    assert f"--nbval-cell-timeout={limit}" in out.stdout, out.stdout + out.stderr
