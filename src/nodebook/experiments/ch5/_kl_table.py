"""Chapter 5's KL table read back for its claims (:mod:`.claims`): a row's KL over seeds, the targets and
sizes run, the CNF-against-planar verdicts at K = M, and the words the sentences use for them.
"""

from __future__ import annotations

from ..._claims import compare
from ...seeds import Stat, metrics_of, stat


def _kl(record, target: str, kind: str, size: int) -> Stat:
    rows = metrics_of(record)["planar_vs_cnf"]
    for i, r in enumerate(rows):
        if (r["target"], r["kind"], r["size"]) == (target, kind, size):
            return stat(record, f"planar_vs_cnf.{i}.kl")
    raise KeyError(f"planar_vs_cnf has no row for {target} {kind} {size}")


def _grid(record) -> tuple[list[str], dict[str, list[int]]]:
    rows = metrics_of(record)["planar_vs_cnf"]
    targets = list(dict.fromkeys(r["target"] for r in rows))
    sizes = {k: sorted({r["size"] for r in rows if r["kind"] == k}) for k in ("planar", "cnf")}
    return targets, sizes


def _seeds(record) -> int:
    targets, sizes = _grid(record)
    return _kl(record, targets[0], "planar", sizes["planar"][0]).n


def _show(s: Stat) -> str:
    """``"0.663"`` for one seed, ``"0.663 ± 0.012 (3 seeds)"`` for several."""
    return f"{s.mean:.3f}" if s.n < 2 else f"{s.mean:.3f} ± {s.se:.3f} ({s.n} seeds)"


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _cnf_vs_planar(record) -> dict[int, dict[str, object]]:
    """``{size: {target: Verdict}}``: the CNF of width M against the planar flow of depth K = M (KL, lower
    is better), for every size both kinds were run at."""
    targets, sizes = _grid(record)
    both = [s for s in sizes["cnf"] if s in sizes["planar"]]
    return {s: {t: compare(_kl(record, t, "cnf", s), _kl(record, t, "planar", s), higher_is_better=False)
                for t in targets} for s in both}


def _ahead(v) -> bool:
    return v.diff < 0 if v.outcome == "one seed" else v.outcome == "better"


def _word(v) -> str:
    if v.outcome == "one seed":
        return "lower" if v.diff < 0 else "higher"
    return {"better": "better", "worse": "worse"}.get(v.outcome, "indistinguishable at this scale")
