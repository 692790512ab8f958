"""Command line of the book's tooling, from a clone: ``PYTHONPATH=book/_tools python -m nodebook_build ...``.

``notebooks [--out _build/notebooks]`` writes every chapter as an instructor notebook and a student copy
(solutions removed), glued numbers filled in from the book's execution cache (``make lab-notebooks``);
``pdf [--html _build/html] [--out PDF] [--instructor]`` prints the built site to one PDF with Chromium
(``make pdf``). These were ``python -m nodebook notebooks|pdf`` when the tooling shipped in the package.

A user, data or OS error is one line, ``python -m nodebook_build <command>: error: ...``, with exit status 2
(bad arguments) or 1 (anything else, such as a folder that cannot be written).
"""

from __future__ import annotations

import argparse
import sys

PROG = "python -m nodebook_build"


def _notebooks(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"{PROG} notebooks",
                                     description="write chapter notebooks and student copies (solutions removed)")
    parser.error = lambda message: parser.exit(2, f"{parser.prog}: error: {message}\n")  # one line, no usage
    parser.add_argument("--out", default="_build/notebooks", help="default: _build/notebooks")
    args = parser.parse_args(argv)
    from .build import write_notebooks

    try:
        written = write_notebooks(args.out)
    except (OSError, ValueError) as err:
        text = " ".join(str(err).split()) or type(err).__name__
        kind = "" if isinstance(err, ValueError) else f"{type(err).__name__}: "
        print(f"{parser.prog}: error: {kind}{text}", file=sys.stderr)
        raise SystemExit(2 if isinstance(err, ValueError) else 1) from None
    for path in written.instructor + written.student + [written.zip]:
        print(path)
    for stem, keys in written.missing_glue.items():
        print(f"{stem}: {len(keys)} glued value(s) not in the execution cache (build the book first); "
              "the notebooks show placeholders", file=sys.stderr)
    return 0


def _pdf(argv: list[str]) -> int:
    from .pdf import main as pdf_main

    return pdf_main(argv)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"notebooks": _notebooks, "pdf": _pdf}
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if not argv or argv[0] not in commands:
        got = repr(argv[0]) if argv else "nothing"
        print(f"{PROG}: error: expected a command, one of {', '.join(commands)}; got {got} "
              f"(see {PROG} <command> -h)", file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
