"""Chapter 7's claims: each sentence the page states about its numbers, made from them or refused.

Registered with :func:`nodebook.claims.claim`; the chapter glues ``nb.claims.evaluate("ch7", record)`` for
the reference run and for its own quick run. A sentence whose verdict can go either way is written from
the data (the verdict is chosen by the numbers); a sentence the page states outright is guarded by
:func:`~nodebook.claims.require`.
"""

from __future__ import annotations

from ..._claims import claim, compare, require
from ...seeds import format_stat, metrics_of, stat

# One claim per entry made false by one number in a copy of the results file (tests/test_claims.py).
FLIPS = [("precision_floor", "precision.float32_floor_tol", None, "f32=nan")]

def _stiff(record) -> tuple[dict, list[float]]:
    rows = metrics_of(record)["stiff"]["rows"]
    by = {(r["mu"], r["method"]): r for r in rows}
    return by, sorted({r["mu"] for r in rows})


@claim("ch7", "stiff_window")
def stiff_window(record) -> str:
    """The window holds at least one relaxation jump at the largest μ (both solvers' paths show it)."""
    by, mus = _stiff(record)
    hi = mus[-1]
    jumps = [by[(hi, m)]["jumps"] for m in ("dopri5", "sdirk2") if not by[(hi, m)]["failed"]]
    return require(bool(jumps) and min(jumps) >= 1,
                   "At mu = {mu:g} the window holds {j} relaxation jump(s): the solution creeps and then jumps.",
                   mu=hi, j=min(jumps) if jumps else 0)


def _cheaper(d: dict, s: dict) -> str:
    if d["failed"] or s["failed"]:
        who = "dopri5" if d["failed"] else "sdirk2"
        return f"{who} stopped at its step limit"
    winner, loser = ("dopri5", "sdirk2") if d["nfe"] < s["nfe"] else ("sdirk2", "dopri5")
    ratio = max(d["nfe"], s["nfe"]) / min(d["nfe"], s["nfe"])
    return f"{winner} needs {ratio:.1f}× fewer evaluations than {loser}"


@claim("ch7", "stiff_cost")
def stiff_cost(record) -> str:
    """Who needs fewer evaluations at the smallest and the largest μ, and the wall-time direction."""
    by, mus = _stiff(record)
    lo, hi = mus[0], mus[-1]
    d_lo, s_lo, d_hi, s_hi = by[(lo, "dopri5")], by[(lo, "sdirk2")], by[(hi, "dopri5")], by[(hi, "sdirk2")]
    text = (f"At mu = {lo:g}, {_cheaper(d_lo, s_lo)} ({d_lo['nfe']:,} against {s_lo['nfe']:,}); at mu = {hi:g}, "
            f"{_cheaper(d_hi, s_hi)} ({d_hi['nfe']:,} against {s_hi['nfe']:,}).")
    if not (d_hi["failed"] or s_hi["failed"]):
        nfe_fast = "dopri5" if d_hi["nfe"] < s_hi["nfe"] else "sdirk2"
        sec_fast = "dopri5" if d_hi["seconds"] < s_hi["seconds"] else "sdirk2"
        per = (1e3 * s_hi["seconds"] / s_hi["nfe"], 1e3 * d_hi["seconds"] / d_hi["nfe"])
        same = "also takes less wall time" if nfe_fast == sec_fast else "still takes more wall time"
        text += (f" An implicit evaluation costs more (Jacobians and linear solves: {per[0]:.2f} ms against "
                 f"{per[1]:.2f} ms here), so at mu = {hi:g} the solver with fewer evaluations {same} "
                 f"({d_hi['seconds']:.2f} s for dopri5, {s_hi['seconds']:.2f} s for sdirk2).")
    return text


@claim("ch7", "stiff_tolerance")
def stiff_tolerance(record) -> str:
    """At a stiff μ, from which tolerance on dopri5 takes less wall time than sdirk2 (tolerance sweep)."""
    rows = metrics_of(record)["stiff"].get("tol_rows") or []
    if not rows:
        return "This run swept no tolerances; the reference run's sweep is described above."
    mu = rows[0]["mu"]
    by = {(r["tol"], r["method"]): r for r in rows if r["mu"] == mu}
    tols = sorted({t for t, _ in by}, reverse=True)
    parts, first = [], None
    for tol in tols:
        d, s = by[(tol, "dopri5")], by[(tol, "sdirk2")]
        parts.append(f"{tol:.0e}: {d['nfe']:,} / {s['nfe']:,}")
        if first is None and not (d["failed"] or s["failed"]) and d["seconds"] < s["seconds"]:
            first = tol
    lead = (f"At mu = {mu:g}, tightening the tolerance makes sdirk2 (second order) pay far more steps than "
            f"dopri5 (fifth order, held back by stability): NFE dopri5 / sdirk2 at "
            + "; ".join(parts) + ". ")
    if first is None:
        return lead + "sdirk2 stays faster at every tolerance tried here."
    return lead + f"From a tolerance of {first:.0e} on, dopri5 is the faster of the two in wall time."


def _reg_runs(record) -> list[dict]:
    return metrics_of(record)["reg"]["runs"]


@claim("ch7", "reg_effect")
def reg_effect(record) -> str:
    """For each penalty weight: NFE ratio and NLL change over seeds, with the verdict on the NFE saving."""
    runs = _reg_runs(record)
    parts = []
    for i, r in enumerate(runs[1:], start=1):
        nfe, base = stat(record, f"reg.runs.{i}.final_nfe"), stat(record, "reg.runs.0.final_nfe")
        ratio, dnll = stat(record, f"reg.runs.{i}.nfe_ratio"), stat(record, f"reg.runs.{i}.nll_diff")
        v = compare(nfe, base, higher_is_better=False)
        verdict = {"better": "fewer evaluations", "worse": "more evaluations"}.get(v.outcome, v.phrase)
        parts.append(f"lambda = {r['lam']:g}: {format_stat(ratio)}× fewer NFE per forward pass "
                     f"({verdict}), test NLL {format_stat(dnll)} nats relative to no penalty")
    return "; ".join(parts) + "."


@claim("ch7", "seminorm_effect")
def seminorm_effect(record) -> str:
    """Backward NFE with the seminorm against the mixed norm, over seeds."""
    rows = metrics_of(record)["adjoint"]["rows"]
    idx = {(r["library"], r["norm"]): i for i, r in enumerate(rows)}
    semi = stat(record, f"adjoint.rows.{idx[('nodebook', 'seminorm')]}.nfe")
    mixed = stat(record, f"adjoint.rows.{idx[('nodebook', 'mixed')]}.nfe")
    v = compare(semi, mixed, higher_is_better=False)
    verdict = {"better": "fewer", "worse": "more"}.get(v.outcome, v.phrase)
    return (f"Backward NFE with the seminorm {format_stat(semi)}, with the mixed norm {format_stat(mixed)}: "
            f"{verdict}.")


@claim("ch7", "devices")
def devices(record) -> str:
    """The crossover batch per width (with the margin), and what was measured on a GPU: nothing without one."""
    dev = metrics_of(record)["devices"]
    margin = dev.get("margin")
    rule = (f"at least {100 * margin:.0f}% faster by the median of {dev.get('repeat', '?')} repeats, with "
            "separated quartiles, at that batch and every larger one" if margin is not None else
            "faster at that batch and every larger one (single timings)")
    parts = []
    for target, cross in dev["crossover"].items():
        per = ", ".join(f"width {w}: {'never within the batches tried' if b is None else f'from batch {b}'}"
                        for w, b in cross.items())
        parts.append(f"{target} against one CPU thread — {per}")
    gpu = ("A GPU was measured in this run." if dev["cuda"] else
           "No GPU was measured in this run: every GPU statement on this page is the general argument, not a "
           "measurement.")
    return f"Crossover ({rule}): " + "; ".join(parts) + ". " + gpu


@claim("ch7", "precision_floor")
def precision_floor(record) -> str:
    """float32 stops improving at a tolerance from which float64 still improves."""
    p = metrics_of(record)["precision"]
    f32, f64 = p["float32_floor_tol"], p["float64_floor_tol"]
    return require(f32 is not None and (f64 is None or f64 < f32),
                   "float32 stops improving from a tolerance of {f32:.0e}, where float64 still improves "
                   "(its own floor: {f64}).", f32=f32 if f32 is not None else float("nan"),
                   f64="none within the tolerances tried" if f64 is None else f"{f64:.0e}")


REFERENCE_KEYS = ("stiff_window", "stiff_cost", "stiff_tolerance", "reg_effect", "seminorm_effect", "devices",
                  "precision_floor", "gpu")


def reference_notes(record) -> dict[str, str]:
    """The page's sentences about the committed reference run: every claim (the build fails when one the page
    states outright no longer holds), prefixed with its seed count, and whether a GPU was measured."""
    from ..._claims import evaluate_claims  # this module is loaded: its claims are registered

    if record is None:
        return dict.fromkeys(REFERENCE_KEYS, "No reference run has been committed yet.")
    notes = evaluate_claims("ch7", record)
    n = (record.get("seeds") or {}).get("n", 1)
    notes["reg_effect"] = f"In the reference run ({n} seed(s), mean ± standard error): " + notes["reg_effect"]
    notes["seminorm_effect"] = f"In the reference run ({n} seed(s)): " + notes["seminorm_effect"]
    notes["gpu"] = ("its reference run measured one" if metrics_of(record)["devices"]["cuda"] else
                    "the committed reference run had none, so no GPU number on this page is a measurement")
    return notes
