"""PhysioNet/Computing in Cardiology Challenge 2012: ICU stays as irregular multivariate series.

The data (https://physionet.org/content/challenge-2012/1.0.0/) are not downloaded by nodebook: unpack
``set-a.tar.gz`` and ``Outcomes-a.txt`` into ``nodebook.config.cache_dir("physionet")`` (so that
``<cache>/physionet/set-a/132539.txt`` exists) or pass another folder. :func:`write_example` writes a
few *synthetic* patients in the same format, for tests and for showing the loader.

One text file per patient, in the first 48 hours of an ICU stay::

    Time,Parameter,Value
    00:00,RecordID,132539
    00:00,Age,54
    00:00,Gender,0
    00:00,Height,-1
    00:00,ICUType,4
    00:00,Weight,-1
    00:07,GCS,15
    00:07,HR,73

``Time`` is ``HH:MM`` since admission; the six ``DESCRIPTORS`` come at 00:00, then any of the 36
``TIME_SERIES`` parameters at the times they were measured (Weight may also recur as a measurement).
A value of -1 means missing; we treat it so everywhere. ``Outcomes-a.txt`` holds the labels
(``RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death``).

Feature order: ``PARAMS``, the 41 names of Rubanova et al.'s ``physionet.py`` (the descriptors Age, Gender,
Height, ICUType, Weight as values at time 0, then the 36 time series). Times are in **hours**
(``HH + MM / 60``), exact by default; ``quantization=0.1`` rounds to 6 minutes as their default data class
does. Several values of one parameter at one (rounded) time are averaged, as they do.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import torch

from ..config import cache_dir
from ._physionet_format import (  # noqa: F401 (the format's names and write_example, re-exported)
    DESCRIPTORS,
    HEADER,
    OUTCOME_COLUMNS,
    PARAMS,
    TIME_SERIES,
    write_example,
)
from ._text import read_lines
from .irregular import IrregularSeries

_KNOWN = frozenset(DESCRIPTORS + TIME_SERIES)


def _hours(text: str) -> float | None:
    hh, sep, mm = text.partition(":")
    if not sep or not hh.isdigit() or not mm.isdigit() or len(mm) != 2 or int(mm) > 59:
        return None
    return int(hh) + int(mm) / 60


def _check_quantization(quantization: float | None) -> float | None:
    if quantization is None:
        return None
    if isinstance(quantization, bool) or not isinstance(quantization, (int, float)) \
            or not math.isfinite(quantization) or quantization <= 0:
        raise ValueError(f"quantization must be None (exact times) or a positive number of hours such as 0.1; "
                         f"got {quantization!r}")
    return float(quantization)


def read_patient(path: str | os.PathLike, *, features: Sequence[str] = PARAMS,
                 quantization: float | None = None, keep_missing: bool = False) -> IrregularSeries:
    """One patient file as an :class:`IrregularSeries` (``id``: RecordID; ``static``: the descriptors).

    Args:
        path: a ``set-?/<RecordID>.txt`` file.
        features: parameter names, in the order of the value columns (default ``PARAMS``).
        quantization: round times to multiples of this many hours (``None``: exact minutes).
        keep_missing: keep ``-1`` values as observations, as Rubanova et al.'s reader does (default: drop
            them, the Challenge's code for missing).

    Returns:
        ``times (T,)`` hours (float64), ``values, mask (T, len(features))`` (float32).

    Raises:
        ValueError: a line that is not ``HH:MM,<known parameter>,<number>``, naming the file and line.
    """
    path = Path(path)
    unknown = [f for f in features if f not in _KNOWN or f == "RecordID"]
    if unknown:
        raise ValueError(f"features must be names from PARAMS {list(PARAMS)}; got unknown {unknown}")
    quantization = _check_quantization(quantization)
    column = {name: j for j, name in enumerate(features)}
    lines = read_lines(path)
    if not lines or lines[0].strip() != HEADER:
        raise ValueError(f"{path}, line 1: expected the header {HEADER!r}; got {lines[0] if lines else ''!r}")
    record_id, static, sums = None, {}, {}  # sums[(time, column)] = [total, count]
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.strip().split(",")
        where = f"{path}, line {n}"
        if len(fields) != 3:
            raise ValueError(f"{where}: expected 3 comma-separated fields Time,Parameter,Value; got {line!r}")
        time, name, text = fields
        hours = _hours(time)
        if hours is None:
            raise ValueError(f"{where}: expected a time HH:MM (minutes 00-59); got {time!r}")
        if name not in _KNOWN:
            raise ValueError(f"{where}: expected a parameter from DESCRIPTORS or TIME_SERIES; got {name!r}")
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{where}: expected a number as Value; got {text!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"{where}: expected a finite number as Value; got {text!r}")
        if name == "RecordID":
            record_id = int(value)
            continue
        if value == -1 and not keep_missing:  # the Challenge's code for missing
            continue
        if name in DESCRIPTORS and hours == 0:
            static.setdefault(name, value)
        if name in column:
            if quantization is not None:
                hours = round(hours / quantization) * quantization
            acc = sums.setdefault((hours, column[name]), [0.0, 0])
            acc[0] += value
            acc[1] += 1
    times = sorted({t for t, _ in sums})
    row = {t: i for i, t in enumerate(times)}
    values = torch.zeros(len(times), len(features))
    mask = torch.zeros_like(values)
    for (t, j), (total, count) in sums.items():
        values[row[t], j] = total / count
        mask[row[t], j] = 1.0
    return IrregularSeries(torch.tensor(times, dtype=torch.float64), values, mask,
                           id=record_id if record_id is not None else path.stem, static=static)


def read_outcomes(path: str | os.PathLike) -> dict[int, float]:
    """``Outcomes-?.txt`` as ``{RecordID: In-hospital_death (0.0 or 1.0)}``."""
    path = Path(path)
    lines = read_lines(path)
    header = lines[0].strip().split(",") if lines else []
    if "RecordID" not in header or "In-hospital_death" not in header:
        raise ValueError(f"{path}, line 1: expected a header with RecordID and In-hospital_death "
                         f"(e.g. {','.join(OUTCOME_COLUMNS)}); got {lines[0] if lines else ''!r}")
    i_id, i_death = header.index("RecordID"), header.index("In-hospital_death")
    labels = {}
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.strip().split(",")
        try:
            if len(fields) != len(header):
                raise ValueError
            rid, death = int(fields[i_id]), int(fields[i_death])
            if death not in (0, 1):
                raise ValueError
        except ValueError:
            raise ValueError(f"{path}, line {n}: expected {len(header)} comma-separated fields with an "
                             f"integer RecordID and In-hospital_death 0 or 1; got {line!r}") from None
        labels[rid] = float(death)
    return labels


def load_physionet(folder: str | os.PathLike | None = None, *, subset: str | Sequence[str] = "set-a",
                   outcomes: bool | None = None, features: Sequence[str] = PARAMS,
                   quantization: float | None = None, max_patients: int | None = None,
                   keep_missing: bool = False) -> list[IrregularSeries]:
    """All patients of ``<folder>/<subset>/*.txt`` (sorted by file name), labelled when outcomes exist.

    Args:
        folder: holds ``set-a/`` and ``Outcomes-a.txt``; default ``nodebook.config.cache_dir("physionet")``.
        subset: ``"set-a"``, ``"set-b"`` or ``"set-c"``, or several in order (Rubanova et al. read
            ``("set-a", "set-b")``: 8 000 patients); ``max_patients`` counts over all of them.
        keep_missing: as in :func:`read_patient`.
        outcomes: ``True`` requires ``Outcomes-<a|b|c>.txt`` and sets each record's ``label``; ``False``
            ignores it; ``None`` uses it when present.
        features, quantization: as in :func:`read_patient`.
        max_patients: read only the first this many files (for quick runs).

    Raises:
        FileNotFoundError: the folder is missing; the message says where to put the data.
    """
    if max_patients is not None and (isinstance(max_patients, bool) or not isinstance(max_patients, int)
                                     or max_patients < 1):
        raise ValueError(f"max_patients must be None (all) or a positive int; got {max_patients!r}")
    quantization = _check_quantization(quantization)
    if not isinstance(subset, str):
        subsets = list(subset) if isinstance(subset, (list, tuple)) else [subset]
        if not subsets or any(s not in ("set-a", "set-b", "set-c") for s in subsets):
            raise ValueError(f"subset must be 'set-a', 'set-b', 'set-c' or a list of them; got {subset!r}")
        records = []
        for s in subsets:
            left = None if max_patients is None else max_patients - len(records)
            if left == 0:
                break
            records += load_physionet(folder, subset=s, outcomes=outcomes, features=features,
                                      quantization=quantization, max_patients=left, keep_missing=keep_missing)
        return records
    if subset not in ("set-a", "set-b", "set-c"):
        raise ValueError(f"subset must be one of 'set-a', 'set-b', 'set-c'; got {subset!r}")
    folder = cache_dir("physionet") if folder is None else Path(folder)
    patients = folder / subset
    if not patients.is_dir():
        raise FileNotFoundError(
            f"PhysioNet 2012 data not found: expected one file per patient in {patients} (e.g. "
            f"{patients / '132539.txt'}). nodebook downloads nothing; get {subset}.tar.gz and "
            f"Outcomes-{subset[-1]}.txt from https://physionet.org/content/challenge-2012/1.0.0/ and unpack "
            f"them into {folder} (the default folder is nodebook.config.cache_dir('physionet')).")
    files = sorted(patients.glob("*.txt"))[:max_patients]
    records = [read_patient(f, features=features, quantization=quantization, keep_missing=keep_missing)
               for f in files]
    outcome_file = folder / f"Outcomes-{subset[-1]}.txt"
    if outcomes or (outcomes is None and outcome_file.exists()):
        if not outcome_file.exists():
            raise FileNotFoundError(f"outcomes=True but {outcome_file} does not exist")
        labels = read_outcomes(outcome_file)
        for r in records:
            r.label = labels.get(r.id)
    return records
