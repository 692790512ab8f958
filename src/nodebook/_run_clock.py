"""How long a run took, over every process that made it.

A reference run that checkpoints can be killed (a session ends, a machine reboots) and resumed from its
checkpoints by the same command. Timing only the last process would record the time of its last leg; the
record must say what the whole result cost. :class:`RunClock` keeps a small ledger per run in
``cache_dir("run-clocks")``: the process writes its own leg's elapsed time there every ``every`` seconds
(a daemon thread, atomic writes), a later process of the same run reads the earlier legs and adds them,
and a run that finishes removes its ledger. A run that does not checkpoint starts over when it is run
again, so its earlier legs are not its cost: it keeps no ledger.

The same run means the same chapter, mode, seed, device, budget and git commit. A killed leg is counted up
to its last write, at most ``every`` seconds short.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any

from ._atomic import atomic_write_bytes
from .config import cache_dir


def run_key(**identity: Any) -> str:
    """A file-name-safe digest of what makes two processes legs of one run."""
    blob = json.dumps(identity, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:20]


class RunClock:
    """``with RunClock(key, resumable=True) as clock: ...``; then ``clock.elapsed`` (s) and ``clock.legs``."""

    def __init__(self, key: str, *, resumable: bool, every: float = 10.0, folder: Path | None = None):
        if not isinstance(every, int | float) or isinstance(every, bool) or not every > 0:
            raise ValueError(f"RunClock: every must be a positive number of seconds; got {every!r}")
        self.path = Path(folder if folder is not None else cache_dir("run-clocks")) / f"{key}.json"
        self.resumable, self.every = resumable, float(every)
        self.earlier: list[float] = []
        self._start: float | None = None
        self._end: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _read_earlier(self) -> list[float]:
        try:
            legs = json.loads(self.path.read_text(encoding="utf-8"))["legs"]
        except (OSError, ValueError, KeyError, TypeError):
            return []  # no ledger, or one that cannot be read: nothing earlier is known
        if not isinstance(legs, list) or not all(isinstance(x, int | float) and not isinstance(x, bool) and x >= 0
                                                 for x in legs):
            return []
        return [float(x) for x in legs]

    def _write(self) -> None:
        data = json.dumps({"legs": [*self.earlier, round(self.this_leg, 3)]}).encode()
        try:
            atomic_write_bytes(self.path, data)
        except OSError:
            pass  # a clock that cannot be written never stops the run; the next leg then starts at 0

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            self._write()

    @property
    def this_leg(self) -> float:
        if self._start is None:
            return 0.0
        return (self._end if self._end is not None else time.perf_counter()) - self._start

    @property
    def legs(self) -> list[float]:
        return [*self.earlier, round(self.this_leg, 3)]

    @property
    def elapsed(self) -> float:
        return sum(self.earlier) + self.this_leg

    def __enter__(self) -> RunClock:
        self._start = time.perf_counter()
        if not self.resumable:  # nothing to carry over, and nothing for a later leg: no ledger at all
            return self
        self.earlier = self._read_earlier()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._write()
        self._thread = threading.Thread(target=self._beat, name="nodebook-run-clock", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._end = time.perf_counter()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if not self.resumable:
            return
        if exc_type is None:
            self.path.unlink(missing_ok=True)  # finished: the next run of it starts from scratch
        else:
            self._write()  # stopped by an error or Ctrl-C: the next leg adds this one
