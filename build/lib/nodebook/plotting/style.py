"""The house look: one palette, one matplotlib style and one plotly template for every chapter.

The palette is Okabe and Ito's, chosen to stay distinguishable under the common colour-vision
deficiencies. Each solver method has a fixed colour (:func:`method_color`), so "RK4 is blue" holds in
every figure of the book, matplotlib or plotly.
"""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib as mpl
import plotly.graph_objects as go
import plotly.io as pio
from cycler import cycler

from ._plotly import register_renderer

#: Okabe–Ito colours, in the order figures use them (yellow, faint on white, comes last but one).
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}

#: The colour of each solver method (and of the exact solution) in every chapter.
METHOD_COLORS: dict[str, str] = {
    "exact": PALETTE["black"],
    "euler": PALETTE["vermillion"],
    "midpoint": PALETTE["orange"],
    "rk4": PALETTE["blue"],
    "rk38": PALETTE["sky"],
    "dopri5": PALETTE["green"],
    "torchdiffeq": PALETTE["purple"],
}

#: Light grey for context (slope fields, phase portraits) that should sit behind the data.
FIELD_COLOR = "#9a9a9a"

FONT_FAMILY = "DejaVu Sans, Verdana, Arial, sans-serif"
TEMPLATE = "nodebook"


def method_color(name: str) -> str:
    """The house colour of a solver method, e.g. ``method_color("rk4") == PALETTE["blue"]``.

    Args:
        name: a method name as ``odeint`` takes it, or ``"exact"`` / ``"torchdiffeq"``; case and
            surrounding spaces are ignored.

    Returns:
        A ``#rrggbb`` colour string.

    Raises:
        ValueError: ``name`` is not one of :data:`METHOD_COLORS`.
    """
    key = str(name).strip().lower()
    if key not in METHOD_COLORS:
        raise ValueError(f"no colour for method {name!r}; expected one of {', '.join(METHOD_COLORS)}")
    return METHOD_COLORS[key]


def trace_colors(names: Iterable[str]) -> list[str]:
    """One colour per name: a method's house colour where the name is a method, else unused palette colours.

    Used by the figure helpers so that a legend entry "rk4" is always blue and other entries (say
    "largest error" and "NFE") get distinct colours that do not clash with the methods in the same figure.
    """
    names = list(names)
    keys = [str(n).strip().lower() for n in names]
    taken = {METHOD_COLORS[k] for k in keys if k in METHOD_COLORS}
    free = [c for c in PALETTE.values() if c not in taken] or list(PALETTE.values())
    out, i = [], 0
    for k in keys:
        if k in METHOD_COLORS:
            out.append(METHOD_COLORS[k])
        else:
            out.append(free[i % len(free)])
            i += 1
    return out


def _rc_params() -> dict:
    return {
        # Sized for the web book: a 7 x 4 inch figure is 840 px wide, sharp at the page's content width.
        "figure.figsize": (7.0, 4.0),
        "figure.dpi": 120,
        "savefig.dpi": 150,
        "figure.constrained_layout.use": True,
        "figure.facecolor": "white",
        "font.family": "sans-serif",
        "font.sans-serif": [f.strip() for f in FONT_FAMILY.split(",")[:-1]],
        "font.size": 11,
        "axes.titlesize": 12,
        "axes.labelsize": 11,
        "xtick.labelsize": 10,
        "ytick.labelsize": 10,
        "legend.fontsize": 10,
        "legend.frameon": False,
        "axes.prop_cycle": cycler(color=list(PALETTE.values())),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "axes.axisbelow": True,
        "grid.color": "#e0e0e0",
        "grid.linewidth": 0.8,
        "lines.linewidth": 2.0,
        "lines.markersize": 5,
        "image.cmap": "viridis",
    }


def _plotly_template() -> go.layout.Template:
    axis = {"showgrid": True, "gridcolor": "#e0e0e0", "showline": True, "linecolor": "#444444",
            "ticks": "outside", "zeroline": False, "automargin": True, "title": {"standoff": 10},
            "exponentformat": "power"}  # 10⁻⁶, not plotly's SI "1µ", on error axes
    return go.layout.Template(layout={
        "colorway": list(PALETTE.values()),
        "font": {"family": FONT_FAMILY, "size": 14, "color": "#222222"},
        "title": {"font": {"size": 16}, "x": 0.05, "xanchor": "left"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "xaxis": axis,
        "yaxis": axis,
        "legend": {"bgcolor": "rgba(255,255,255,0)", "borderwidth": 0},
        "hovermode": "closest",
        "margin": {"l": 70, "r": 20, "t": 60, "b": 60},
    })


def use_style(renderer: bool = True) -> None:
    """Apply the house style to matplotlib and plotly (idempotent; ``import nodebook.plotting`` calls it).

    Sets matplotlib's rcParams (sizes, grid, no top/right spines, constrained layout, the palette as the
    colour cycle, web dpi), registers the plotly template ``"nodebook"`` and makes it the default, and,
    with ``renderer=True``, makes the book's plotly renderer (:func:`register_renderer`) the default.
    """
    mpl.rcParams.update(_rc_params())
    pio.templates[TEMPLATE] = _plotly_template()
    pio.templates.default = TEMPLATE
    if renderer:
        register_renderer(default=True)
