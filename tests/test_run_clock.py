"""A run's recorded wall time counts every leg of a run that was killed and resumed (``_run_clock``)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nodebook._run_clock import RunClock, run_key


def _legs(folder: Path, key: str) -> list[float]:
    return json.loads((folder / f"{key}.json").read_text())["legs"]


def test_a_finished_run_records_its_time_and_leaves_no_ledger(tmp_path):
    with RunClock("k", resumable=True, folder=tmp_path) as clock:
        time.sleep(0.05)
    assert 0.05 <= clock.elapsed < 2 and len(clock.legs) == 1
    assert not (tmp_path / "k.json").exists()


def test_an_interrupted_leg_is_added_to_the_next_one(tmp_path):
    with pytest.raises(KeyboardInterrupt), RunClock("k", resumable=True, folder=tmp_path):
        time.sleep(0.2)
        raise KeyboardInterrupt
    first = _legs(tmp_path, "k")
    assert len(first) == 1 and first[0] >= 0.2
    with RunClock("k", resumable=True, folder=tmp_path) as clock:
        time.sleep(0.05)
    assert clock.legs[0] == first[0] and len(clock.legs) == 2
    assert clock.elapsed >= 0.25
    assert not (tmp_path / "k.json").exists()


def test_a_run_without_checkpoints_does_not_count_earlier_legs(tmp_path):
    # it starts over when run again: the earlier, lost work is not part of what its result cost
    (tmp_path / "k.json").write_text(json.dumps({"legs": [100.0]}))
    with RunClock("k", resumable=False, folder=tmp_path) as clock:
        pass
    assert clock.legs[:-1] == [] and clock.elapsed < 1
    with pytest.raises(KeyboardInterrupt), RunClock("new", resumable=False, folder=tmp_path):
        raise KeyboardInterrupt
    assert not (tmp_path / "new.json").exists()  # and it leaves nothing behind


@pytest.mark.parametrize("text", ["", "{", '{"legs": "x"}', '{"legs": [-1]}', '{"legs": [true]}', "[]"])
def test_an_unreadable_ledger_counts_nothing_earlier(tmp_path, text):
    (tmp_path / "k.json").write_text(text)
    with RunClock("k", resumable=True, folder=tmp_path) as clock:
        pass
    assert len(clock.legs) == 1


def test_the_key_separates_runs_that_differ_in_anything_that_makes_them():
    base = {"chapter": "ch6", "mode": "full", "seed": 0, "device": "cpu", "commit": "abc", "budget": {"a": 1}}
    keys = {run_key(**base)}
    for change in ({"seed": 1}, {"commit": "abd"}, {"budget": {"a": 2}}, {"mode": "quick"}, {"device": "cuda"}):
        keys.add(run_key(**{**base, **change}))
    assert len(keys) == 6
    assert run_key(**base) == run_key(**dict(reversed(list(base.items()))))


def test_bad_every_is_refused(tmp_path):
    with pytest.raises(ValueError, match="every must be a positive number"):
        RunClock("k", resumable=True, every=0, folder=tmp_path)


_LEG = """
import sys, time
from pathlib import Path
from nodebook._run_clock import RunClock
with RunClock("k", resumable=True, every=0.05, folder=Path(sys.argv[1])) as clock:
    print("started", flush=True)
    time.sleep(float(sys.argv[2]))
print("elapsed", clock.elapsed, clock.legs, flush=True)
"""


def test_a_killed_process_leg_is_counted_by_the_process_that_resumes(tmp_path):
    script = tmp_path / "leg.py"
    script.write_text(_LEG)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    first = subprocess.Popen([sys.executable, str(script), str(tmp_path), "60"], stdout=subprocess.PIPE, text=True,
                             env=env)
    assert first.stdout.readline().strip() == "started"
    time.sleep(1.0)
    first.send_signal(signal.SIGKILL)  # no clean-up: what a session's end does
    first.wait()
    killed = _legs(tmp_path, "k")
    assert len(killed) == 1 and 0.8 <= killed[0] <= 30
    done = subprocess.run([sys.executable, str(script), str(tmp_path), "0.1"], capture_output=True, text=True,
                          env=env, timeout=60, check=True)
    line = done.stdout.strip().splitlines()[-1]
    elapsed = float(line.split()[1])
    assert elapsed >= killed[0] + 0.1 and "[" in line
    assert not (tmp_path / "k.json").exists()


def test_reproduce_records_every_leg_of_a_resumed_run(tmp_path, monkeypatch):
    # a chapter run that failed once and then finished: the record's wall time has both legs
    import nodebook.__main__ as cli
    from nodebook import experiments

    monkeypatch.setenv("NODEBOOK_CACHE", str(tmp_path / "cache"))
    calls = []

    class Fake:
        @staticmethod
        def run(cfg):
            calls.append(1)
            time.sleep(0.3)
            if len(calls) == 1:
                raise KeyboardInterrupt
            return {"x": 1.0}

    monkeypatch.setattr(experiments, "load", lambda key: Fake)
    out = tmp_path / "seed-0.json"
    with pytest.raises(KeyboardInterrupt):
        cli.reproduce("ch6", mode="full", partial=str(out))  # ch6 checkpoints in full mode
    cli.reproduce("ch6", mode="full", partial=str(out))  # ch6 checkpoints in full mode
    record = json.loads(out.read_text())
    assert len(record["wall_time_legs_s"]) == 2
    assert record["wall_time_s"] >= 0.6
