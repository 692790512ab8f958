"""A plotly figure of a density and samples evolving over time, with precomputed slider frames.

It plays in the static book: every frame's heatmap and points are stored in the slider's steps, so no
kernel is needed to move through time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ..plotting import PALETTE


def density_frames_figure(axis: np.ndarray, densities: Sequence[np.ndarray], samples: Sequence[np.ndarray],
                          times: Sequence[float], *, title: str = "", height: int = 640) -> go.Figure:
    """A heatmap of the density and a scatter of samples at each time, one slider step per time.

    The legend sits centred below the plot and the slider below the legend, so the square plot keeps the
    page column's width.

    Args:
        axis: ``(n,)`` grid coordinates (the same on both axes).
        densities: per time, ``(n, n)`` density values (rows = y).
        samples: per time, ``(m, 2)`` points.
        times: the times, labelling the slider.
        title: the figure's title; ``"{t}"`` in it is replaced by each frame's time.

    Raises:
        ValueError: the three sequences differ in length, or a density is not ``(n, n)``.
    """
    n_frames, n = len(times), len(axis)
    if not (len(densities) == len(samples) == n_frames) or n_frames == 0:
        raise ValueError(f"expected one density and one sample set per time; got {len(densities)} densities, "
                         f"{len(samples)} sample sets and {n_frames} times")
    for k, d in enumerate(densities):
        if np.shape(d) != (n, n):
            raise ValueError(f"densities[{k}] must be shaped ({n}, {n}) like the grid; got {np.shape(d)}")
    axis = np.asarray(axis, dtype=float).tolist()
    zs = [np.asarray(d, dtype=float).round(5).tolist() for d in densities]
    pts = [np.asarray(s, dtype=float).round(4) for s in samples]
    zmax = float(max(np.max(d) for d in densities))

    def label(k: int) -> str:
        return title.replace("{t}", f"{times[k]:.2f}")

    fig = go.Figure()
    fig.add_trace(go.Heatmap(x=axis, y=axis, z=zs[0], colorscale="Viridis", zmin=0, zmax=zmax,
                             colorbar={"title": {"text": "density"}}, name="density"))
    fig.add_trace(go.Scatter(x=pts[0][:, 0].tolist(), y=pts[0][:, 1].tolist(), mode="markers", name="samples",
                             marker={"size": 3, "color": PALETTE["orange"], "opacity": 0.6}))
    steps = [{"label": f"{times[k]:.2f}", "method": "update",
              "args": [{"z": [zs[k], None], "x": [axis, pts[k][:, 0].tolist()], "y": [axis, pts[k][:, 1].tolist()]},
                       {"title.text": label(k)}, [0, 1]]} for k in range(n_frames)]
    lim = [axis[0], axis[-1]]
    fig.update_layout(title={"text": label(0)}, height=height, margin={"b": 210}, showlegend=True,
                      xaxis={"title": {"text": "x₁"}, "range": lim},
                      yaxis={"title": {"text": "x₂"}, "range": lim, "scaleanchor": "x", "scaleratio": 1},
                      legend={"orientation": "h", "x": 0.5, "xanchor": "center", "y": -0.2, "yanchor": "top"},
                      sliders=[{"active": 0, "steps": steps, "pad": {"t": 100},
                                "currentvalue": {"prefix": "time t = ", "visible": True}}])
    return fig
