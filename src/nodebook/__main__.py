"""Command line: ``python -m nodebook reproduce <chapter> [--mode quick|full] [--device cuda] [--set K=V]``.

Runs the chapter's experiments (the same functions the chapter calls) without Jupyter and writes
``results/<chapter>.json`` (full mode) or ``results/<chapter>.quick.json``, with metrics, device, torch
version, date, wall time and git commit. This is how a GPU run happens.

``--set key=value`` changes one entry of the chapter's budget for this run (``--set dataset=mnist``,
``--set spirals.steps=500``; the value is read as JSON, else as text, and must have the type of the entry
it replaces: ``--set n_steps=8`` for a list is refused). Such a run is not the chapter's
reference run, so it writes ``results/<chapter>[.<mode>].custom.json`` (git-ignored) and records the
changes under ``budget_overrides``.

``--seeds N [--jobs J]`` runs seeds 0..N-1 as separate processes (at most J at once, default min(N, cores),
each with cores // J torch threads), resumable, and merges them into one file: ``metrics`` is seed 0's, and
``seeds`` holds every seed's metrics with the mean and standard error of each number (:mod:`nodebook.seeds`).

A user, data or OS error (a bad value, a missing data file, an unwritable folder, a corrupt checkpoint) is
printed as one line, ``python -m nodebook: error: ...``, with exit status 2 (bad arguments or data) or 1
(anything else); ``--traceback`` shows the full traceback instead.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from typing import Any

import torch

from . import experiments
from ._overrides import apply_overrides, parse_override
from ._run_clock import RunClock, run_key
from ._seeds_cli import run_seeds
from .config import BUDGETS, CHAPTERS, MODES, resolve_chapter, resolve_device, resolve_mode, setup
from .results import git_commit, provenance, save_results


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line, like every other error (``-h`` prints the usage)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} -h)\n")


def reproduce(chapter: str, mode: str | None = None, device: str | None = None, seed: int = 0,
              overrides: dict[str, Any] | None = None, *, seeds: int | None = None, jobs: int | None = None,
              threads: int | None = None, partial: str | None = None) -> dict:
    """Run a chapter's experiments and write its results file (see the module docstring).

    ``seeds=N`` (N >= 2) runs seeds 0..N-1 as separate processes, ``jobs`` at a time, and merges them
    (:mod:`nodebook._seeds_cli`); ``threads`` sets torch's CPU threads; ``partial`` writes one seed's record
    there (what a seeds run's processes do) instead of ``results/<chapter>.json``.
    """
    key = resolve_chapter(chapter)
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"--threads must be a positive integer; got {threads!r}")
        torch.set_num_threads(threads)
    if seeds is not None or jobs is not None:
        if seeds is None or isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
            raise ValueError(f"--seeds must be a positive integer (how many seeds, 0..N-1); got {seeds!r}")
        if seed != 0 or partial is not None:
            raise ValueError(f"--seeds {seeds} runs seeds 0..{seeds - 1}; got --seed {seed} too (use one of them)")
    if seeds is not None and seeds > 1:
        cfg_mode = resolve_mode(mode)
        budget = _budget(key, cfg_mode, overrides)
        path = run_seeds(key, cfg_mode, seeds, budget=budget, device=str(resolve_device(device)),
                         device_arg=device, overrides=overrides, jobs=jobs)
        print(f"wrote {path} ({seeds} seeds)")
        return json.loads(path.read_text())["metrics"]
    cfg = setup(key, mode=mode, device=device, seed=seed, plots=False)
    if overrides:
        cfg.budget.clear()
        cfg.budget.update(_budget(key, cfg.mode, overrides))
    module = experiments.load(key)
    commit = git_commit()  # the code this run imported (an edit during a long run must not relabel it)
    # A run that checkpoints and was killed resumes where it stopped: its record counts every leg's time.
    key_of_run = run_key(chapter=key, mode=cfg.mode, seed=seed, device=str(cfg.device), commit=commit,
                         budget=cfg.budget, out=partial)
    with RunClock(key_of_run, resumable=bool(cfg.budget.get("checkpoint"))) as clock:
        metrics = module.run(cfg)
    wall = clock.elapsed
    arrays = metrics.pop("arrays", None)  # a chapter's figure arrays go to a checksummed .npz beside the json
    extra = {"git_commit": commit, "seed": seed, "threads": torch.get_num_threads(), "processes": 1}
    if len(clock.legs) > 1:
        extra["wall_time_legs_s"] = clock.legs
    if partial is not None:
        extra["budget"] = cfg.budget
    path = save_results(key, metrics, mode=cfg.mode, device=cfg.device, wall_time_s=wall,
                        variant="custom" if overrides else None, overrides=overrides, arrays=arrays, extra=extra,
                        path=partial)
    print(f"wrote {path} ({wall:.1f} s)")
    return metrics


def _budget(key: str, mode: str, overrides: dict[str, Any] | None) -> dict:
    """The chapter's budget in ``mode`` with ``overrides`` applied (checked against the other modes' too)."""
    if not overrides:
        return copy.deepcopy(BUDGETS[key][mode])
    others = [b for m, b in BUDGETS[key].items() if m != mode]
    return apply_overrides(BUDGETS[key][mode], overrides, key, others)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m nodebook", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("reproduce", help="run a chapter's experiments and write results/<chapter>.json")
    rep.add_argument("chapter", help=f"chapter id: {', '.join(CHAPTERS)} (or its number)")
    rep.add_argument("--mode", choices=MODES, default=None, help="default: NODEBOOK_MODE, else quick")
    rep.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    rep.add_argument("--seed", type=int, default=0)
    rep.add_argument("--seeds", type=int, default=None, metavar="N",
                     help="run seeds 0..N-1 as separate processes (resumable) and merge them into one file")
    rep.add_argument("--jobs", type=int, default=None, metavar="J",
                     help="with --seeds: at most J processes at once (default: min(N, CPU cores))")
    rep.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    rep.add_argument("--partial", default=None, help=argparse.SUPPRESS)  # one seed of a --seeds run
    rep.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="change a budget entry for this run (repeatable); writes <chapter>.custom.json")
    show = sub.add_parser("show", help="print where a chapter's committed full-mode results came from")
    show.add_argument("chapter")
    rep.add_argument("--traceback", action="store_true", help="show the full traceback of an error")
    given = sys.argv[1:] if argv is None else list(argv)
    if given[:1] and given[0] in BOOK_COMMANDS:
        parser.exit(2, f"{parser.prog}: error: {given[0]!r} is a step of the book's build, not part of the installed "
                       f"package; from a clone of the book's repository run `{BOOK_COMMANDS[given[0]]}` (or "
                       f"`PYTHONPATH=book/_tools python -m nodebook_build {given[0]}`)\n")
    args = parser.parse_args(given)
    try:
        if args.command == "reproduce":
            overrides = dict(parse_override(o) for o in args.overrides)
            reproduce(args.chapter, mode=args.mode, device=args.device, seed=args.seed, overrides=overrides,
                      seeds=args.seeds, jobs=args.jobs, threads=args.threads, partial=args.partial)
        else:
            from .results import load_results

            record = load_results(resolve_chapter(args.chapter))
            print(provenance(record) if record else f"no full-mode results for {args.chapter} yet")
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    except _USER_ERRORS as err:
        # A user, data or OS error is one clean line, not a traceback (--traceback shows it).
        if getattr(args, "traceback", False):
            raise
        text = " ".join(str(err).split()) or type(err).__name__
        kind = "" if isinstance(err, (ValueError, TypeError)) else f"{type(err).__name__}: "
        print(f"{parser.prog}: error: {kind}{text}", file=sys.stderr)
        raise SystemExit(2 if isinstance(err, (ValueError, TypeError)) else 1) from None
    return 0


# The book's build steps that were subcommands here while the tooling shipped in the package (issue 25): the
# learner notebooks and the PDF are made by book/_tools/nodebook_build, from a clone, through make.
BOOK_COMMANDS = {"notebooks": "make notebooks", "pdf": "make pdf"}

# ValueError/TypeError: bad arguments or data; OSError: files and folders; RuntimeError: a checkpoint that
# cannot be trusted, a device that failed; ArithmeticError: training diverged (a NaN loss).
_USER_ERRORS = (ValueError, TypeError, OSError, RuntimeError, ArithmeticError, LookupError, ImportError)


if __name__ == "__main__":
    sys.exit(main())
