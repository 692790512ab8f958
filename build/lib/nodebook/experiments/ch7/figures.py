"""Chapter 7's plotly figures, drawn the same way from a quick run and from the committed reference run."""

from __future__ import annotations

import plotly.graph_objects as go

from ...plotting import trace_colors


def reg_figure(reg: dict, *, title: str) -> go.Figure:
    """NFE of one density solve over training, one curve per penalty weight λ (``regularisation``'s output)."""
    runs = reg["runs"]
    fig = go.Figure()
    for r, color in zip(runs, trace_colors([f"run {i}" for i in range(len(runs))]), strict=True):
        fig.add_trace(go.Scatter(x=r["eval_step"], y=r["eval_nfe"], mode="lines+markers", line={"color": color},
                                 name=f"lambda = {r['lam']:g} (test NLL {r['test_nll']:.3f})"))
    fig.update_layout(title={"text": title}, xaxis_title="training step", yaxis_title="NFE per density solve",
                      yaxis_rangemode="tozero", height=420)
    return fig


def devices_figure(dev: dict, *, title: str) -> go.Figure:
    """Milliseconds per RK4 step against batch size, one curve per target, a slider over the MLP width."""
    widths = sorted({r["width"] for r in dev["rows"]})
    targets = dev["targets"]
    fig = go.Figure()
    for k, w in enumerate(widths):
        for target, color in zip(targets, trace_colors(targets), strict=True):
            rows = [r for r in dev["rows"] if r["width"] == w and r["target"] == target]
            fig.add_trace(go.Scatter(x=[r["batch"] for r in rows], y=[1e3 * r["seconds"] for r in rows],
                                     name=target, mode="lines+markers", visible=k == len(widths) - 1,
                                     line={"color": color}))
    n = len(targets)
    steps = [{"label": str(w), "method": "update",
              "args": [{"visible": [j // n == k for j in range(n * len(widths))]}]} for k, w in enumerate(widths)]
    fig.update_layout(
        title={"text": title}, height=460, margin={"b": 120},
        xaxis={"title": {"text": "batch size"}, "type": "log"},
        yaxis={"title": {"text": "milliseconds per RK4 step"}, "type": "log"},
        sliders=[{"active": len(widths) - 1, "currentvalue": {"prefix": "MLP width = "}, "pad": {"t": 60},
                  "steps": steps}])
    return fig
