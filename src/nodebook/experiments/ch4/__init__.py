"""Chapter 4's experiments: ODE-Nets for classification (Chen et al.'s Table 1 and Figure 3, offline).

* :mod:`.table`: :func:`train_table` trains the 1-layer MLP, ResNet, RK-Net and ODE-Net alike and measures
  test error, parameters, peak memory and time per step;
* :mod:`.figure3`: :func:`tolerance_scan` and :func:`training_nfe`, the NFE measurements of Figure 3;
* :mod:`.augment`: :func:`crossing_map` (the 1-D map no flow can learn) and :func:`circles`;
* :mod:`.reference`: the committed reference run read back (Table 1 with baselines, goals, NFE trend);
* :mod:`.figures`: :func:`figure3`, the four Figure 3 panels for any run;
* :mod:`.mlp`: :func:`mlp_gap`, the MLP row against the published MLP and its recipe;
* :mod:`.claims`: every comparative sentence of the page, made from a record or refused.

:func:`run` is what ``python -m nodebook reproduce ch4`` saves; the ``check_*`` functions are the
self-checks of the chapter's exercises.
"""

from __future__ import annotations

from ...models import build_table1_model, count_parameters
from . import figure3
from .augment import FirstCoordinate, circles, crossing_map
from .figure3 import adjoint_state_size, initial_nfe, memory_vs_nfe, smoothness, tolerance_scan, training_nfe
from .figures import figure3 as figure3_panels
from .mlp import mlp_gap
from .reference import (
    GOAL_ACC,
    GOAL_GAP_POINTS,
    baselines,
    figure3_words,
    nfe_growth_words,
    nfe_trend,
    pct_stat,
    per_seed,
    reference_baselines,
    reference_goals,
    run_sizes,
    seeds_note,
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
    "DATASETS", "GOAL_ACC", "GOAL_GAP_POINTS", "LABELS", "MNIST1D_PUBLISHED", "PAPER_TABLE1", "adjoint_state_size",
    "baselines",
    "build_model", "check_odenet_params", "circles", "crossing_map", "dataset", "figure3", "figure3_panels",
    "figure3_words", "FirstCoordinate", "full_mode_columns", "initial_nfe", "memory_vs_nfe", "mlp_gap",
    "nfe_growth_words", "nfe_trend", "pct_stat", "per_seed", "quick_record", "reference_baselines",
    "reference_goals", "run", "run_sizes", "seeds_note", "smoothness", "table1_markdown", "tolerance_scan",
    "train_table", "training_nfe", "trend_words",
]


def run(cfg) -> dict:
    """Every experiment of the chapter, as saved by ``python -m nodebook reproduce ch4``."""
    trained = train_table(cfg, progress=True)  # a bar per model, with ETA (the command line's log)
    nfe_curve = training_nfe(trained)
    data = trained["data"]
    out = {
        "dataset": data.name, "n_train": len(data.x_train), "n_test": len(data.x_test), "models": trained["rows"],
        "baselines": baselines(data.y_train, data.y_test, data.n_classes),
        "tolerance_scan": tolerance_scan(cfg, trained), "training_nfe": nfe_curve,
        "initial_nfe": initial_nfe(cfg, tolerances=cfg.budget.get("tolerances")),
        "memory_vs_nfe": memory_vs_nfe(cfg, trained), "smoothness": smoothness(cfg),
        "adjoint_state": adjoint_state_size(trained["models"]["odenet"], cfg.budget["batch_size"]),
        "crossing_map": {k: {f: v[f] for f in ("final_loss", "outputs")} | {"nfe": v["nfe"][-1]}
                         for k, v in crossing_map(cfg).items()},
        "circles": circles(cfg)["rows"],
    }
    if cfg.budget.get("mlp_gap"):  # the published MLP's recipe, or a smaller one for tests (``mlp_gap_recipe``)
        out["mlp_gap"] = mlp_gap(cfg, recipe=cfg.budget.get("mlp_gap_recipe"))
    return out


def quick_record(trained: dict, **measured) -> dict:
    """A page's own run in the shape :func:`run` saves, for :func:`nodebook.claims.evaluate`: ``models`` from
    ``trained["rows"]`` plus what the page measured (``tolerance_scan=…``, ``training_nfe=…``, ``circles=…``
    (its ``rows``), ``crossing_map=…`` (as :func:`crossing_map` returns it), ``memory_vs_nfe=…``,
    ``smoothness=…``)."""
    m = {"models": trained["rows"], **measured}
    if "crossing_map" in m:
        m["crossing_map"] = {k: {"final_loss": v["final_loss"], "outputs": v["outputs"],
                                 "nfe": v["nfe"][-1] if isinstance(v["nfe"], list) else v["nfe"]}
                             for k, v in m["crossing_map"].items()}
    return {"metrics": m, "mode": "quick"}


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
