"""Plotly figures for the static book: a slider over precomputed steps, and line/log-log comparisons.

A slider step of method ``"update"`` carries its own data, so moving it works in the built HTML page
without a kernel. Every array is stored as a plain list of floats so the figure's JSON (and the book
renderer's div id) is the same on every run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from ..measure import fit_order
from .fields import _to_numpy
from .style import trace_colors


def _vec(a: Any, what: str) -> list[float]:
    arr = _to_numpy(a).astype(float)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be 1-D; got shape {tuple(arr.shape)}")
    return arr.tolist()


def _padded_range(values: list[list[float]]) -> list[float] | None:
    flat = np.concatenate([np.asarray(v, float) for v in values]) if values else np.array([])
    flat = flat[np.isfinite(flat)]
    if flat.size == 0:
        return None
    lo, hi = float(flat.min()), float(flat.max())
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(lo), 1.0) * 0.05
    return [lo - pad, hi + pad]


def _check_steps(x: Any, steps: Sequence[Sequence[Any]], xs: Sequence[Sequence[Any]] | None,
                 n_traces: int) -> tuple[list[list[list[float]]], list[list[list[float]]]]:
    """``steps`` and ``xs`` as nested lists of floats, ``[step][trace] -> values``, checked for shape."""
    if x is None and xs is None:
        raise ValueError("x is None and xs is not given; expected x-values for the traces")
    x_shared = None if x is None else _vec(x, "x")
    ys_all, xs_all = [], []
    for k, step in enumerate(steps):
        if len(step) != n_traces:
            raise ValueError(f"steps[{k}] has {len(step)} traces; expected {n_traces} (one per trace_names)")
        if xs is not None and len(xs[k]) != n_traces:
            raise ValueError(f"xs[{k}] has {len(xs[k])} arrays; expected {n_traces} (one per trace_names)")
        row_y = [_vec(y, f"steps[{k}][{j}]") for j, y in enumerate(step)]
        if xs is None:
            row_x = [x_shared] * n_traces
        else:
            row_x = [_vec(a, f"xs[{k}][{j}]") for j, a in enumerate(xs[k])]
        for j, (xa, ya) in enumerate(zip(row_x, row_y, strict=True)):
            if len(xa) != len(ya):
                src = f"xs[{k}][{j}]" if xs is not None else "x"
                raise ValueError(f"steps[{k}][{j}] has {len(ya)} points; expected {len(xa)} (len of {src})")
        ys_all.append(row_y)
        xs_all.append(row_x)
    return ys_all, xs_all


def slider_figure(x: Any, steps: Sequence[Sequence[Any]], *, trace_names: Sequence[str],
                  step_labels: Sequence[str], slider_label: str = "",
                  xs: Sequence[Sequence[Any]] | None = None,
                  static_traces: Sequence[Mapping[str, Any] | go.Scatter] | None = None,
                  titles: Sequence[str] | None = None, title: str | None = None, xaxis_title: str = "",
                  yaxis_title: str = "", active: int = 0, mode: str = "lines+markers",
                  yrange: Sequence[float] | None = None, height: int = 460) -> go.Figure:
    """A figure whose slider swaps precomputed curves: the kernel-free interactive figure of a chapter.

    Args:
        x: x-values shared by every trace and step, shaped ``(N,)``, unless ``xs`` gives them per step.
        steps: one entry per slider position; ``steps[k][j]`` is the y-array of trace ``j`` at position
            ``k`` (numpy, torch or list).
        trace_names: legend names of the traces that change; a method name gets its house colour.
        step_labels: the slider's label at each position (``len(steps)`` of them).
        slider_label: text before the current value, e.g. ``"step size h (years) = "``.
        xs: optional per-step x-arrays, ``xs[k][j]`` for trace ``j`` at position ``k``, when the x-grid
            changes with the step (e.g. Euler's own grid).
        static_traces: traces that stay fixed (e.g. the exact solution): ``go.Scatter`` objects or dicts
            of its arguments (``{"x": ..., "y": ..., "name": "exact"}``), drawn as dashed lines by default.
        titles: optional title per step (``len(steps)`` of them), e.g. stating the error at that step.
        title: the title when ``titles`` is not given.
        xaxis_title, yaxis_title: axis titles with units.
        active: the slider position shown first.
        mode: plotly mode of the changing traces.
        yrange: fixed y-axis range; by default the range of all steps, so the axes do not jump.
        height: figure height in pixels.

    Returns:
        The figure; its ``layout.sliders[0].steps[k].args`` is ``[{"y": [...], ("x": [...])},
        {"title.text": ...}, trace_indices]``, updating only the changing traces.

    Raises:
        ValueError: the numbers of steps, traces, labels or titles disagree, or an x- and y-array differ
            in length; the message names the offending entry.
    """
    names, n_steps = list(trace_names), len(steps)
    if n_steps == 0:
        raise ValueError("steps is empty; expected one list of y-arrays per slider position")
    if len(step_labels) != n_steps:
        raise ValueError(f"got {len(step_labels)} step_labels for {n_steps} steps; expected one per step")
    if titles is not None and len(titles) != n_steps:
        raise ValueError(f"got {len(titles)} titles for {n_steps} steps; expected one per step")
    if xs is not None and len(xs) != n_steps:
        raise ValueError(f"xs has {len(xs)} entries for {n_steps} steps; expected one per step")
    if not 0 <= active < n_steps:
        raise ValueError(f"active must be in [0, {n_steps - 1}]; got {active}")
    ys_all, xs_all = _check_steps(x, steps, xs, len(names))
    static = list(static_traces or [])
    static_names = [tr.name if isinstance(tr, go.Scatter) else tr.get("name", "") for tr in static]
    colors = trace_colors(names + [n or "" for n in static_names])  # one palette for the whole figure
    fig = go.Figure()
    for j, name in enumerate(names):
        fig.add_trace(go.Scatter(x=xs_all[active][j], y=ys_all[active][j], name=name, mode=mode,
                                 line={"color": colors[j]}, marker={"color": colors[j]}))
    fixed_y = []
    for i, tr in enumerate(static):
        if not isinstance(tr, go.Scatter):
            if "x" not in tr or "y" not in tr:
                raise ValueError(f"static_traces[{i}] needs 'x' and 'y'; got keys {sorted(tr)}")
            style = {"mode": "lines", "line": {"color": colors[len(names) + i], "dash": "dash"}}
            tr = go.Scatter(**{**style, **tr, "x": _vec(tr["x"], f"static_traces[{i}]['x']"),
                                 "y": _vec(tr["y"], f"static_traces[{i}]['y']")})
        fig.add_trace(tr)
        fixed_y.append(_to_numpy(tr.y if tr.y is not None else []).astype(float).tolist())

    dynamic = list(range(len(names)))
    slider_steps = []
    for k in range(n_steps):
        data = {"y": ys_all[k]}
        if xs is not None:
            data["x"] = xs_all[k]
        layout = {"title.text": titles[k]} if titles is not None else {}  # "title" would blank it
        slider_steps.append({"label": str(step_labels[k]), "method": "update",
                             "args": [data, layout, dynamic]})
    if yrange is None:
        y_range = _padded_range([y for row in ys_all for y in row] + fixed_y)
    else:
        y_range = [float(v) for v in yrange]
    fig.update_layout(
        title={"text": titles[active] if titles is not None else (title or "")},
        xaxis_title=xaxis_title, yaxis={"title": {"text": yaxis_title}, "range": y_range},
        height=height, margin={"b": 120},
        sliders=[{"active": active, "steps": slider_steps, "pad": {"t": 60},
                  "currentvalue": {"prefix": slider_label, "visible": True}}],
    )
    return fig


def line_figure(x: Any, ys: Mapping[str, Any], *, xaxis_title: str = "", yaxis_title: str = "",
                title: str = "", log_x: bool = False, log_y: bool = False, mode: str = "lines",
                height: int = 420) -> go.Figure:
    """Several named curves over a shared ``x``, in house colours (a method name gets its colour).

    Args:
        x: shared x-values, shaped ``(N,)``.
        ys: legend name -> y-values shaped ``(N,)``; drawn in insertion order.
        xaxis_title, yaxis_title: axis titles with units.
        title: the figure title (state the finding).
        log_x, log_y: logarithmic axes.
        mode: plotly trace mode, e.g. ``"lines+markers"``.
        height: figure height in pixels.

    Raises:
        ValueError: ``ys`` is empty or a curve's length differs from ``x``'s.
    """
    if not ys:
        raise ValueError("ys is empty; expected a mapping of legend name -> y-values")
    xv = _vec(x, "x")
    fig = go.Figure()
    for (name, y), color in zip(ys.items(), trace_colors(ys), strict=True):
        yv = _vec(y, f"ys[{name!r}]")
        if len(yv) != len(xv):
            raise ValueError(f"ys[{name!r}] has {len(yv)} points; expected {len(xv)} (the length of x)")
        fig.add_trace(go.Scatter(x=xv, y=yv, name=str(name), mode=mode, line={"color": color},
                                 marker={"color": color}))
    fig.update_layout(title={"text": title}, xaxis_title=xaxis_title, yaxis_title=yaxis_title, height=height,
                      xaxis_type="log" if log_x else "linear", yaxis_type="log" if log_y else "linear")
    return fig


def loglog_figure(x: Any, ys: Mapping[str, Any], *, slopes: Mapping[str, float] | bool | None = None,
                  xaxis_title: str = "", yaxis_title: str = "", title: str = "",
                  height: int = 420) -> go.Figure:
    """Error (or cost) against step size on log-log axes, with each curve's slope in the legend.

    Args:
        x: shared x-values (e.g. step sizes), shaped ``(N,)``, positive.
        ys: legend name -> y-values shaped ``(N,)``, e.g. ``{"euler": errors, "rk4": errors}``.
        slopes: fitted slopes to show as ``"rk4 (slope 4.01)"``: a mapping name -> slope (e.g. orders
            fitted on the asymptotic range), ``True`` to fit each curve over all its positive points,
            or ``None`` for plain names.
        xaxis_title, yaxis_title, title, height: as for :func:`line_figure`.

    Raises:
        ValueError: as :func:`line_figure`, or ``slopes`` lacks one of the curves.
    """
    if slopes is True:
        slopes = {name: fit_order(_vec(x, "x"), _vec(y, f"ys[{name!r}]"), floor=0.0, finest=None)
                  for name, y in ys.items()}
    if slopes:
        missing = [name for name in ys if name not in slopes]
        if missing:
            raise ValueError(f"slopes has no entry for {missing}; expected one per curve in ys")
    fig = line_figure(x, ys, xaxis_title=xaxis_title, yaxis_title=yaxis_title, title=title, log_x=True,
                      log_y=True, mode="lines+markers", height=height)
    if slopes:
        for tr in fig.data:
            tr.name = f"{tr.name} (slope {slopes[tr.name]:.2f})"
    fig.update_traces(hovertemplate="%{x:.3g}, %{y:.3g}")
    return fig


def join_paths(paths: Sequence[Sequence[Sequence[float]]]) -> tuple[list[float], list[float]]:
    """Many 2-D paths as one plotly trace: their ``(x, y)`` points, with a gap (NaN) after each path.

    Args:
        paths: each path a sequence of ``(x, y)`` points.

    Returns:
        ``(xs, ys)`` for one ``go.Scatter`` (or one slider step) drawing every path.
    """
    xs: list[float] = []
    ys: list[float] = []
    for i, path in enumerate(paths):
        for point in path:
            if len(point) != 2:
                raise ValueError(f"paths[{i}] must hold (x, y) points; got a point of length {len(point)}")
            xs.append(float(point[0]))
            ys.append(float(point[1]))
        xs.append(float("nan"))
        ys.append(float("nan"))
    return xs, ys
