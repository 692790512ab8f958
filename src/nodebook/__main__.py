"""Command line: ``python -m nodebook reproduce <chapter> [--mode quick|full] [--device cuda]``.

Runs the chapter's experiments (the same functions the chapter calls) without Jupyter and writes
``results/<chapter>.json`` (full mode) or ``results/<chapter>.quick.json``, with metrics, device, torch
version, date, wall time and git commit. This is how a GPU run happens.
"""

from __future__ import annotations

import argparse
import sys
import time

from . import experiments
from .config import CHAPTERS, MODES, resolve_chapter, setup
from .results import provenance, save_results


def reproduce(chapter: str, mode: str | None = None, device: str | None = None, seed: int = 0) -> dict:
    key = resolve_chapter(chapter)
    cfg = setup(key, mode=mode, device=device, seed=seed, plots=False)
    module = experiments.load(key)
    start = time.perf_counter()
    metrics = module.run(cfg)
    wall = time.perf_counter() - start
    path = save_results(key, metrics, mode=cfg.mode, device=cfg.device, wall_time_s=wall)
    print(f"wrote {path} ({wall:.1f} s)")
    return metrics


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nodebook", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rep = sub.add_parser("reproduce", help="run a chapter's experiments and write results/<chapter>.json")
    rep.add_argument("chapter", help=f"chapter id: {', '.join(CHAPTERS)} (or its number)")
    rep.add_argument("--mode", choices=MODES, default=None, help="default: NODEBOOK_MODE, else quick")
    rep.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    rep.add_argument("--seed", type=int, default=0)
    nbs = sub.add_parser("notebooks", help="write chapter notebooks and student copies (solutions removed)")
    nbs.add_argument("--out", default="_build/notebooks")
    show = sub.add_parser("show", help="print where a chapter's committed full-mode results came from")
    show.add_argument("chapter")
    args = parser.parse_args(argv)
    try:
        if args.command == "reproduce":
            reproduce(args.chapter, mode=args.mode, device=args.device, seed=args.seed)
        elif args.command == "notebooks":
            from .book import write_notebooks

            for path in write_notebooks(args.out):
                print(path)
        else:
            from .results import load_results

            record = load_results(resolve_chapter(args.chapter))
            print(provenance(record) if record else f"no full-mode results for {args.chapter} yet")
    except ValueError as err:
        parser.error(str(err))
    return 0


if __name__ == "__main__":
    sys.exit(main())
