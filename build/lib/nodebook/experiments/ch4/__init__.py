"""Chapter 4's experiments: ODE-Nets for classification (Chen et al.'s Table 1 and Figure 3, offline).

* :mod:`.table`: :func:`train_table` trains the 1-layer MLP, ResNet, RK-Net and ODE-Net alike and measures
  test error, parameters, peak memory and time per step;
* :mod:`.figure3`: :func:`tolerance_scan` and :func:`training_nfe`, the NFE measurements of Figure 3;
* :mod:`.augment`: :func:`crossing_map` (the 1-D map no flow can learn) and :func:`circles`;
* :mod:`.reference`: the committed reference run read back (Table 1 with baselines, goals, NFE trend);
* :mod:`.figures`: :func:`figure3`, the four Figure 3 panels for any run.

:func:`run` is what ``python -m nodebook reproduce ch4`` saves; the ``check_*`` functions are the
self-checks of the chapter's exercises.
"""

from __future__ import annotations

from ...models import build_table1_model, count_parameters
from . import figure3
from .augment import FirstCoordinate, circles, crossing_map
from .figure3 import initial_nfe, memory_vs_nfe, smoothness, tolerance_scan, training_nfe
from .figures import figure3 as figure3_panels
from .reference import (
    GOAL_ACC,
    GOAL_GAP_POINTS,
    baselines,
    figure3_words,
    goal_words,
    nfe_growth_words,
    nfe_trend,
    reference_baselines,
    reference_goals,
    table1_markdown,
    trend_words,
)
from .table import (
    DATASETS,
    LABELS,
    MNIST1D_PUBLISHED,
    PAPER_TABLE1,
    build_model,
    dataset,
    full_mode_columns,
    train_table,
)

__all__ = [
    "DATASETS", "GOAL_ACC", "GOAL_GAP_POINTS", "LABELS", "MNIST1D_PUBLISHED", "PAPER_TABLE1", "baselines",
    "build_model", "check_odenet_params", "circles", "crossing_map", "dataset", "figure3", "figure3_panels",
    "figure3_words", "FirstCoordinate", "full_mode_columns", "goal_words", "initial_nfe", "memory_vs_nfe",
    "nfe_growth_words", "nfe_trend", "reference_baselines", "reference_goals", "run", "smoothness",
    "table1_markdown", "tolerance_scan", "train_table", "training_nfe", "trend_words",
]


def run(cfg) -> dict:
    """Every experiment of the chapter, as saved by ``python -m nodebook reproduce ch4``."""
    trained = train_table(cfg, progress=True)  # a bar per model, with ETA (the command line's log)
    nfe_curve = training_nfe(trained)
    data = trained["data"]
    return {
        "dataset": data.name, "n_train": len(data.x_train), "n_test": len(data.x_test), "models": trained["rows"],
        "baselines": baselines(data.y_train, data.y_test, data.n_classes),
        "tolerance_scan": tolerance_scan(cfg, trained), "training_nfe": nfe_curve,
        "initial_nfe": initial_nfe(cfg, tolerances=cfg.budget.get("tolerances")),
        "memory_vs_nfe": memory_vs_nfe(cfg, trained), "smoothness": smoothness(cfg),
        "crossing_map": {k: {f: v[f] for f in ("final_loss", "outputs")} | {"nfe": v["nfe"][-1]}
                         for k, v in crossing_map(cfg).items()},
        "circles": circles(cfg)["rows"],
    }


def check_odenet_params(n: int, channels: int = 16, length: int = 40, n_classes: int = 10) -> int:
    """Self-check: ``n`` is the parameter count of the chapter's ODE-Net (flattening head) for sequences of
    ``length`` with ``channels`` channels. Prints ✓ and the parts and returns the count; a wrong ``n`` raises
    :class:`~nodebook.grading.CheckFailed` (an ``AssertionError``) saying too many or too few, never the count."""
    from ...grading._verdict import CheckFailed, as_number

    model = build_table1_model("odenet", in_shape=(length,), channels=channels, n_classes=n_classes, pool=False)
    exact = count_parameters(model)
    got = as_number(n, "the parameter count")
    if got != exact:
        direction = "too many" if got > exact else "too few"
        raise CheckFailed(
            f"{got:.0f} parameters for C = {channels} is {direction}. Hint: count stem, dynamics and head "
            "separately (a conv has c_in·c_out·k weights and c_out biases, a GroupNorm 2·C, and the ODE "
            "function's convolutions see one extra input channel for t).")
    parts = {p: count_parameters(getattr(model, p)) for p in ("stem", "body", "head")}
    print(f"✓ {exact} parameters (" + ", ".join(f"{k} {v}" for k, v in parts.items()) + ")")
    return exact
