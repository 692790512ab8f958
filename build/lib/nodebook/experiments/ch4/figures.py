"""Chapter 4's Figure 3 analogue in four panels, from a tolerance scan and the NFE recorded during training.

The same function draws the reference run (``results/ch4.json``) and the page's own quick run, so the two
can be compared panel by panel. The error axis starts at 0, so the error's changes are seen at their size.
"""

from __future__ import annotations

import numpy as np

from .reference import nfe_trend


def figure3(scan: list[dict], curve: dict, *, title: str):
    """Four panels: (a) NFE against tolerance, (b) test error against forward NFE (axis from 0), (c) backward
    against forward NFE, (d) forward and backward NFE over training (each step, and a moving mean).

    Args:
        scan: :func:`~nodebook.experiments.ch4.tolerance_scan` rows.
        curve: :func:`~nodebook.experiments.ch4.training_nfe` (``forward``, ``backward`` per step).
        title: the figure's title (say which run it is).
    """
    import matplotlib.pyplot as plt

    from ...plotting import PALETTE, method_color

    blue, orange, grey = method_color("dopri5"), PALETTE["orange"], "0.5"
    tols = [r["tol"] for r in scan]
    fwd, bwd = [r["step_nfe_forward"] for r in scan], [r["step_nfe_backward"] for r in scan]
    # 8.5 in wide with constrained layout: at 12 in the panels shrank to thumbnails in the ~688 px column
    fig, axes = plt.subplots(2, 2, figsize=(8.5, 7.5), layout="constrained")
    (a, b), (c, d) = axes

    a.semilogx(tols, [r["nfe_forward"] for r in scan], "o-", color=blue, label="forward (test pass)")
    a.semilogx(tols, bwd, "s--", color=orange, label="backward (adjoint, one training step)")
    a.invert_xaxis()
    a.set(xlabel="tolerance rtol = atol (tighter to the right)", ylabel="NFE",
          title="(a) NFE grows as the tolerance tightens", ylim=(0, None))
    a.legend(fontsize=8)

    nfe_f = [r["nfe_forward"] for r in scan]
    errs = [r["test_error_pct"] for r in scan]
    b.plot(nfe_f, errs, "o-", color=blue)
    for r, x, y in zip(scan, nfe_f, errs, strict=True):
        b.annotate(f"{r['tol']:.0e}", (x, y), textcoords="offset points", xytext=(4, 6), fontsize=8)
    b.set(xlabel="NFE of a forward pass", ylabel="test error (%)", ylim=(0, max(max(errs) * 1.25, 1.0)),
          title="(b) test error against NFE (labels: tolerance)")

    pairs, counts = np.unique(np.array([curve["forward"], curve["backward"]]).T, axis=0, return_counts=True)
    c.scatter(pairs[:, 0], pairs[:, 1], s=10 + 4 * np.sqrt(counts), color=blue, alpha=0.6,
              label="training steps (size: how often)")
    c.scatter(fwd, bwd, marker="s", color=orange, label="trained model, by tolerance", zorder=3)
    top = 1.1 * max(pairs[:, 0].max(), max(fwd))
    for slope, style in ((1.0, ":"), (0.5, "--")):
        c.plot([0, top], [0, slope * top], style, color=grey, label=f"backward = {slope:g} × forward")
    c.set(xlabel="NFE forward", ylabel="NFE backward (adjoint)", xlim=(0, top), ylim=(0, None),
          title="(c) backward against forward NFE")
    c.legend(fontsize=8)

    steps = np.arange(1, len(curve["forward"]) + 1)
    w = nfe_trend(curve)["window"]
    for series, color, name in ((curve["forward"], blue, "forward"), (curve["backward"], orange, "backward")):
        d.plot(steps, series, ".", ms=2, alpha=0.3, color=color)
        if len(series) >= w:
            mean = np.convolve(series, np.ones(w) / w, mode="valid")
            d.plot(steps[w - 1:], mean, color=color, label=f"{name} NFE, mean of {w} steps")
    d.set(xlabel="training step", ylabel="NFE", ylim=(0, None), title="(d) NFE over training")
    d.legend(fontsize=8)
    for ax in axes.flat:
        ax.title.set_fontsize(10)
    fig.suptitle(title)
    return fig
