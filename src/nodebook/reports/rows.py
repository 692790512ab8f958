"""One small function per chapter: the reference numbers of its ``results/<chapter>.json`` next to the papers'.

Each ``rows_chN(metrics)`` takes a record's ``metrics`` (the chapter's ``run()`` return value, as saved) and
returns :class:`Row` s. They read keys with ``.get`` so that a record from an older or a newer ``run()``
still gives what it can; :func:`chapter_rows` turns anything else into one row saying what was missing.
Paper numbers come from the experiment modules (transcribed in ``shared/paper-numbers.md``).
"""

from __future__ import annotations

from collections.abc import Callable

from .._tables import Row, num, pct
from ._missing import dotted, nan_to_none, null_paths, without
from ._rows_ch56 import rows_ch5, rows_ch6


def rows_ch1(m: dict) -> list[Row]:
    order = m.get("order") or {}
    rows = [Row("convergence order, Euler / midpoint / RK4 (fitted slope)",
                " / ".join("–" if order.get(k) is None else f"{order[k]:.2f}" for k in ("euler", "midpoint", "rk4")),
                "theory: 1 / 2 / 4", "rabbits problem, fixed steps",
                keys=tuple(f"order.{k}" for k in ("euler", "midpoint", "rk4")), digits=4)]
    d5 = (m.get("torchdiffeq") or {}).get("dopri5")
    if d5:
        rows.append(Row(f"dopri5 NFE at tolerance {d5['tol']:.0e}, nodebook / torchdiffeq",
                        f"{d5['nfe_nodebook']} / {d5['nfe_torchdiffeq']}", "torchdiffeq 0.2.5 (run here)",
                        "same problem and tolerance; torchdiffeq weighs the error estimate differently and never "
                        "shrinks the step after an accepted one",
                        keys=("torchdiffeq.dopri5.nfe_nodebook", "torchdiffeq.dopri5.nfe_torchdiffeq")))
    return rows


CH2_PROTOCOL = ("a finite sample of our 2-D circles, hidden 32, augment 1 (theirs: augment 5); "
                "the ODE-Nets at tolerance 1e-3")


def rows_ch2(m: dict) -> list[Row]:
    rows = []
    lim = m.get("euler_limit") or {}
    if "order" in lim:
        rows.append(Row("ResNet → ODE: gap shrinks with the number of blocks, fitted order", f"{lim['order']:.2f}",
                        "theory: 1 (Euler)", "2-D data, blocks sharing one function", keys=("euler_limit.order",),
                        digits=4))
    models = m.get("models") or {}
    if models:
        names = [k for k in ("resnet", "odenet", "anode") if k in models]
        labels = {"resnet": "ResNet", "odenet": "ODE-Net", "anode": "augmented ODE-Net"}
        who = " / ".join(labels[k] for k in names)
        rows.append(Row(f"concentric circles, test accuracy: {who}",
                        " / ".join(pct(models[k].get("test_acc")) for k in names),
                        "Dupont et al.: no plain ODE-Net maps the full disk and ring apart; a finite sample with "
                        "a gap can be fitted, at a cost (no table)", CH2_PROTOCOL,
                        keys=tuple(f"models.{k}.test_acc" for k in names), scale=100, digits=4, unit="%"))
        # what separates the models when all three classify every test point: the loss and the cost
        rows.append(Row(f"concentric circles, final training loss: {who}",
                        " / ".join(num(models[k].get("final_loss"), 2) for k in names),
                        "Dupont et al.: augmented models reach lower losses (figures, no table)", CH2_PROTOCOL,
                        keys=tuple(f"models.{k}.final_loss" for k in names), digits=2))
        same = all("test_nfe" in models[k] for k in names)  # on the same data (older records: last batch)
        key, where = ("test_nfe", "on the test set (one pass)") if same else ("evals", "on the last training batch")
        rows.append(Row(f"concentric circles, evaluations of f {where}: {who}",
                        " / ".join(num(models[k].get(key)) for k in names),
                        "Dupont et al.: plain ODE-Nets need more function evaluations (figures, no table)",
                        CH2_PROTOCOL + "; ResNet: its number of blocks",
                        keys=tuple(f"models.{k}.{key}" for k in names)))
    return rows


def rows_ch3(m: dict) -> list[Row]:
    from ..experiments.ch3.reference import (
        REFERENCE_GROWTH_GOAL,
        REFERENCE_RATIO_GOAL,
        TORCHDIFFEQ_H100,
        reference_goals,
    )

    g, mt, tdq = reference_goals(m), m["memory_time"], TORCHDIFFEQ_H100
    last = mt["rows"][-1]
    threads = mt.get("threads")
    proto = (f"CPU profiler bytes, batch {mt.get('batch')}, {threads} CPU thread{'' if threads == 1 else 's'} "
             f"(the torchdiffeq column: GPU allocator peak, batch {tdq['batch']}, one H100)")
    bp = tdq["backprop_mib"]
    src = tdq["source"]
    rows = [
        Row(f"backprop ÷ adjoint peak memory at {g['steps'][1]} RK4 steps (goal ≥ {REFERENCE_RATIO_GOAL:g}×)",
            f"{num(g['ratio']['value'])}× ({'met' if g['ratio']['met'] else 'missed'})",
            f"torchdiffeq, measured for this project on one H100 ({src}): {bp[1000]} ÷ {tdq['adjoint_mib']} MiB "
            f"≈ {bp[1000] / tdq['adjoint_mib']:.0f}× at 1000 steps", proto),
        Row(f"adjoint memory, {g['steps'][1]} ÷ {g['steps'][0]} steps (goal ≤ {REFERENCE_GROWTH_GOAL:g})",
            f"{num(g['growth']['value'], 4)} ({'met' if g['growth']['met'] else 'missed'})",
            f"Chen et al.: O(1); torchdiffeq ({src}): {tdq['adjoint_mib']} MiB at {', '.join(map(str, bp))} steps",
            proto),
        Row(f"adjoint ÷ backprop time at {last['steps']} steps", num(last["nodebook_adjoint_ms"] / last["backprop_ms"]),
            f"torchdiffeq on one H100 ({src}): about {tdq['adjoint_slower']}×", proto),
    ]
    nfe = m.get("nfe") or []
    if nfe:
        r = nfe[0]
        rows.append(Row(f"dopri5 NFE forward / backward at tolerance {r['tol']:.0e}",
                        f"{r['nodebook_adjoint_forward_nfe']} / {r['nodebook_adjoint_backward_nfe']} "
                        f"(torchdiffeq's default: {r['torchdiffeq_adjoint_forward_nfe']} / "
                        f"{r['torchdiffeq_adjoint_backward_nfe']}; with its seminorm: "
                        f"{r['torchdiffeq_seminorm_forward_nfe']} / {r['torchdiffeq_seminorm_backward_nfe']})",
                        "Chen et al.: backward ≈ ½ forward; torchdiffeq with the seminorm on one H100 "
                        f"({src}): " + "{} / {} at 1e-3".format(*tdq["dopri5_nfe_1e-3"]),
                        "untrained MLP dynamics, not a trained ODE-Net"))
    order = (m.get("gradient_agreement") or {}).get("order")
    if order is not None:
        rows.append(Row("adjoint vs backprop gradient gap, fitted order in the step", f"{order:.2f}",
                        "theory: 4 (RK4)", "float64, loss on three times", keys=("gradient_agreement.order",),
                        digits=4))
    return rows


def rows_ch4(m: dict) -> list[Row]:
    from ..experiments.ch4.reference import nfe_trend, reference_baselines
    from ..experiments.ch4.table import LABELS, PAPER_TABLE1

    proto = f"{m.get('dataset', '?')} ({m.get('n_train')} / {m.get('n_test')} sequences), not MNIST"
    rows = []
    for name, label in LABELS.items():
        r, p = (m.get("models") or {}).get(name), PAPER_TABLE1[name]
        if r:
            rows.append(Row(f"{label}: test accuracy (parameters)", f"{pct(r['test_acc'])} ({r['params']:,})",
                            f"{100 - p['test_error_pct']:.2f}% ({p['params_m']:.2f} M), MNIST", proto,
                            keys=(f"models.{name}.test_acc",), scale=100, digits=4, unit="%"))
    base = reference_baselines(m)
    if base:
        rows.append(Row("trivial baselines: chance / majority class", f"{pct(base['chance'])} / "
                        f"{pct(base['majority'])}", "–", proto))
    curve = m.get("training_nfe")
    if curve and curve.get("forward"):
        t = nfe_trend(curve)
        rows.append(Row("ODE-Net backward ÷ forward NFE over training", num(curve.get("ratio")),
                        "Chen et al. Fig. 3c (backward vs forward NFE): about ½", "softplus dynamics (theirs: ReLU)",
                        keys=("training_nfe.ratio",)))
        rows.append(Row(f"ODE-Net forward NFE, first → last {t['window']} training steps",
                        f"{num(t['forward_first'])} → {num(t['forward_last'])}",
                        "Chen et al. Fig. 3d (NFE over training): grows", "weight decay and one-cycle schedule"))
    scan = m.get("tolerance_scan") or []
    if scan:
        errs = [r["test_error_pct"] for r in scan]
        rows.append(Row(f"tolerance {scan[0]['tol']:.0e} → {scan[-1]['tol']:.0e}: forward NFE, test error",
                        f"{scan[0]['nfe_forward']} → {scan[-1]['nfe_forward']} NFE; "
                        f"{min(errs):.1f}–{max(errs):.1f}% error",
                        "not a panel of Chen et al.'s Fig. 3 (3a: solution error vs NFE)", proto))
    return rows


ROWS: dict[str, Callable[[dict], list[Row]]] = {
    "ch1": rows_ch1, "ch2": rows_ch2, "ch3": rows_ch3, "ch4": rows_ch4, "ch5": rows_ch5, "ch6": rows_ch6,
}


_READ_ERRORS = (KeyError, TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError)


def chapter_rows(chapter: str, metrics: dict) -> list[Row]:
    """``ROWS[chapter](metrics)``. A null or NaN metric does not hide the chapter: when the rows cannot be
    made with it, the entries holding it are left out (the value, then its record, then its table, until the
    rows can be made) and one row names what was missing; a record that still cannot be read gives one row
    that says what went wrong."""
    fn = ROWS.get(chapter)
    if fn is None:
        return []
    clean = nan_to_none(metrics)
    nans = [p for p in null_paths(clean) if p not in set(null_paths(metrics))]
    nulls = null_paths(clean)
    depth = max((len(p) for p in nulls), default=0)
    for level in range(depth + 1):  # level 0: as recorded; then cut each null at depth - level + 1
        cut = {p[:max(len(p) - level + 1, 1)] for p in nulls} if level else set()
        try:
            rows = fn(without(clean, cut))
        except _READ_ERRORS as err:
            if level == 0:
                first = err
            continue
        missing = sorted({dotted(p) for p in nans} | ({dotted(p) for p in nulls} if level else set()))
        if missing:
            rows.append(Row("(missing in this record: shown as – or left out above)", ", ".join(missing), "–",
                            "null or NaN in the results file; re-run the reproduce command"))
        return rows
    return [Row("(this record could not be read)", f"{type(first).__name__}: {first}", "–",
                "re-run the reproduce command with the current code")]
