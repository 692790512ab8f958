"""USHCN-Daily weather records (NOAA's fixed-width daily format) as irregular series per station.

The data are not downloaded by nodebook: put the station files into
``nodebook.config.cache_dir("ushcn")`` or pass paths. :func:`write_example` writes a few *synthetic*
stations in the same format, for tests and for showing the loader.

One line holds one station-month of one element; columns (1-based, inclusive)::

    ID       1-11   station id (GHCN-Daily ``.dly``, e.g. USH00011084; USHCN-Daily state files: 6-char COOP id)
    YEAR    12-15   MONTH 16-17   ELEMENT 18-21
    then for day d = 1..31: VALUE (5, integer, -9999 = missing), MFLAG, QFLAG, SFLAG (1 character each)

so a line has 11 + 10 + 31 * 8 = 269 characters (264 with a 6-character id). The five core elements
``ELEMENTS`` are kept (others, such as TOBS, are skipped); a value with a quality flag (QFLAG not blank)
failed one of NOAA's checks and is treated as missing unless ``drop_flagged=False``. Values stay in the
file's integer units (GHCN-Daily: PRCP tenths of mm, SNOW and SNWD mm, TMAX/TMIN tenths of deg C;
USHCN-Daily state files: hundredths of inch, tenths of inch, inch, deg F): scale them per feature with
:class:`~nodebook.data.FeatureScaler`. Times are days since ``origin`` (default: 1 January of the
earliest year read), so the stations of one load share a time axis.

GRU-ODE-Bayes (De Brouwer et al. 2019) preprocessed USHCN into a CSV with columns ``ID, Time, Value_1..5,
Mask_1..5``; :func:`read_gru_ode_csv` reads that too.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch

from ..config import cache_dir
from ._text import numbered_lines
from .irregular import IrregularSeries

ELEMENTS = ("PRCP", "SNOW", "SNWD", "TMAX", "TMIN")
MISSING = -9999
_WIDTHS = {269: 11, 264: 6}  # line length -> station id width


def _parse_line(line: str, where: str, id_width: int | None):
    """``(station, year, month, element, [(value, qflag)] * 31)`` of one fixed-width line."""
    if id_width is None:
        if len(line) not in _WIDTHS:
            raise ValueError(f"{where}: expected a fixed-width line of 269 characters (11-character station "
                             "id, year, month, element, then 31 x (value(5), mflag, qflag, sflag)) or 264 (6-"
                             f"character COOP id); got {len(line)} characters")
        id_width = _WIDTHS[len(line)]
    else:
        width = id_width + 10 + 31 * 8
        if not id_width + 10 + 30 * 8 + 5 <= len(line) <= width:
            raise ValueError(f"{where}: expected {width} characters for a {id_width}-character station id; "
                             f"got {len(line)}")
        line = line.ljust(width)  # trailing blank flags may have been stripped
    station, year, month, element = (line[:id_width].strip(), line[id_width:id_width + 4],
                                     line[id_width + 4:id_width + 6], line[id_width + 6:id_width + 10])
    if not station or not year.isdigit() or not month.strip().isdigit() or not 1 <= int(month) <= 12:
        raise ValueError(f"{where}: expected a station id, a year YYYY and a month 01-12 in the first "
                         f"{id_width + 6} columns; got {line[:id_width + 6]!r}")
    if not element.isalnum():
        raise ValueError(f"{where}: expected a 4-character element name (e.g. {', '.join(ELEMENTS)}) in "
                         f"columns {id_width + 7}-{id_width + 10}; got {element!r}")
    days = []
    for d in range(31):
        start = id_width + 10 + 8 * d
        field = line[start:start + 5]
        try:
            value = int(field)
        except ValueError:
            raise ValueError(f"{where}: expected an integer value for day {d + 1} in columns {start + 1}-"
                             f"{start + 5}; got {field!r}") from None
        days.append((value, line[start + 6]))
    return station, int(year), int(month), element, days


def _check_elements(elements: Sequence[str]) -> tuple[str, ...]:
    if isinstance(elements, str) or not all(isinstance(e, str) for e in elements):
        raise TypeError(f"elements must be a sequence of element names such as {list(ELEMENTS)}; got {elements!r}")
    elements = tuple(elements)
    bad = [e for e in elements if len(e) != 4 or not e.isalnum() or e != e.upper()]
    if not elements or bad or len(set(elements)) != len(elements):
        raise ValueError(f"elements must be distinct 4-character upper-case names, e.g. {list(ELEMENTS)} (the "
                         f"valid core elements); got {list(elements)}")
    return elements


def read_dly(paths: str | os.PathLike | Iterable[str | os.PathLike], *, elements: Sequence[str] = ELEMENTS,
             origin: dt.date | None = None, drop_flagged: bool = True, id_width: int | None = None
             ) -> list[IrregularSeries]:
    """Read station files into one :class:`IrregularSeries` per station (sorted by station id).

    Args:
        paths: one file or several (lines of one station may be spread over files).
        elements: element names, in the order of the value columns (default ``ELEMENTS``).
        origin: day 0 of the time axis; default 1 January of the earliest year read.
        drop_flagged: treat values with a quality flag as missing.
        id_width: station id width; ``None`` infers it from the line length (269 or 264).

    Returns:
        Per station: ``times (T,)`` days since ``origin`` (float64) of the days with at least one value,
        ``values, mask (T, len(elements))`` float32.

    Raises:
        ValueError: a malformed line, naming the file and the line number.
    """
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    elements = _check_elements(elements)
    column = {e: j for j, e in enumerate(elements)}
    obs: dict[str, dict[dt.date, dict[int, float]]] = {}
    seen: set[str] = set()
    for path in paths:
        for n, line in numbered_lines(path):
            if not line.strip():
                continue
            station, year, month, element, days = _parse_line(line, f"{path}, line {n}", id_width)
            seen.add(element)
            if element not in column:
                continue
            for d, (value, qflag) in enumerate(days, start=1):
                if value == MISSING or (drop_flagged and qflag != " "):
                    continue
                try:
                    day = dt.date(year, month, d)
                except ValueError:
                    raise ValueError(f"{path}, line {n}: expected {MISSING} (missing) for day {d}, which "
                                     f"{year}-{month:02d} does not have; got {value}") from None
                obs.setdefault(station, {}).setdefault(day, {})[column[element]] = float(value)
    unknown = [e for e in elements if e not in ELEMENTS and e not in seen]
    if unknown:
        raise ValueError(f"unknown element(s) {unknown}: not one of ELEMENTS {list(ELEMENTS)} and not in the files "
                         f"read (they hold {sorted(seen)})")
    if not obs:
        return []
    if origin is None:
        origin = dt.date(min(day.year for days in obs.values() for day in days), 1, 1)
    records = []
    for station in sorted(obs):
        days = sorted(obs[station])
        values = torch.zeros(len(days), len(elements))
        mask = torch.zeros_like(values)
        for i, day in enumerate(days):
            for j, v in obs[station][day].items():
                values[i, j], mask[i, j] = v, 1.0
        times = torch.tensor([(day - origin).days for day in days], dtype=torch.float64)
        records.append(IrregularSeries(times, values, mask, id=station))
    return records


def load_ushcn(folder: str | os.PathLike | None = None, **kwargs) -> list[IrregularSeries]:
    """All ``*.dly`` files of ``folder`` (default ``nodebook.config.cache_dir("ushcn")``) via :func:`read_dly`.

    Raises:
        FileNotFoundError: no ``.dly`` file there; the message says where to put the data.
    """
    folder = cache_dir("ushcn") if folder is None else Path(folder)
    files = sorted(folder.glob("*.dly")) if folder.is_dir() else []
    if not files:
        raise FileNotFoundError(
            f"USHCN-Daily data not found: expected station files <id>.dly in {folder}. nodebook downloads "
            "nothing; get the USH* station files of GHCN-Daily (https://www.ncei.noaa.gov/pub/data/ghcn/daily/"
            f"all/) and put them into {folder} (the default folder is nodebook.config.cache_dir('ushcn')).")
    return read_dly(files, **kwargs)


def read_gru_ode_csv(path: str | os.PathLike, *, n_features: int = 5) -> list[IrregularSeries]:
    """GRU-ODE-Bayes' preprocessed CSV (``ID, Time, Value_1..Value_n, Mask_1..Mask_n``), one record per ID."""
    rows: dict[str, list[tuple[float, list[float], list[float]]]] = {}
    reader = csv.reader(text for _, text in numbered_lines(path))
    header = next(reader, [])
    want = ["ID", "Time"] + [f"Value_{k}" for k in range(1, n_features + 1)] + \
        [f"Mask_{k}" for k in range(1, n_features + 1)]
    missing = [c for c in want if c not in header]
    if missing:
        raise ValueError(f"{path}, line 1: expected columns {want}; missing {missing}")
    idx = [header.index(c) for c in want]
    for n, fields in enumerate(reader, start=2):
        try:
            f = [fields[i] for i in idx]
            nums = [float(v) for v in f[1:]]
        except (IndexError, ValueError):
            raise ValueError(f"{path}, line {n}: expected {len(header)} fields with numeric Time, "
                             f"Value_k and Mask_k; got {','.join(fields)!r}") from None
        rows.setdefault(f[0], []).append((nums[0], nums[1:1 + n_features], nums[1 + n_features:]))
    records = []
    for rid, obs in rows.items():
        obs.sort(key=lambda r: r[0])
        mask = torch.tensor([m for _, _, m in obs])
        if not bool(((mask == 0) | (mask == 1)).all()):
            raise ValueError(f"{path}: expected Mask_k values 0 or 1; got {sorted(set(mask.unique().tolist()))} "
                             f"(ID {rid})")
        records.append(IrregularSeries(torch.tensor([t for t, _, _ in obs], dtype=torch.float64),
                                       torch.tensor([v for _, v, _ in obs]) * mask, mask, id=rid))
    return records


def write_example(folder: str | os.PathLike, n_stations: int = 3, seed: int = 0, *, year: int = 2000,
                  months: int = 3) -> list[Path]:
    """Write a few **synthetic** stations (not NOAA data) as GHCN-Daily ``.dly`` files, one per station.

    Seasonal TMAX/TMIN (tenths of deg C), showery PRCP, SNOW and SNWD mostly zero, ~10% of days missing,
    an occasional quality flag, and a TOBS line (an element the loader skips). Station ids USH0099900k
    are not real stations; a ``README.txt`` in ``folder`` says the files are synthetic.

    Returns:
        The written ``.dly`` paths (pass them to :func:`read_dly`).
    """
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.txt").write_text("SYNTHETIC fixture written by nodebook.data.ushcn.write_example: made-up "
                                       "stations in NOAA's fixed-width daily format, not real data.\n")
    paths = []
    for s in range(n_stations):
        station = f"USH00{999001 + s}"
        lines = []
        for month in range(1, months + 1):
            n_days = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
            for element in ELEMENTS + ("TOBS",):
                cells = []
                for d in range(1, 32):
                    value, qflag = MISSING, " "
                    if d <= n_days and rng.random() > 0.1:
                        season = 100 * (1 - abs(month - 7) / 6)
                        value = {"TMAX": round(season + 80 + rng.gauss(0, 30)),
                                 "TMIN": round(season - 20 + rng.gauss(0, 30)),
                                 "PRCP": 0 if rng.random() < 0.7 else round(rng.expovariate(1 / 50)),
                                 "SNOW": 0 if rng.random() < 0.9 else rng.randint(1, 100),
                                 "SNWD": 0 if rng.random() < 0.9 else rng.randint(1, 200),
                                 "TOBS": round(season + rng.gauss(0, 30))}[element]
                        qflag = "I" if rng.random() < 0.02 else " "
                    cells.append(f"{value:5d} {qflag}{'7' if value != MISSING else ' '}")
                lines.append(f"{station:<11}{year:04d}{month:02d}{element}" + "".join(cells))
        path = folder / f"{station}.dly"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths
