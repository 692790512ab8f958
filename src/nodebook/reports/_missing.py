"""Null and NaN metrics in a results record: where they are, and the record without them."""

from __future__ import annotations

import math


def nan_to_none(x):
    """The record with every NaN or infinite number replaced by ``None``: a metric the run could not measure."""
    if isinstance(x, dict):
        return {k: nan_to_none(v) for k, v in x.items()}
    if isinstance(x, list):
        return [nan_to_none(v) for v in x]
    return None if isinstance(x, float) and not math.isfinite(x) else x


def null_paths(x, path: tuple = ()) -> list[tuple]:
    if isinstance(x, dict):
        return [p for k, v in x.items() for p in null_paths(v, (*path, k))]
    if isinstance(x, list):
        return [p for i, v in enumerate(x) for p in null_paths(v, (*path, i))]
    return [path] if x is None and path else []


def dotted(path: tuple) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def without(x, paths: set[tuple], path: tuple = ()):
    """``x`` with the entries at ``paths`` left out (a list keeps its other items)."""
    if isinstance(x, dict):
        return {k: without(v, paths, (*path, k)) for k, v in x.items() if (*path, k) not in paths}
    if isinstance(x, list):
        return [without(v, paths, (*path, i)) for i, v in enumerate(x) if (*path, i) not in paths]
    return x
