"""Several seeds of one reference run: their mean and standard error, and merging them into one record.

``python -m nodebook reproduce ch4 --mode full --seeds 3`` runs seeds 0, 1, 2 as separate processes and
merges them into ``results/ch4.json``: ``metrics`` is seed 0's (what a single-seed run writes), and
``seeds`` holds every seed's metrics and, for each numeric entry present in all of them, its summary::

    "seeds": {"n": 3, "seeds": [0, 1, 2], "per_seed": [{...}, {...}, {...}],
              "summary": {"models.odenet.test_acc": {"mean": .., "se": .., "n": 3, "values": [..]}, ...}}

A chapter reads any entry the same way from a merged record, a single-seed record or a quick run's metrics::

    s = stat(record, "models.odenet.test_acc")   # Stat(mean, se, n, values); se is nan for one seed

Summaries cover numbers in nested tables and in lists of tables (``"rows.0.nfe"``) and in numeric lists of
at most :data:`MAX_LIST` entries (longer ones are curves, kept per seed only).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MAX_LIST = 64


@dataclass(frozen=True)
class Stat:
    """A measured number over seeds: ``mean``, standard error ``se`` (``nan`` for fewer than 2 values), ``n``
    values, and the ``values`` themselves."""

    mean: float
    se: float
    n: int
    values: tuple[float, ...]

    def __str__(self) -> str:
        return format_stat(self)


def stat_of(values: Iterable[Any]) -> Stat:
    """The :class:`Stat` of ``values`` (numbers; ``None`` counts as ``nan``): mean and standard error of the
    mean, ``sd / sqrt(n)`` with the sample standard deviation (``ddof=1``).

    Raises:
        ValueError: no values, or a value that is not a number.
    """
    vals = []
    for v in values:
        if v is None:
            vals.append(math.nan)
        elif isinstance(v, bool) or not isinstance(v, (int, float)) and not hasattr(v, "__float__"):
            raise ValueError(f"stat_of expects numbers; got {v!r} ({type(v).__name__})")
        else:
            vals.append(float(v))
    if not vals:
        raise ValueError("stat_of expects at least one value; got none")
    n = len(vals)
    mean = math.fsum(vals) / n
    if n < 2 or not all(math.isfinite(v) for v in vals):
        return Stat(mean, math.nan, n, tuple(vals))
    var = math.fsum((v - mean) ** 2 for v in vals) / (n - 1)
    return Stat(mean, math.sqrt(var / n), n, tuple(vals))


def format_stat(s: Stat, digits: int = 3, scale: float = 1.0, unit: str = "") -> str:
    """``"0.955 ± 0.004 (3 seeds)"``, or ``"0.955 (1 seed)"``; ``scale`` multiplies (100 for percent)."""
    def fmt(x: float) -> str:
        return "–" if not math.isfinite(x) else f"{x * scale:.{digits}g}"
    if s.n >= 2 and math.isfinite(s.se):
        return f"{fmt(s.mean)}{unit} ± {fmt(s.se)}{unit} ({s.n} seeds)"
    return f"{fmt(s.mean)}{unit} (1 seed)"


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def numeric_leaves(tree: Any, prefix: str = "") -> dict[str, float | None]:
    """Every numeric (not bool) leaf of nested dicts and lists as ``{"dotted.path": value}``; ``None`` (a
    non-finite number saved as JSON null) is kept as ``None`` where it sits in a numeric position."""
    out: dict[str, float | None] = {}
    if isinstance(tree, Mapping):
        for k, v in tree.items():
            out.update(numeric_leaves(v, f"{prefix}{k}."))
    elif isinstance(tree, (list, tuple)):
        if all(_is_number(v) or v is None for v in tree) and len(tree) > MAX_LIST:
            return out
        for i, v in enumerate(tree):
            out.update(numeric_leaves(v, f"{prefix}{i}."))
    elif _is_number(tree):
        out[prefix[:-1]] = float(tree)
    return out


def lookup(tree: Any, dotted: str) -> Any:
    """``tree["a"]["b"][0]`` for ``"a.b.0"``.

    Raises:
        KeyError: a part is missing (names the part and what was there).
    """
    node = tree
    for i, part in enumerate(dotted.split(".")):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            where = ".".join(dotted.split(".")[:i]) or "the metrics"
            have = ", ".join(map(str, list(node)[:12])) if isinstance(node, Mapping) else type(node).__name__
            raise KeyError(f"{dotted!r}: {where} has no {part!r} (it has: {have})")
    return node


def metrics_of(record: Mapping) -> Mapping:
    """A results record's ``metrics`` (a quick run's metrics dict is returned as it is)."""
    return record["metrics"] if isinstance(record.get("metrics"), Mapping) else record


def seed_note(record: Mapping) -> str:
    """``" (seed 0 of 3)"`` for a merged record (whose ``metrics`` are seed 0's), else ``""``: what a
    sentence made from ``metrics`` rather than from every seed says about itself."""
    seeds = record.get("seeds") if isinstance(record.get("metrics"), Mapping) else None
    n = seeds.get("n", 1) if isinstance(seeds, Mapping) else 1
    return f" (seed {seeds['seeds'][0]} of {n})" if n > 1 else ""


def stat(record: Mapping, dotted: str) -> Stat:
    """The :class:`Stat` of ``dotted`` (e.g. ``"models.odenet.test_acc"``) in a record.

    A merged multi-seed record gives the value of every seed; a single-seed record, or a quick run's metrics,
    gives ``n = 1`` and ``se = nan``.

    Raises:
        KeyError: the entry is not in the record (or not in every seed).
        ValueError: the entry is not a number.
    """
    if not isinstance(record, Mapping):
        raise TypeError(f"stat expects a results record (a dict); got {type(record).__name__}")
    dotted = dotted.removeprefix("metrics.")
    seeds = record.get("seeds") if isinstance(record.get("metrics"), Mapping) else None
    if isinstance(seeds, Mapping) and seeds.get("per_seed"):
        summary = seeds.get("summary") or {}
        if dotted in summary:
            return stat_of(summary[dotted]["values"])
        return stat_of(_number(lookup(m, dotted), dotted) for m in seeds["per_seed"])
    return stat_of([_number(lookup(metrics_of(record), dotted), dotted)])


def _number(v: Any, dotted: str) -> float | None:
    if v is not None and not _is_number(v):
        raise ValueError(f"{dotted!r} is not a number: got {v!r}")
    return v


def summarize(per_seed: list[Mapping]) -> dict[str, dict]:
    """``{"dotted.path": {"mean", "se", "n", "values"}}`` for every numeric leaf present in all seeds."""
    leaves = [numeric_leaves(m) for m in per_seed]
    common = [k for k in leaves[0] if all(k in lv for lv in leaves[1:])] if leaves else []
    out = {}
    for k in common:
        s = stat_of(lv[k] for lv in leaves)
        out[k] = {"mean": _finite(s.mean), "se": _finite(s.se), "n": s.n, "values": [lv[k] for lv in leaves]}
    return out


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def merge(records: list[Mapping], seeds: list[int]) -> dict:
    """One record from the records of ``seeds`` (same order): seed 0's (the first) metadata and metrics as
    a single run writes them, plus ``seeds``.

    Raises:
        ValueError: no records, a count that differs from ``seeds``, or records of different chapters, modes
            or commits.
    """
    if not records or len(records) != len(seeds):
        raise ValueError(f"merge expects one record per seed; got {len(records)} records for seeds {seeds}")
    first = records[0]
    for key in ("chapter", "mode", "git_commit"):
        got = {str(r.get(key)) for r in records}
        if len(got) > 1:
            raise ValueError(f"cannot merge seeds {seeds}: their {key} differs ({', '.join(sorted(got))})")
    per_seed = [dict(r["metrics"]) for r in records]
    merged = {k: v for k, v in first.items() if k not in ("metrics", "seed", "budget")}
    merged["seeds"] = {"n": len(seeds), "seeds": list(seeds), "per_seed": per_seed,
                       "summary": summarize(per_seed),
                       "wall_time_s_per_seed": [r.get("wall_time_s") for r in records]}
    merged["metrics"] = first["metrics"]
    return merged
