"""``reproduce <chapter> --seeds N``: seeds 0..N-1 as independent processes, resumable, merged into one record.

Each seed runs ``python -m nodebook reproduce <chapter> --seed k --partial results/.seeds/<run>/seed-k.json``
with its output in ``seed-k.log`` beside it; at most ``jobs`` at once, each with ``cores // jobs`` torch
threads. A partial whose commit, mode, device, budget (``--set`` changes included) and seed match this run is
reused, so a killed run re-run with the same command continues where it stopped (and the chapters'
training checkpoints are keyed by seed, so a seed killed mid-training resumes too). When every seed has
finished the partials are merged (:func:`nodebook.seeds.merge`) into ``results/<chapter>.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import seeds as _seeds
from .checkpoint import atomic_write_bytes
from .results import git_commit, result_path, results_dir, to_jsonable, write_record

POLL_S = 0.5


def partial_dir(chapter: str, mode: str, custom: bool = False) -> Path:
    """``results/.seeds/<chapter>[.<mode>][.custom]/``: where a seeds run keeps its partial records and logs."""
    name = chapter + ("" if mode == "full" else f".{mode}") + (".custom" if custom else "")
    return results_dir() / ".seeds" / name


def default_jobs(n: int) -> int:
    return max(1, min(n, os.cpu_count() or 1))


def threads_per_process(jobs: int) -> int:
    return max(1, (os.cpu_count() or 1) // jobs)


def mismatch(path: Path, *, seed: int, mode: str, device: str, budget: dict, commit: str) -> str | None:
    """Why the partial record at ``path`` is not a finished run of this seed, mode, device, budget and
    commit (``None`` when it is)."""
    if not path.exists():
        return "no partial record"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return f"unreadable ({err})"
    if not isinstance(record, dict) or "metrics" not in record:
        return "not a results record"
    want = {"seed": seed, "mode": mode, "device": device, "git_commit": commit, "budget": to_jsonable(budget)}
    diff = [k for k, v in want.items() if record.get(k) != v]
    if not diff:
        return None
    return "; ".join(f"its {k} is {_short(record.get(k))}, this run's {_short(want[k])}" for k in diff)


def _short(v) -> str:
    text = json.dumps(v)
    return text if len(text) <= 60 else text[:57] + "..."


def reusable(path: Path, *, seed: int, mode: str, device: str, budget: dict, commit: str) -> dict | None:
    """The partial record at ``path`` if it is a finished run of this seed, mode, device, budget and commit."""
    if mismatch(path, seed=seed, mode=mode, device=device, budget=budget, commit=commit) is not None:
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def _child_command(chapter: str, mode: str, seed: int, threads: int, partial: Path, device: str | None,
                   overrides: dict) -> list[str]:
    cmd = [sys.executable, "-m", "nodebook", "reproduce", chapter, "--mode", mode, "--seed", str(seed),
           "--threads", str(threads), "--partial", str(partial)]
    if device is not None:
        cmd += ["--device", device]
    for k, v in overrides.items():
        cmd += ["--set", f"{k}={json.dumps(v)}"]
    return cmd


def _last_line(log: Path) -> str:
    try:
        lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1].strip()[:300] if lines else ""


def run_seeds(chapter: str, mode: str, n: int, *, budget: dict, device: str, device_arg: str | None = None,
              overrides: dict | None = None, jobs: int | None = None, out: Path | None = None) -> Path:
    """Run (or reuse) seeds ``0..n-1`` and merge them; return the merged file's path.

    Args:
        budget: the budget every seed runs with (the chapter's, with ``overrides`` applied): partials of
            another budget are not reused.
        device: the resolved device name recorded in each partial; ``device_arg`` is passed on to the seeds.

    Raises:
        ValueError: ``n`` or ``jobs`` is not a positive integer.
        RuntimeError: a seed failed (names the seed, its exit status, its log and the log's last line);
            the seeds that finished are kept and reused by the next run.
    """
    for what, v in (("--seeds", n), ("--jobs", jobs if jobs is not None else 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{what} must be a positive integer; got {v!r}")
    overrides = overrides or {}
    jobs = min(jobs or default_jobs(n), n)
    threads = threads_per_process(jobs)
    folder = partial_dir(chapter, mode, bool(overrides))
    folder.mkdir(parents=True, exist_ok=True)
    commit = git_commit()
    start = time.perf_counter()
    records: dict[int, dict] = {}
    pending = []
    for k in range(n):
        rec = reusable(folder / f"seed-{k}.json", seed=k, mode=mode, device=device, budget=budget, commit=commit)
        if rec is not None:
            print(f"seed {k}: reusing {folder / f'seed-{k}.json'} (commit {commit})")
            records[k] = rec
        else:
            pending.append(k)
    reused = sorted(records)
    running: dict[int, tuple[subprocess.Popen, object]] = {}
    failed: dict[int, int] = {}
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    try:
        while pending or running:
            while pending and len(running) < jobs:
                k = pending.pop(0)
                log = open(folder / f"seed-{k}.log", "w")  # noqa: SIM115 (closed when the process ends)
                cmd = _child_command(chapter, mode, k, threads, folder / f"seed-{k}.json", device_arg, overrides)
                log.write("$ " + " ".join(cmd) + "\n")
                log.flush()
                running[k] = (subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env), log)
                print(f"seed {k}: started ({threads} thread{'s' if threads > 1 else ''}; log {log.name})")
            time.sleep(POLL_S)
            for k, (proc, log) in list(running.items()):
                if proc.poll() is None:
                    continue
                log.close()
                del running[k]
                if proc.returncode != 0:
                    failed[k] = proc.returncode
                    print(f"seed {k}: failed (exit status {proc.returncode})", file=sys.stderr)
                else:
                    print(f"seed {k}: done")
    except BaseException:  # KeyboardInterrupt: stop the seeds this run started, keep the finished partials
        for proc, _log in running.values():
            proc.terminate()
        for proc, log in running.values():
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
        raise
    if failed:
        logs = {k: folder / f"seed-{k}.log" for k in failed}
        lines = [f"seed {k} failed (exit status {rc}); see {logs[k]}: {_last_line(logs[k])}"
                 for k, rc in sorted(failed.items())]
        raise RuntimeError(f"{chapter}: not merged, {len(failed)} of {n} seeds failed: " + "; ".join(lines)
                           + ". The seeds that finished are kept; re-run the same command to retry.")
    for k in range(n):
        if k not in records:
            path = folder / f"seed-{k}.json"
            why = mismatch(path, seed=k, mode=mode, device=device, budget=budget, commit=commit)
            if why is not None:  # e.g. the code was committed or edited while the seeds ran
                raise RuntimeError(f"{chapter}: not merged: seed {k} finished but {path} does not match this run "
                                   f"({why}); see {folder / f'seed-{k}.log'}. Re-run the same command on "
                                   "unchanged code (finished seeds that match are reused).")
            records[k] = json.loads(path.read_text(encoding="utf-8"))
    return _write_merged(chapter, mode, [records[k] for k in range(n)], folder, out=out, overrides=overrides,
                         extra={"threads": threads, "processes": jobs, "reused": reused},
                         wall=time.perf_counter() - start)


def _write_merged(chapter: str, mode: str, records: list[dict], folder: Path, *, out: Path | None,
                  overrides: dict, extra: dict, wall: float) -> Path:
    merged = _seeds.merge(records, list(range(len(records))))
    reused = extra.pop("reused")
    merged["seeds"]["reused"] = reused
    if reused:  # part of the work was done by an earlier invocation: the seeds' own times, spread over the jobs
        walls = [w or 0.0 for w in merged["seeds"]["wall_time_s_per_seed"]]
        wall = max(wall, sum(walls) / extra["processes"])
        merged["seeds"]["wall_time_estimated"] = True
    merged["wall_time_s"] = round(wall, 2)
    merged.update(extra)
    path = Path(out) if out is not None else result_path(chapter, mode, variant="custom" if overrides else None)
    path.parent.mkdir(parents=True, exist_ok=True)
    if merged.get("arrays"):  # seed 0's arrays, as a single run writes them
        data = (folder / merged["arrays"]["file"]).read_bytes()
        atomic_write_bytes(path.with_suffix(".npz"), data)
        merged["arrays"] = {**merged["arrays"], "file": path.with_suffix(".npz").name}
    metrics = merged.pop("metrics")
    merged["metrics"] = metrics  # metrics last, as a single run writes them
    return write_record(path, merged)
