"""Chapter 4's Figure 3 analogue in the paper's four panels, from a tolerance scan and the NFE of training.

Chen et al.'s panels, with their letters: (a) numerical error of the ODE solution against the forward NFE,
(b) wall time against NFE, (c) backward against forward NFE, (d) NFE over training. The same function
draws the reference run (``results/ch4.json``) and the page's own quick run, so the two can be compared
panel by panel. Tolerances that land on the same point share one label, so labels never overprint.
"""

from __future__ import annotations

import numpy as np

from .reference import nfe_trend


def tolerance_labels(xs, ys, tols, *, rel: float = 0.06) -> list[tuple[float, float, str]]:
    """One label per cluster of points: tolerances whose points lie within ``rel`` of the axes' spans of each
    other (in x and in y, on the scale drawn) are named together, e.g. ``"1e-01, 3e-02"``.

    Returns:
        ``(x, y, text)`` per label, at the cluster's first point.
    """
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    span_x = np.ptp(xs) or 1.0
    span_y = np.ptp(ys) or 1.0
    groups: list[list[int]] = []
    for i in range(len(xs)):
        for g in groups:
            j = g[0]
            if abs(xs[i] - xs[j]) <= rel * span_x and abs(ys[i] - ys[j]) <= rel * span_y:
                g.append(i)
                break
        else:
            groups.append([i])
    return [(float(xs[g[0]]), float(ys[g[0]]), ", ".join(f"{tols[i]:.0e}" for i in g)) for g in groups]


def figure3(scan: list[dict], curve: dict, *, title: str):
    """The four panels of the paper's Figure 3 for one run.

    Args:
        scan: :func:`~nodebook.experiments.ch4.tolerance_scan` rows (older records without
            ``solution_error`` leave panel (a) with a note).
        curve: :func:`~nodebook.experiments.ch4.training_nfe` (``forward``, ``backward`` per step).
        title: the figure's title (say which run it is).
    """
    import matplotlib.pyplot as plt

    from ...plotting import PALETTE, method_color

    blue, orange, grey = method_color("dopri5"), PALETTE["orange"], "0.5"
    tols = [r["tol"] for r in scan]
    nfe_f = [r["nfe_forward"] for r in scan]
    fwd, bwd = [r["step_nfe_forward"] for r in scan], [r["step_nfe_backward"] for r in scan]
    # 8.5 in wide with constrained layout: at 12 in the panels shrank to thumbnails in the ~688 px column
    fig, axes = plt.subplots(2, 2, figsize=(8.5, 7.5), layout="constrained")
    (a, b), (c, d) = axes

    errors = [r.get("solution_error") for r in scan]
    if all(e is not None and e > 0 for e in errors):
        a.loglog(nfe_f, errors, "o-", color=blue)
        for x, y, text in tolerance_labels(np.log10(nfe_f), np.log10(errors), tols):
            a.annotate(text, (10 ** x, 10 ** y), textcoords="offset points", xytext=(5, 3), fontsize=7)
        ref = scan[0].get("ref_tol")
        a.set(xlabel="NFE of a forward pass", ylabel=f"relative error of z(T) (vs float64, tol {ref:.0e})")
    else:
        a.text(0.5, 0.5, "not measured in this run\n(its record predates the measurement)", ha="center",
               va="center", transform=a.transAxes, fontsize=9)
        a.set(xlabel="NFE of a forward pass", ylabel="relative error of z(T)")
    a.set_title("(a) numerical error against NFE")

    times = [r.get("time_ms") for r in scan]
    if all(t is not None for t in times):
        b.plot(nfe_f, times, "o-", color=blue)
        for x, y, text in tolerance_labels(nfe_f, times, tols):
            b.annotate(text, (x, y), textcoords="offset points", xytext=(5, -10), fontsize=7)
    else:
        b.text(0.5, 0.5, "not measured in this run", ha="center", va="center", transform=b.transAxes, fontsize=9)
    b.set(xlabel="NFE of a forward pass", ylabel="wall time of the forward solve (ms)", ylim=(0, None),
          title="(b) wall time against NFE (labels: tolerance)")

    pairs, counts = np.unique(np.array([curve["forward"], curve["backward"]]).T, axis=0, return_counts=True)
    c.scatter(pairs[:, 0], pairs[:, 1], s=10 + 4 * np.sqrt(counts), color=blue, alpha=0.6,
              label="training steps (size: how often)")
    c.scatter(fwd, bwd, marker="s", color=orange, label="trained model, one batch, by tolerance", zorder=3)
    top = 1.1 * max(pairs[:, 0].max(), max(fwd), max(bwd))
    for slope, style in ((1.0, ":"), (0.5, "--")):
        c.plot([0, top], [0, slope * top], style, color=grey, label=f"backward = {slope:g} × forward")
    c.set(xlabel="NFE forward", ylabel="NFE backward (adjoint)", xlim=(0, top), ylim=(0, None),
          title="(c) backward against forward NFE")
    c.legend(fontsize=7)

    steps = np.arange(1, len(curve["forward"]) + 1)
    w = nfe_trend(curve)["window"]
    for series, color, name in ((curve["forward"], blue, "forward"), (curve["backward"], orange, "backward")):
        d.plot(steps, series, ".", ms=2, alpha=0.3, color=color)
        if len(series) >= w:
            mean = np.convolve(series, np.ones(w) / w, mode="valid")
            d.plot(steps[w - 1:], mean, color=color, label=f"{name} NFE, mean of {w} steps")
    d.set(xlabel="training step", ylabel="NFE", ylim=(0, None), title="(d) NFE over training")
    d.legend(fontsize=7)
    for ax in axes.flat:
        ax.title.set_fontsize(10)
    fig.suptitle(title)
    return fig
