"""How chapter 3 prints and draws the memory/time measurements, and the committed benchmark records."""

from __future__ import annotations

import json

from ... import results
from .memory import METHODS

HEADER = (f"{'RK4 steps':>9} | {'backprop':>19} | {'nodebook adjoint':>19} | {'torchdiffeq adjoint':>19} | "
          f"{'backprop/adjoint':>16} | {'time nb/tdq':>11}\n{'':>9} | "
          + " | ".join([f"{'MiB':>8} {'ms':>10}"] * 3) + f" | {'memory':>16} | {'':>11}")


def format_row(r: dict) -> str:
    """One line of the memory/time table, as the benchmark and the chapter print it."""
    cells = " | ".join(f"{r[f'{m}_mib']:>8.2f} {r[f'{m}_ms']:>10.1f}" for m in METHODS)
    return (f"{r['steps']:>9} | {cells} | {r['backprop_mib'] / r['nodebook_adjoint_mib']:>15.1f}x | "
            f"{r['nodebook_adjoint_ms'] / r['torchdiffeq_adjoint_ms']:>11.3f}")


def load_benchmark(kind: str) -> dict | None:
    """The committed ``results/adjoint_memory_<kind>.json`` (``kind``: ``"cpu"`` or ``"gpu"``), or None."""
    if kind not in ("cpu", "gpu"):
        raise ValueError(f"kind must be 'cpu' or 'gpu'; got {kind!r}")
    path = results.results_dir() / f"adjoint_memory_{kind}.json"
    return json.loads(path.read_text()) if path.exists() else None


def benchmark_label(record: dict) -> str:
    """Where a benchmark record came from: device, date, batch, threads, versions, commit."""
    p = record["problem"]
    return (f"{record['device_name']}, {record['date'][:10]}, batch {p['batch']}, {record['threads']} "
            f"thread(s), torch {record['torch']}, torchdiffeq {record['torchdiffeq']}, "
            f"commit {record['git_commit']}")


def memory_time_figure(rows: list[dict], device_name: str):
    """Bars of peak memory and time per method, with a kernel-free slider over the number of steps."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from ...plotting import trace_colors

    names = ["backprop", "nodebook<br>adjoint", "torchdiffeq<br>adjoint"]
    colors = trace_colors(["backprop", "adjoint", "torchdiffeq"])
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.14,
                        subplot_titles=("peak memory (MiB)", "time of one pass (ms)"))
    for col, unit in ((1, "mib"), (2, "ms")):
        fig.add_trace(go.Bar(x=names, y=[rows[0][f"{m}_{unit}"] for m in METHODS], marker_color=colors,
                             showlegend=False, texttemplate="%{y:.3~r}", textposition="outside",
                             hovertemplate="%{y:.3~r}<extra></extra>"), row=1, col=col)
        top = max(r[f"{m}_{unit}"] for r in rows for m in METHODS)
        fig.update_yaxes(range=[0, 1.2 * top], row=1, col=col)
    titles = [f"{r['steps']} RK4 steps: backprop keeps {r['backprop_mib']:.1f} MiB, "
              f"the adjoint {r['nodebook_adjoint_mib']:.1f} MiB" for r in rows]
    steps = [{"label": str(r["steps"]), "method": "update",
              "args": [{"y": [[r[f"{m}_mib"] for m in METHODS], [r[f"{m}_ms"] for m in METHODS]]},
                       {"title.text": title}, [0, 1]]} for r, title in zip(rows, titles, strict=True)]
    fig.update_layout(title={"text": titles[0]}, height=500, margin={"b": 150, "t": 90},
                      sliders=[{"active": 0, "steps": steps, "pad": {"t": 85},
                                "currentvalue": {"prefix": "RK4 steps = ", "visible": True}}],
                      annotations=[*fig.layout.annotations,
                                   {"text": f"measured on {device_name}", "showarrow": False, "x": 1,
                                    "xanchor": "right", "y": -0.3, "xref": "paper", "yref": "paper",
                                    "font": {"size": 11}}])
    fig.update_xaxes(tickangle=0, tickfont={"size": 12})
    return fig
