"""Matplotlib pictures of an ODE's right-hand side: slope fields, phase portraits, and solution curves.

Right-hand sides follow the solvers' convention, ``func(t, y)`` with a 0-d tensor ``t`` and a batch of
states ``y`` shaped ``(batch, dim)``, so a chapter passes ``problem.func`` (or its own network) unchanged.
The grid is evaluated in float64.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from .style import FIELD_COLOR

Func = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _to_numpy(a: Any) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy()
    return np.asarray(a)


def _check_range(name: str, r: Sequence[float]) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in r)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high) of numbers; got {r!r}") from None
    if not lo < hi:
        raise ValueError(f"{name} must be (low, high) with low < high; got ({lo:g}, {hi:g})")
    return lo, hi


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n (grid points per axis) must be an int >= 2; got {n!r}")
    return n


def _call(func: Func, t: float, y: np.ndarray) -> np.ndarray:
    out = _to_numpy(func(torch.tensor(t, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)))
    if out.shape != y.shape:
        raise ValueError(f"func(t, y) returned shape {tuple(out.shape)}; expected {tuple(y.shape)}, "
                         "the shape of the batch of states y it was given")
    return out.astype(np.float64)


def _label(ax: Axes, xlabel: str | None, ylabel: str | None) -> None:
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)


def slope_field(ax: Axes, func: Func, t_range: Sequence[float], y_range: Sequence[float], *, n: int = 21,
                length: float = 0.7, color: str = FIELD_COLOR, xlabel: str | None = None,
                ylabel: str | None = None, **kw: Any) -> LineCollection:
    """Draw the slope field of a scalar ODE ``y' = f(t, y)`` as short segments of equal on-screen length.

    Args:
        ax: the axes to draw on; its limits are set to ``t_range`` and ``y_range``.
        func: ``func(t, y)`` with ``t`` a 0-d tensor and ``y`` shaped ``(n, 1)`` (one column of the
            grid), returning the slopes shaped ``(n, 1)``, as the solvers call it.
        t_range: ``(t_min, t_max)``, the horizontal extent.
        y_range: ``(y_min, y_max)``, the vertical extent.
        n: grid points per axis (an ``n x n`` grid).
        length: segment length as a fraction of the grid spacing.
        color: segment colour (light grey, so solutions drawn on top stand out).
        xlabel, ylabel: axis labels with units, e.g. ``"time t (years)"``; left alone if ``None``.
        **kw: passed to :class:`~matplotlib.collections.LineCollection` (e.g. ``linewidth``).

    Returns:
        The collection of segments; ``segments[i]`` is centred on a grid point and its slope in data
        units is ``f`` there (a vertical segment where ``f`` is infinite; no segment where it is NaN).

    Raises:
        ValueError: a range is not ``(low, high)`` with ``low < high``, ``n < 2``, or ``func`` returns
            the wrong shape.
    """
    t0, t1 = _check_range("t_range", t_range)
    y0, y1 = _check_range("y_range", y_range)
    n = _check_n(n)
    ts, ys = np.linspace(t0, t1, n), np.linspace(y0, y1, n)
    slopes = np.stack([_call(func, t, ys[:, None])[:, 0] for t in ts])  # (n_t, n_y)

    # Equal length on screen, not in data units: scale by the axes' size in inches per data unit.
    fig_w, fig_h = ax.figure.get_size_inches()
    box = ax.get_position()
    sx, sy = box.width * fig_w / (t1 - t0), box.height * fig_h / (y1 - y0)
    angle = np.arctan2(slopes * sy, sx)  # in screen space; +-inf slopes give vertical segments
    half = 0.5 * length * min(box.width * fig_w, box.height * fig_h) / (n - 1)
    dt, dy = half * np.cos(angle) / sx, half * np.sin(angle) / sy
    T, Y = np.meshgrid(ts, ys, indexing="ij")
    segs = np.stack([np.stack([T - dt, Y - dy], -1), np.stack([T + dt, Y + dy], -1)], -2).reshape(-1, 2, 2)
    segs = segs[np.isfinite(segs).all(axis=(1, 2))]

    lines = LineCollection(segs, colors=color, linewidths=kw.pop("linewidth", 1.0), zorder=0, **kw)
    ax.add_collection(lines)
    ax.set_xlim(t0, t1)
    ax.set_ylim(y0, y1)
    _label(ax, xlabel, ylabel)
    return lines


def phase_portrait(ax: Axes, func: Func, x_range: Sequence[float], y_range: Sequence[float], *, n: int = 25,
                   kind: str = "stream", t: float = 0.0, color: str = FIELD_COLOR, xlabel: str | None = None,
                   ylabel: str | None = None, **kw: Any) -> Any:
    """Draw the vector field of a 2-D autonomous system ``(x, y)' = f(t, (x, y))`` at a fixed time.

    Args:
        ax: the axes to draw on; its limits are set to the two ranges.
        func: ``func(t, z)`` with ``t`` a 0-d tensor and ``z`` shaped ``(n*n, 2)`` (all grid points as a
            batch), returning the velocities shaped ``(n*n, 2)``.
        x_range, y_range: ``(low, high)`` extents of the first and second state component.
        n: grid points per axis.
        kind: ``"stream"`` (streamlines, :meth:`~matplotlib.axes.Axes.streamplot`) or ``"quiver"`` (arrows
            of equal length showing direction only, pointing along the trajectories in data units).
        t: the time at which the field is evaluated (for a non-autonomous ``func``).
        color: line or arrow colour.
        xlabel, ylabel: axis labels with units; left alone if ``None``.
        **kw: passed to ``streamplot`` or ``quiver``.

    Returns:
        The ``StreamplotSet`` or ``Quiver`` matplotlib returns.

    Raises:
        ValueError: bad ranges or ``n``, an unknown ``kind``, or ``func`` returns the wrong shape.
    """
    x0, x1 = _check_range("x_range", x_range)
    y0, y1 = _check_range("y_range", y_range)
    n = _check_n(n)
    if kind not in ("stream", "quiver"):
        raise ValueError(f"kind must be 'stream' or 'quiver'; got {kind!r}")
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))  # (n_y, n_x), as matplotlib wants
    v = _call(func, t, np.stack([X.ravel(), Y.ravel()], -1))
    U, V = v[:, 0].reshape(X.shape), v[:, 1].reshape(X.shape)
    if kind == "stream":
        kw.setdefault("density", 1.2)
        kw.setdefault("linewidth", 1.0)
        art = ax.streamplot(X, Y, U, V, color=color, **kw)
    else:
        speed = np.hypot(U, V)
        safe = np.where(speed > 0, speed, 1.0)  # equilibria keep a zero (invisible) arrow
        art = ax.quiver(X, Y, U / safe, V / safe, angles="xy", pivot="mid", color=color, **kw)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    _label(ax, xlabel, ylabel)
    return art


def plot_solution(ax: Axes, t: Any, ys: Any, *, label: str | Sequence[str] | None = None,
                  color: str | None = None, xlabel: str | None = None, ylabel: str | None = None,
                  **kw: Any) -> list[Line2D]:
    """Plot a solution ``ys`` against ``t``; torch tensors (any device, with grad) or array-likes.

    Args:
        ax: the axes to draw on.
        t: times, shaped ``(T,)``.
        ys: states shaped ``(T,)``, ``(T, dim)`` or ``(T, *batch, dim)`` (``odeint``'s output); one line
            per trailing component.
        label: legend label (one for all lines), or one label per line.
        color: line colour, e.g. ``method_color("rk4")``; the colour cycle if ``None``.
        xlabel, ylabel: axis labels with units; left alone if ``None``.
        **kw: passed to :meth:`~matplotlib.axes.Axes.plot` (``marker``, ``linestyle``, ...).

    Returns:
        The lines drawn.

    Raises:
        ValueError: ``t`` is not 1-D, or ``ys`` does not have ``len(t)`` rows.
    """
    t_np, y_np = _to_numpy(t), _to_numpy(ys)
    if t_np.ndim != 1:
        raise ValueError(f"t must be 1-D, shaped (T,); got shape {tuple(t_np.shape)}")
    if y_np.ndim == 0 or y_np.shape[0] != t_np.shape[0]:
        raise ValueError(f"ys must be shaped (len(t), ...) = ({t_np.shape[0]}, ...); got {tuple(y_np.shape)}")
    y_np = y_np.reshape(len(t_np), -1)
    if isinstance(label, str) or label is None:
        labels = [label] + [None] * (y_np.shape[1] - 1)  # one legend entry for the whole solution
    else:
        labels = list(label)
        if len(labels) != y_np.shape[1]:
            raise ValueError(f"got {len(labels)} labels for {y_np.shape[1]} lines; expected one per line")
    if color is not None:
        kw["color"] = color
    lines = [ax.plot(t_np, y_np[:, j], label=lab, **kw)[0] for j, lab in enumerate(labels)]
    _label(ax, xlabel, ylabel)
    return lines
