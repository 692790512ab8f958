"""Grade a folder of submitted notebooks with an otter autograder zip into a CSV of points per question.

    python book/_tools/grade.py SUBMISSIONS_DIR --autograder dist/ch1/autograder/ch1-autograder_*.zip \\
        --out scores.csv [--cell-timeout 60] [--jobs 2]

Each submission is graded in its own worker process (a fresh fork of a server that has imported otter and the
checks, so no student pays for the imports; ``--one`` grades one file in this process), in its own temporary
folder, with its own Jupyter kernel: every cell runs with a time limit (a cell that runs past it is
interrupted, the next cells still run), errors are recorded and skipped, a dead kernel is restarted for the
remaining cells. Then one last cell serialises (dill) the names the tests need, and the tests run in the
worker, which never ran the student's cells: patching ``nodebook.grading`` or otter in the notebook changes
nothing. A question whose answer is missing or whose tests fail scores 0; an unreadable notebook scores 0
everywhere, with the reason in the ``error`` column. No state is shared between students. otter's own ``otter
grade`` needs Docker; this runs otter's test files without it.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import signal
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

_COLLECT = """
import dill as _nodebook_dill
_nodebook_out = {{}}
for _nodebook_name in {names!r}:
    if _nodebook_name in globals():
        try:
            _nodebook_out[_nodebook_name] = _nodebook_dill.dumps(globals()[_nodebook_name], recurse=True)
        except Exception as _nodebook_err:
            pass
with open({path!r}, "wb") as _nodebook_f:
    _nodebook_dill.dump(_nodebook_out, _nodebook_f)
"""


def _tests(folder: Path) -> dict:
    """otter's test files of an unpacked autograder: ``{question: TestFile}``."""
    from otter.test_files import create_test_file

    return {p.stem: create_test_file(str(p), None, test_name=p.stem) for p in sorted((folder / "tests").glob("*.py"))}


class _Restart(Exception):
    """A cell timed out or killed the kernel: start a new kernel and run the cells again without it."""


def _execute(nb, folder: Path, cell_timeout: float) -> list[str]:
    """Run every code cell in one kernel; return notes on cells that timed out or killed the kernel.

    A cell past ``cell_timeout``, or one that kills the kernel, is dropped: the kernel is shut down and a
    new one runs the cells again from the top without it (so the state of the other cells is rebuilt).
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    notes, skip = [], set()
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    while True:
        client = NotebookClient(nb, timeout=cell_timeout, allow_errors=True, interrupt_on_timeout=False,
                                kernel_name="python3", resources={"metadata": {"path": str(folder)}})
        try:
            with client.setup_kernel():
                for index in code:
                    if index in skip:
                        continue
                    try:
                        client.execute_cell(nb.cells[index], index)
                    except CellTimeoutError:
                        notes.append(f"cell {index}: timed out after {cell_timeout:g} s (dropped, kernel restarted)")
                        skip.add(index)
                        raise _Restart from None
                    except DeadKernelError:
                        notes.append(f"cell {index}: the kernel died (dropped, kernel restarted)")
                        skip.add(index)
                        raise _Restart from None
            return notes
        except _Restart:
            continue


def grade_one(submission: Path, autograder: Path, cell_timeout: float) -> dict:
    """Points per question for one submission (run in a fresh process: it executes the student's code)."""
    import dill
    import nbformat

    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        folder = Path(tmp)
        with zipfile.ZipFile(autograder) as zf:
            zf.extractall(folder)
        sys.path.insert(0, str(folder / "files"))
        tests = _tests(folder)
        row = {"submission": submission.name, **{q: 0.0 for q in tests}, "error": ""}
        try:
            nb = nbformat.read(submission, as_version=4)
        except Exception as err:  # a truncated or not-a-notebook file: zero, and why
            row["error"] = f"unreadable notebook: {type(err).__name__}: {str(err)[:150]}"
            return row
        names = sorted({a for tf in tests.values() for tc in tf.test_cases for a in tc.body._get_func_params()})
        work = folder / "submission"
        work.mkdir()
        nb.cells = [c for c in nb.cells if c.cell_type != "raw"]
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        # otter's student notebook checks against its tests folder: give it the public tests only
        (work / "tests").mkdir()
        env_file = folder / "env.pkl"
        nb.cells.append(nbformat.v4.new_code_cell(_COLLECT.format(names=names, path=str(env_file))))
        notes = _execute(nb, work, cell_timeout)
        env = {}
        if env_file.is_file():
            for name, blob in dill.loads(env_file.read_bytes()).items():
                try:
                    env[name] = dill.loads(blob)
                except Exception as err:
                    notes.append(f"{name}: could not be read back ({type(err).__name__})")
        else:
            notes.append("the notebook's names could not be collected (the last cell did not run)")
        current = [""]

        def too_long(signum, frame):  # a student function that never returns, called by a test
            if f"{current[0]}: ran too long" not in notes:
                notes.append(f"{current[0]}: ran too long")
            signal.alarm(1)  # otter catches the error per test case: the question's next test gets 1 s
            raise TimeoutError("the tests ran past their time limit")

        try:  # what the tests import (torch, via the checks) loads before the clock starts: not the student's time
            import nodebook.grading  # noqa: F401
        except ImportError:
            pass
        signal.signal(signal.SIGALRM, too_long)
        for question, tf in tests.items():
            current[0] = question
            signal.alarm(max(1, int(3 * cell_timeout)))
            try:
                tf.run(env)
                row[question] = round(float(tf.score), 4)
            except BaseException as err:  # noqa: BLE001 - a test that crashes scores 0, grading goes on
                notes.append(f"{question}: the tests crashed or ran too long ({type(err).__name__})")
            finally:
                signal.alarm(0)
        row["error"] = "; ".join(notes)[:500]
        return row


# What every grading process imports, loaded once into a fork server (multiprocessing's "forkserver"): each
# submission is then graded in a fresh fork of that server, a clean process that has imported but never run
# anything, instead of a new interpreter that spends about 8 s importing otter, nbformat and torch.
_PRELOAD = ["otter.test_files", "nbclient", "nbformat", "dill", "jupyter_client", "nodebook.grading"]


def _child(submission: Path, autograder: Path, cell_timeout: float, conn) -> None:
    """Grade one submission in this (forked, fresh) process and send the row back."""
    os.setsid()  # its own process group, so the kernel it starts is killed with it past the limit
    try:
        row = grade_one(submission, autograder, cell_timeout)
    except BaseException as err:  # noqa: BLE001 - reported in the row, the class goes on
        row = {"submission": submission.name, "error": f"the grader failed: {type(err).__name__}: {err}"[:300]}
    conn.send(row)
    conn.close()


def _worker(submission: Path, autograder: Path, cell_timeout: float, limit: float, ctx) -> dict:
    """Grade one submission in a new process (its kernel included), killed whole past ``limit`` seconds."""
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(submission, autograder, cell_timeout, send))
    proc.start()
    send.close()
    row = None
    if receive.poll(limit):
        try:
            row = receive.recv()
        except EOFError:  # it died without a word: os._exit or a crash in a student's function
            pass
    else:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.join()
        return {"submission": submission.name, "error": f"grading took longer than {limit:g} s"}
    proc.join(10)
    if row is None:
        return {"submission": submission.name, "error": f"worker exit {proc.exitcode}: it stopped without a result"}
    return row


def grade_folder(folder: Path, autograder: Path, out: Path, *, cell_timeout: float = 60.0, jobs: int = 2,
                 limit: float = 600.0) -> list[dict]:
    """Grade every ``*.ipynb`` in ``folder`` (one process each, at most ``jobs`` at a time); write ``out`` (CSV)."""
    if not folder.is_dir():
        raise ValueError(f"expected a folder of submitted notebooks; got {folder}")
    if not zipfile.is_zipfile(autograder):
        raise ValueError(f"expected an otter autograder zip (from book/_tools/assign.py); got {autograder}")
    submissions = sorted(folder.glob("*.ipynb"))
    if not submissions:
        raise ValueError(f"no .ipynb files in {folder}")
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(autograder) as zf:
            zf.extractall(tmp)
        questions = sorted(p.stem for p in (Path(tmp) / "tests").glob("*.py"))
        possible = {q: float(tf.possible) for q, tf in _tests(Path(tmp)).items()}
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, 8))) as pool:
        rows = list(pool.map(lambda s: _worker(s, autograder, cell_timeout, limit, ctx), submissions))
    for row in rows:
        for q in questions:
            row[q] = float(row.get(q, 0.0) or 0.0)
        row["total"] = round(sum(row[q] for q in questions), 4)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["submission", *questions, "total", "error"])
        writer.writeheader()
        writer.writerow({"submission": "(possible)", **possible, "total": sum(possible.values()), "error": ""})
        writer.writerows(rows)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="a folder of .ipynb files (or one file with --one)")
    parser.add_argument("--autograder", type=Path, required=True, help="the otter autograder zip")
    parser.add_argument("--out", type=Path, default=Path("scores.csv"))
    parser.add_argument("--cell-timeout", type=float, default=60.0, help="seconds per cell (default 60)")
    parser.add_argument("--jobs", type=int, default=2, help="submissions graded at once (default 2)")
    parser.add_argument("--limit", type=float, default=600.0, help="seconds per submission, all in (default 600)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(grade_one(args.submissions, args.autograder, args.cell_timeout)))
        return 0
    try:
        rows = grade_folder(args.submissions, args.autograder, args.out, cell_timeout=args.cell_timeout,
                            jobs=args.jobs, limit=args.limit)
    except ValueError as err:
        parser.error(str(err))
    print(f"graded {len(rows)} submissions into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
