"""Chapter 5's reference run as the chapter shows it: tables (Markdown) and figures from ``results/ch5.json``.

* :func:`reference`: the committed record and its checksummed arrays (``None, None`` when there is none);
* :func:`kl_table`, :func:`toy_table`, :func:`protocol_table`: Markdown tables (:func:`cell`: mean ± se), baselines as
  columns/rows (the base ``N(0, I)`` for the KL fits, one fitted Gaussian for the toy densities);
* :func:`kl_figure`, :func:`toy_figure`: matplotlib figures drawn from the saved arrays.

Every function takes a record's ``metrics`` (or arrays) as saved, so a quick run's numbers can be shown the
same way as the reference run's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..._claims import as_record
from ..._tables import mean_se
from ...flows import toy_entropy
from ...results import load_arrays, load_results
from ...seeds import Stat, metrics_of, stat, stat_of
from ._common import LIM

MISSING = ("No reference run of Chapter 5 is committed yet (`results/ch5.json`; "
           "`python -m nodebook reproduce ch5 --mode full` makes it).")
_PAPER = {
    "kl": "Chen et al., Fig. 4: a CNF of width M fits at least as well as a planar flow of depth K = M "
          "(shown as pictures; no numbers to compare)",
    "toy": "FFJORD, Fig. 2: samples and densities of the toy sets (shown as pictures; no NLL reported)",
}


def reference(directory: Path | None = None) -> tuple[dict | None, dict | None]:
    """``(record, arrays)`` of the committed full-mode run; ``(None, None)`` if there is none.

    Raises:
        ValueError: the arrays file is missing or does not match the checksum in the record.
    """
    record = load_results("ch5", "full", directory)
    if record is None:
        return None, None
    return record, load_arrays(record, directory)


def _num(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def cell(s: Stat, digits: int = 3) -> str:
    """``"0.663"`` for one seed, ``"0.663 ± 0.012"`` for several (standard error of the mean)."""
    return mean_se(s, digits)


def _seeds_note(record) -> str:
    n = seeds_of(record)
    return f"mean ± standard error over {n} seeds" if n > 1 else "one seed"


def _mean(record, dotted: str) -> float | None:
    """The mean over seeds of an entry, ``None`` where the record does not have it."""
    try:
        return stat(record, dotted).mean
    except KeyError:
        return None


def seeds_of(record) -> int:
    """How many seeds a record (or a quick run's metrics) holds."""
    seeds = as_record(record).get("seeds")
    return int(seeds.get("n", 1)) if isinstance(seeds, dict) else 1


def kl_table(record: dict) -> str:
    """``KL(q‖p)`` in nats per target (rows) and model (columns), the base ``N(0, I)`` as first column; a
    record with seeds shows mean ± standard error. ``record``: a results record or a run's metrics."""
    record = as_record(record)
    rows = metrics_of(record)["planar_vs_cnf"]
    base = metrics_of(record).get("kl_base", {})
    idx = {(r["target"], r["kind"], r["size"]): i for i, r in enumerate(rows)}
    planar = sorted({r["size"] for r in rows if r["kind"] == "planar"})
    cnf = sorted({r["size"] for r in rows if r["kind"] == "cnf"})

    def kl(key) -> str:
        return cell(stat(record, f"planar_vs_cnf.{idx[key]}.kl"), 2) if key in idx else "–"

    head = ["target", "base N(0, I) (no flow)", *(f"planar K = {k}" for k in planar), *(f"CNF M = {m}" for m in cnf)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for target in dict.fromkeys(r["target"] for r in rows):
        cells = [_num(base.get(target), 2), *(kl((target, "planar", k)) for k in planar),
                 *(kl((target, "cnf", m)) for m in cnf)]
        lines.append(f"| {target} | " + " | ".join(cells) + " |")
    lines.append(f"| *paper* | {_PAPER['kl']} |" + " |" * (len(head) - 2))
    return "\n".join(lines) + f"\n\nKL in nats ({_seeds_note(record)}); 0 is a perfect fit."


def toy_table(record: dict) -> str:
    """Per toy density: test NLL against the optimum (its entropy by quadrature, :func:`toy_entropy`) and
    against one fitted Gaussian, the mass of the learned density on the plotting grid (about 1), NFE, steps
    and training time; a record with seeds shows mean ± standard error. ``record``: a results record or a
    run's metrics."""
    record = as_record(record)
    head = ("| density | CNF test NLL (nats) | optimum (entropy) | CNF − optimum | one Gaussian (baseline) "
            "| mass on the grid | NFE first → last step | steps | training (s) |\n" + "|---" * 9 + "|")
    lines = [head]
    for name, r in metrics_of(record)["toys"].items():
        nll = stat(record, f"toys.{name}.test_nll")
        opt = toy_entropy(name)
        gap = "–" if opt is None else cell(stat_of(v - opt for v in nll.values))
        nfe = [_mean(record, f"toys.{name}.nfe_{k}") for k in ("first", "last")]
        secs = _mean(record, f"toys.{name}.seconds")
        lines.append(f"| {name} | {cell(nll)} | {_num(opt) if opt is not None else '– (no closed form)'} | {gap} | "
                     f"{_num(_mean(record, f'toys.{name}.gaussian_nll'))} | {_num(_mean(record, f'toys.{name}.mass'))}"
                     f" | {_num(nfe[0], 0)} → {_num(nfe[1], 0)} | {r.get('steps', '–')} | {_num(secs, 0)} |")
    lines.append(f"| *paper* | {_PAPER['toy']} |" + " |" * 7)
    return "\n".join(lines) + (f"\n\nTest NLL and its gap to the optimum: {_seeds_note(record)}; the other "
                               "columns are means.")


def _sci(x: float) -> str:
    return f"{x:.0e}".replace("e-0", "e-")


def protocol_table(budget: dict) -> str:
    """How a budget's toy training differs from FFJORD's published recipe (``train_toy.py`` defaults)."""
    steps = budget["toy_steps"]
    steps = (f"{steps} steps" if not isinstance(steps, dict) else
             "steps per density: " + ", ".join(f"{k} {v}" for k, v in steps.items()))
    lr = f"Adam {_sci(budget['toy_lr'])}" + (f" → {_sci(budget['toy_lr_final'])} (cosine)"
                                              if budget.get("toy_lr_final") else "") + ", no weight decay"
    rows = [
        ("dynamics", "64-64-64 concat-squash, tanh", "-".join(map(str, budget["toy_hidden"])) + " concat-squash, tanh"),
        ("end time T", "0.5, trained with the flow", f"{budget['toy_t1']}, fixed"),
        ("solver in training", "dopri5, rtol = atol = 1e-5", f"dopri5, rtol = atol = {_sci(budget['toy_tol'])}"),
        ("solver for the test NLL", "dopri5, 1e-5", f"dopri5, {_sci(budget['eval_tol'])}"),
        ("trace", "exact (brute force, the default)", "exact (two backward passes in 2-D)"),
        ("training", "10 000 iterations, batch 100", f"{steps}; batch {budget['toy_batch']}"),
        ("optimiser", "Adam 1e-3, weight decay 1e-5", lr),
        ("data", "a fresh batch from the sampler each iteration",
         f"a fixed set of {budget['n_train']} samples; test NLL on {budget['n_test']} others"),
        ("seeds", "samples and densities shown as pictures, no NLL or seeds reported",
         "3 seeds (`reproduce ch5 --seeds 3`), mean ± standard error in the tables"),
    ]
    lines = ["| | FFJORD's toy recipe | this budget |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def kl_figure(arrays: dict, metrics: dict):
    """Per target, a grid of two rows: the target and the planar flows of depth K on top, the CNFs of width M
    below (KL in each title), drawn from the saved histograms. A grid, not a strip, so every panel stays
    legible in a page column."""
    import matplotlib.pyplot as plt

    rows = metrics["planar_vs_cnf"]
    targets = list(dict.fromkeys(r["target"] for r in rows))
    kl = {(r["target"], r["kind"], r["size"]): r["kl"] for r in rows}
    sizes = {kind: [r["size"] for r in rows if r["target"] == targets[0] and r["kind"] == kind]
             for kind in ("planar", "cnf")}
    n_cols = 1 + max(len(sizes["planar"]), len(sizes["cnf"]))
    fig, axes = plt.subplots(2 * len(targets), n_cols, squeeze=False,
                             figsize=(1.9 * n_cols, 2.0 * 2 * len(targets)), layout="constrained")
    ext = [-LIM, LIM, -LIM, LIM]
    for i, target in enumerate(targets):
        top, bottom = axes[2 * i], axes[2 * i + 1]
        top[0].imshow(arrays[f"kl/{target}/target"], origin="lower", extent=ext, cmap="viridis")
        top[0].set_title(f"target: {target}", fontsize=9)
        bottom[0].set_axis_off()
        for row, kind in ((top, "planar"), (bottom, "cnf")):
            for j in range(len(sizes[kind]) + 1, n_cols):
                row[j].set_axis_off()
            for ax, size in zip(row[1:], sizes[kind], strict=False):  # columns past the sizes stay blank
                ax.imshow(arrays[f"kl/{target}/{kind}{size}/hist"], origin="lower", extent=ext, cmap="viridis")
                name = "planar K" if kind == "planar" else "CNF M"
                ax.set_title(f"{name} = {size}\nKL {kl[(target, kind, size)]:.2f}", fontsize=9)
        for ax in (*top, *bottom):
            ax.set_xticks([]), ax.set_yticks([])
    return fig


def toy_figure(arrays: dict, metrics: dict, per_row: int = 2):
    """Per toy density, CNF samples and the learned density at ``T`` side by side, ``per_row`` densities to a
    row (a grid, not a strip), from the saved arrays."""
    import matplotlib.pyplot as plt

    names = list(metrics["toys"])
    n_rows = -(-len(names) // per_row)
    fig, axes = plt.subplots(n_rows, 2 * per_row, squeeze=False, figsize=(2.0 * 2 * per_row, 2.2 * n_rows),
                             layout="constrained")
    ext = [-LIM, LIM, -LIM, LIM]
    for ax in axes.flat:
        ax.set_axis_off()
    for k, name in enumerate(names):
        ax_s, ax_d = axes[k // per_row, 2 * (k % per_row)], axes[k // per_row, 2 * (k % per_row) + 1]
        x = arrays[f"toy/{name}/samples"]
        ax_s.hist2d(x[:, 0], x[:, 1], bins=60, range=[[-LIM, LIM]] * 2, cmap="viridis")
        ax_d.imshow(np.asarray(arrays[f"toy/{name}/density"])[-1], origin="lower", extent=ext, cmap="viridis")
        r = metrics["toys"][name]
        ax_s.set_title(f"{name}: samples\nNLL {r['test_nll']:.2f}", fontsize=9)
        ax_d.set_title(f"{name}: density", fontsize=9)
        for ax in (ax_s, ax_d):
            ax.set_axis_on()
            ax.set(xticks=[], yticks=[], aspect="equal")
    return fig
