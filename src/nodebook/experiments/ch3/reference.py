"""Chapter 3's reference run (``results/ch3.json``) read back: its goals and the numbers the chapter leads with.

The goals are the ones the reference run is sized for (issue 12): at batch 128 on the 2-core CPU,
backprop's peak memory at 1000 RK4 steps at least 200 times the adjoint's, and the adjoint's memory flat
(at most 1.1 times as much at 1000 steps as at 10). ``memory.goals`` keeps the looser per-device goals of
the benchmark; these are read from the rows, so any record can be judged against them.
"""

from __future__ import annotations

from ... import results
from .report import HEADER, format_row

REFERENCE_RATIO_GOAL = 200.0
REFERENCE_GROWTH_GOAL = 1.1
TORCHDIFFEQ_H100 = {
    # Measured for this project with torchdiffeq 0.2.5 on one H100 (torchdiffeq publishes no such benchmark):
    # GPU allocator peak (torch.cuda.max_memory_allocated) of one RK4 pass at batch 1024, MiB by steps; dopri5
    # forward/backward NFE at rtol 1e-3 with torchdiffeq's seminorm. The committed record is ``source``.
    "batch": 1024, "backprop_mib": {10: 94, 100: 904, 1000: 9005}, "adjoint_mib": 17, "adjoint_slower": 2,
    "dopri5_nfe_1e-3": (14, 14), "source": "results/torchdiffeq_h100.json",
    "quantity": "GPU allocator peak (torch.cuda.max_memory_allocated), batch 1024",
    "label": "measured for this project with torchdiffeq on one H100, GPU allocator peak, batch 1024",
}
GPU_VARIANT = "--set batch=1024 --set threads=0"
"""The paper-scale variant (torchdiffeq's H100 numbers are at batch 1024): all threads, or a GPU."""


def reference_goals(metrics: dict) -> dict:
    """The reference goals measured on a ``ch3`` record's ``memory_time`` rows.

    Returns:
        ``ratio`` (backprop / adjoint peak memory at the largest step count) and ``growth`` (adjoint memory
        at the largest step count / at the smallest), each ``{"value", "goal", "met"}``, plus ``steps``
        (first, last) and ``batch``.
    """
    mt = metrics["memory_time"]
    first, last = mt["rows"][0], mt["rows"][-1]
    ratio = last["backprop_mib"] / last["nodebook_adjoint_mib"]
    growth = last["nodebook_adjoint_mib"] / first["nodebook_adjoint_mib"]
    return {"ratio": {"value": ratio, "goal": REFERENCE_RATIO_GOAL, "met": ratio >= REFERENCE_RATIO_GOAL},
            "growth": {"value": growth, "goal": REFERENCE_GROWTH_GOAL, "met": growth <= REFERENCE_GROWTH_GOAL},
            "steps": (first["steps"], last["steps"]), "batch": mt.get("batch")}


def reference_summary(record: dict | None) -> dict | None:
    """The numbers the chapter glues from the reference run (``None`` when there is none).

    Keys: ``run`` (provenance sentence), ``device``, ``batch``, ``threads``, ``steps_first``/``steps_last``,
    ``bp_first``/``bp_last``/``adj_first``/``adj_last`` (MiB), ``ratio``, ``growth``, ``ratio_met``,
    ``growth_met``, ``slower`` (adjoint time / backprop time at the most steps), ``vs_tdq`` (nodebook's
    adjoint time / torchdiffeq's), ``nfe_loose``/``nfe_tight`` (dopri5 forward/backward NFE rows), ``order``
    (the adjoint-vs-backprop gap's fitted order), ``table`` (the memory/time table as text).
    """
    if record is None:
        return None
    m = record["metrics"]
    mt, goals = m["memory_time"], reference_goals(m)
    first, last = mt["rows"][0], mt["rows"][-1]
    out = {"run": results.run_line(record, "ch3"), "device": mt.get("device_name", record.get("device_name")),
           "batch": mt.get("batch"), "threads": mt.get("threads"), "steps_first": first["steps"],
           "steps_last": last["steps"], "bp_first": first["backprop_mib"], "bp_last": last["backprop_mib"],
           "adj_first": first["nodebook_adjoint_mib"], "adj_last": last["nodebook_adjoint_mib"],
           "ratio": goals["ratio"]["value"], "growth": goals["growth"]["value"],
           "ratio_met": goals["ratio"]["met"], "growth_met": goals["growth"]["met"],
           "slower": last["nodebook_adjoint_ms"] / last["backprop_ms"],
           "vs_tdq": last["nodebook_adjoint_ms"] / last["torchdiffeq_adjoint_ms"],
           "table": "\n".join([HEADER, *(format_row(r) for r in mt["rows"])]), "rows": mt["rows"]}
    nfe = m.get("nfe") or []
    out["nfe_loose"], out["nfe_tight"] = (nfe[0], nfe[-1]) if nfe else (None, None)
    out["order"] = (m.get("gradient_agreement") or {}).get("order")
    return out


def goal_words(met: bool) -> str:
    """``"met"`` or ``"missed"``: how the chapter says it."""
    return "met" if met else "missed"


def memory_steps_figure(reference_rows: list[dict] | None, quick_rows: list[dict] | None = None, *,
                        reference_label: str = "reference run", quick_label: str = "this page"):
    """Peak memory and time against RK4 steps, backprop and the adjoint, on log-log axes: the reference run
    (solid) and this page's quick run (dashed, its own batch), either one optional."""
    import matplotlib.pyplot as plt

    from ...plotting import trace_colors

    colors = dict(zip(("backprop", "nodebook_adjoint"), trace_colors(["backprop", "adjoint"]), strict=True))
    names = {"backprop": "backprop", "nodebook_adjoint": "adjoint"}
    # stacked, not side by side: a 12 in strip shrinks to thumbnails in the ~688 px page column
    fig, axes = plt.subplots(2, 1, figsize=(8, 7.5), sharex=True, layout="constrained")
    for rows, style, label in ((reference_rows, "o-", reference_label), (quick_rows, "s--", quick_label)):
        if not rows:
            continue
        steps = [r["steps"] for r in rows]
        for method, name in names.items():
            for ax, unit in zip(axes, ("mib", "ms"), strict=True):
                ax.loglog(steps, [r[f"{method}_{unit}"] for r in rows], style, color=colors[method],
                          label=f"{name}, {label}")
    axes[0].set(ylabel="peak memory of one pass (MiB)",
                title="Backprop's memory grows with the steps; the adjoint's is flat")
    axes[1].set(xlabel="RK4 steps", ylabel="time of one pass (ms)", title="Both take time in proportion to the steps")
    axes[0].legend(fontsize=8)
    return fig
