"""Execute chapters again and again the way Jupyter Book does, timing every cell and catching stalls.

Jupyter Book (myst-nb, ``execute_notebooks: cache``) reads a chapter with myst-nb's MyST reader and runs
it with nbclient in the chapter's folder, with the ``execute.timeout`` of ``_config.yml`` per cell. This
script does the same, and while a cell runs it watches the kernel: when the kernel process (and its
children) used no CPU for ``--idle`` seconds although a cell is still pending, that is a stall. Then it
writes a ``py-spy dump`` of the kernel and of this process, and the last messages this client received on
the shell and IOPub channels, into ``--logs``. Every execution appends one JSON line to
``<logs>/runs.jsonl`` (chapter, seconds, per-cell seconds, stalls, error).

Usage (from the repository root; niced, this is a measurement, not a build)::

    NODEBOOK_MODE=quick PYTHONPATH=src nice -n 10 python book/_tools/stress_execute.py \
        --repeat 10 --logs /tmp/stress chapters/05_cnf.md
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import yaml
from myst_nb.core.read import read_myst_markdown_notebook
from nbclient import NotebookClient

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """CPU time of ``pid`` and its reaped children (utime, stime, cutime, cstime), or -1 when gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1.0
    return sum(int(v) for v in fields[11:15]) / TICK


def _tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid`` plus its live descendants (a kernel may start worker processes)."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += max(_cpu_seconds(p), 0.0)
        try:
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except OSError:
            pass
    return total


def _py_spy(pid: int) -> str:
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    try:
        done = subprocess.run([exe, "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=60)
        return done.stdout + done.stderr
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"py-spy failed: {err!r}"


class Watched(NotebookClient):
    """A NotebookClient that remembers its last messages and the cell it is waiting for."""

    def __init__(self, nb, *, label: str, logs: Path, idle: float, **kw):
        super().__init__(nb, on_notebook_start=self._started, on_cell_execute=self._cell_start,
                         on_cell_executed=self._cell_done, **kw)
        self.label, self.logs, self.idle = label, logs, idle
        self.messages = collections.deque(maxlen=60)
        self.cell_index, self.cell_started, self.cell_seconds, self.stalls = None, None, {}, []
        self.kernel_pid = None
        self.max_lag, self.late = 0.0, []

    def _record(self, channel, get_msg):
        async def wrapped(*args, **kwargs):
            msg = await get_msg(*args, **kwargs)
            now = time.time()
            sent = msg.get("header", {}).get("date")
            # How long the message sat between the kernel sending it and this client receiving it: a
            # message that arrived but whose wake-up was missed shows up here as a large lag.
            lag = round(now - sent.timestamp(), 3) if hasattr(sent, "timestamp") else None
            entry = (round(now, 3), channel, msg["msg_type"], msg.get("parent_header", {}).get("msg_id", "")[-8:],
                     str(msg.get("content", {}).get("execution_state", "")), lag)
            self.messages.append(entry)
            if lag is not None:
                self.max_lag = max(self.max_lag, lag)
                if lag > 2.0:
                    self.late.append(entry)
            return msg
        return wrapped

    def _started(self, notebook):
        self.kernel_pid = self.km.provisioner.process.pid
        for channel in ("shell", "iopub"):
            ch = getattr(self.kc, f"{channel}_channel")
            ch.get_msg = self._record(channel, ch.get_msg)

    def _cell_start(self, cell, cell_index):
        self.cell_index, self.cell_started = cell_index, time.monotonic()

    def _cell_done(self, cell, cell_index, execute_reply):
        self.cell_seconds[cell_index] = round(time.monotonic() - self.cell_started, 2)
        self.cell_index = None

    def watch(self, stop: threading.Event) -> None:
        last_cpu, last_change, dumped_at = -1.0, time.monotonic(), None
        while not stop.wait(1.0):
            if self.kernel_pid is None or self.cell_index is None:
                last_change, dumped_at = time.monotonic(), None
                continue
            cpu = _tree_cpu(self.kernel_pid)
            if cpu - last_cpu > 0.02:
                last_cpu, last_change, dumped_at = cpu, time.monotonic(), None
                continue
            quiet = time.monotonic() - last_change
            if quiet >= self.idle and (dumped_at is None or time.monotonic() - dumped_at > 120):
                dumped_at = time.monotonic()
                self._dump(quiet)

    def _dump(self, quiet: float) -> None:
        stamp = time.strftime("%H%M%S")
        name = self.logs / f"stall-{self.label}-cell{self.cell_index}-{stamp}.txt"
        lines = [f"{self.label}: cell {self.cell_index} pending for "
                 f"{time.monotonic() - self.cell_started:.0f} s, kernel idle for {quiet:.0f} s",
                 "--- last messages (time, channel, type, parent id, state, lag s)"]
        lines += [json.dumps(m) for m in self.messages]
        lines += ["--- py-spy dump of the kernel", _py_spy(self.kernel_pid),
                  "--- py-spy dump of the client", _py_spy(os.getpid())]
        name.write_text("\n".join(lines))
        self.stalls.append({"cell": self.cell_index, "quiet_s": round(quiet), "dump": str(name)})
        print(f"STALL {self.label} cell {self.cell_index}: kernel idle {quiet:.0f} s -> {name}", flush=True)


def run_once(chapter: Path, label: str, logs: Path, timeout: int, idle: float) -> dict:
    """Execute ``chapter`` once; per-cell seconds, stalls seen, and the largest message lag."""
    nb = read_myst_markdown_notebook(chapter.read_text(), path=chapter)
    client = Watched(nb, label=label, logs=logs, idle=idle, timeout=timeout, allow_errors=False,
                     record_timing=True, resources={"metadata": {"path": str(chapter.parent.resolve())}})
    stop = threading.Event()
    watcher = threading.Thread(target=client.watch, args=(stop,), daemon=True)
    watcher.start()
    start, error = time.monotonic(), None
    try:
        client.execute()
    except Exception as err:  # record and go on: the point is counting
        error = f"{type(err).__name__}: {str(err)[-400:]}"
        (logs / f"error-{label}.txt").write_text(traceback.format_exc())
    finally:
        stop.set()
        watcher.join()
    seconds = round(time.monotonic() - start, 2)
    work = sum(client.cell_seconds.values())
    near_timeout = sum(v >= 0.9 * timeout for v in client.cell_seconds.values())
    return {"chapter": chapter.stem, "label": label, "seconds": seconds, "cells_seconds": round(work, 2),
            "n_cells": len(client.cell_seconds), "cells_at_timeout": near_timeout,
            "slowest": sorted(client.cell_seconds.items(), key=lambda kv: -kv[1])[:3],
            "stalls": client.stalls, "max_lag_s": client.max_lag, "late": client.late[:5],
            "error": error, "finished": time.strftime("%H:%M:%S")}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--logs", type=Path, default=Path("_build/stress"))
    parser.add_argument("--idle", type=float, default=20.0, help="kernel CPU-idle seconds that count as a stall")
    parser.add_argument("--timeout", type=int, default=None, help="per-cell seconds (default: _config.yml's)")
    parser.add_argument("--patched", action="store_true", help="execute with nodebook_execute.install() applied")
    args = parser.parse_args(argv)
    if args.patched:
        sys.path.insert(0, str(Path(__file__).parent))
        from nodebook_execute import install

        install()
    timeout = args.timeout or yaml.safe_load(Path("_config.yml").read_text())["execute"]["timeout"]
    args.logs.mkdir(parents=True, exist_ok=True)
    for i in range(args.repeat):
        for chapter in args.chapters:
            result = run_once(chapter, f"{chapter.stem}-{os.getpid()}-{i}", args.logs, timeout, args.idle)
            result["patched"] = args.patched
            with open(args.logs / "runs.jsonl", "a") as f:
                f.write(json.dumps(result) + "\n")
            print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
