"""How a results record is described on a page: where it came from, and the line shown when it is missing.

Plain functions of a record (a dict as :func:`nodebook.results.load_results` returns it), re-exported by
:mod:`nodebook.results`: ``provenance`` (one caption line), ``run_facts`` (device, date, wall time, commit,
torch, ``--set`` changes), ``run_line`` (a caption sentence) and ``missing_note`` (no reference run yet).
"""

from __future__ import annotations


def provenance(record: dict) -> str:
    """One line saying where a record came from, for the chapter's caption."""
    parts = [f"{record['mode']} mode on" if "mode" in record else "on",
             f"{record.get('device_name', record.get('device', '?'))},", f"{record.get('date', '?')[:10]},",
             f"torch {record.get('torch', '?')}, commit {record.get('git_commit', '?')}"]
    if "wall_time_s" in record:
        parts[-1] += f", {record['wall_time_s']:.0f} s"
    return " ".join(parts)


REPRODUCE = "python -m nodebook reproduce {chapter} --mode full"


def missing_note(chapter: str) -> str:
    """The one line a page shows where a chapter's reference run is missing (never an empty table)."""
    command = REPRODUCE.format(chapter=chapter)
    return f"No reference run of {chapter} is committed yet (`results/{chapter}.json`; `{command}` makes it)."


def run_facts(record: dict) -> dict[str, str]:
    """Where a record came from, as short strings: ``device``, ``date``, ``wall`` (time), ``commit``, ``torch``,
    and ``overrides`` (the ``--set`` changes, empty for the reference budget)."""
    wall = record.get("wall_time_s")
    wall_s = "–" if wall is None else (f"{wall:.0f} s" if wall < 120 else f"{wall / 60:.0f} min")
    overrides = record.get("budget_overrides") or {}
    return {"device": str(record.get("device_name", record.get("device", "?"))),
            "date": str(record.get("date", "?"))[:10], "wall": wall_s,
            "commit": str(record.get("git_commit", "?")), "torch": str(record.get("torch", "?")),
            "overrides": ", ".join(f"{k}={v}" for k, v in overrides.items())}


def run_line(record: dict | None, chapter: str = "") -> str:
    """One sentence for a caption: ``reference run: <device>, <date>, <wall time>, commit <sha>``, or the
    :func:`missing_note` when ``record`` is ``None``."""
    if record is None:
        return missing_note(chapter)
    f = run_facts(record)
    extra = f", with {f['overrides']}" if f["overrides"] else ""
    return (f"reference run ({record.get('mode', 'full')} mode) on {f['device']}, {f['date']}, "
            f"{f['wall']} wall time, torch {f['torch']}, commit {f['commit']}{extra}")
