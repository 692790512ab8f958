"""Chapter 4's reference run (``results/ch4.json``) read back: Table 1 with its baselines, the goals, and NFE trends.

The goals the reference run is sized for (issue 12): the ODE-Net at 94% test accuracy or better on
MNIST-1D (the published CNN's), within one point of our ResNet, with fewer parameters than it.
"""

from __future__ import annotations

import numpy as np
import torch

from ... import results
from ...reports._format import markdown_table, num, pct
from .table import LABELS, MNIST1D_PUBLISHED, PAPER_TABLE1

GOAL_ACC = MNIST1D_PUBLISHED["CNN"]
GOAL_GAP_POINTS = 1.0


def baselines(y_train: torch.Tensor, y_test: torch.Tensor, n_classes: int) -> dict:
    """Trivial classifiers' test accuracy: ``chance`` (uniform guess, ``1 / n_classes``) and ``majority`` (always
    the most frequent training class, ``majority_class``)."""
    counts = torch.bincount(y_train.cpu(), minlength=n_classes)
    k = int(counts.argmax())
    return {"chance": 1.0 / n_classes, "majority": float((y_test.cpu() == k).float().mean()), "majority_class": k}


def reference_baselines(metrics: dict) -> dict | None:
    """A record's ``baselines``; for an older MNIST-1D record without them, computed from the same data set."""
    if metrics.get("baselines"):
        return metrics["baselines"]
    if metrics.get("dataset") != "mnist1d":
        return None
    from ...data import load_mnist1d

    data = load_mnist1d()
    return baselines(data.y_train[:metrics.get("n_train")], data.y_test[:metrics.get("n_test")], data.n_classes)


def reference_goals(metrics: dict) -> dict:
    """ODE-Net accuracy, its gap to the ResNet (points) and the parameter counts, each with goal and verdict."""
    ode, res = metrics["models"]["odenet"], metrics["models"]["resnet"]
    gap = 100 * (res["test_acc"] - ode["test_acc"])
    return {"accuracy": {"value": ode["test_acc"], "goal": GOAL_ACC, "met": ode["test_acc"] >= GOAL_ACC},
            "gap_points": {"value": gap, "goal": GOAL_GAP_POINTS, "met": gap <= GOAL_GAP_POINTS},
            "params": {"value": ode["params"], "resnet": res["params"], "met": ode["params"] < res["params"]}}


def nfe_trend(curve: dict, window: int | None = None) -> dict:
    """Forward and backward NFE at the start and end of training (means over ``window`` steps, default a
    fifteenth of the run), their ratio, and whether the forward NFE grew."""
    fwd, bwd = np.asarray(curve["forward"], float), np.asarray(curve["backward"], float)
    w = window or max(10, len(fwd) // 15)
    out = {"window": w, "steps": len(fwd), "forward_first": float(fwd[:w].mean()),
           "forward_last": float(fwd[-w:].mean()), "backward_first": float(bwd[:w].mean()),
           "backward_last": float(bwd[-w:].mean()), "forward_max": float(fwd.max()),
           "ratio": curve.get("ratio")}
    out["grew"] = out["forward_last"] > out["forward_first"]
    return out


def table1_markdown(record: dict | None, quick: dict | None = None) -> str:
    """Table 1 with the reference run, this page's quick run (``quick``: ``train_table``'s ``rows``), the
    trivial baselines and the paper, as Markdown; one line instead when there is no reference run."""
    if record is None:
        return results.missing_note("ch4")
    m = record["metrics"]
    header = ["model", "reference: test accuracy", "parameters", "ms / step", "peak MiB / step"]
    header += ["this page (quick): test accuracy"] if quick else []
    header += ["paper (MNIST): test error", "paper: parameters"]
    rows = []
    for name, label in LABELS.items():
        r, p = m["models"].get(name), PAPER_TABLE1[name]
        cells = [label, pct(r["test_acc"]), f"{r['params']:,}", num(r["ms_per_step"]), num(r["memory_mib"])] \
            if r else [label, "–", "–", "–", "–"]
        cells += [pct((quick or {}).get(name, {}).get("test_acc"))] if quick else []
        rows.append(cells + [f"{p['test_error_pct']:.2f}%", f"{p['params_m']:.2f} M"])
    base = reference_baselines(m)
    if base:
        blank = ["–"] * (3 + bool(quick))
        rows.append(["chance (uniform guess)", pct(base["chance"]), *blank, "–", "–"])
        rows.append([f"majority class ({base['majority_class']})", pct(base["majority"]), *blank, "–", "–"])
    rows.append(["published CNN on MNIST-1D", pct(MNIST1D_PUBLISHED["CNN"]), *["–"] * (3 + bool(quick)), "–", "–"])
    return markdown_table(header, rows)
