"""Text data files read line by line, with errors that name the file and the line."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path


def numbered_lines(path: str | os.PathLike) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` for each line of a UTF-8 (or ASCII) file, without the line ending.

    Raises:
        ValueError: a line that is not UTF-8, naming the file, the line and the offending byte (a file saved
            in another encoding, or a binary file given by mistake).
    """
    path = Path(path)
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise ValueError(f"{path}, line {n}: expected UTF-8 text; got byte 0x{raw[err.start]:02x} at "
                                 f"column {err.start + 1} (is it a binary file, or saved in another encoding? "
                                 "re-save it as UTF-8)") from None
            yield n, text.rstrip("\r\n")


def read_lines(path: str | os.PathLike) -> list[str]:
    """All lines of a UTF-8 text file (see :func:`numbered_lines`)."""
    return [text for _, text in numbered_lines(path)]
