"""Plotting: one house style for matplotlib and plotly, and plotly figures that work in the static book.

``nodebook.setup()`` applies the house style (:func:`use_style`): matplotlib rcParams, the plotly
template ``"nodebook"`` and the book's plotly renderer become the defaults, so every chapter looks alike.
Importing this package changes nothing by itself.

* :mod:`.style`: ``PALETTE`` (Okabe–Ito), ``method_color``, ``use_style``.
* :mod:`.fields`: matplotlib ``slope_field``, ``phase_portrait``, ``plot_solution``.
* :mod:`.interactive`: plotly ``slider_figure`` (kernel-free slider), ``line_figure``, ``loglog_figure``.
* :mod:`.widgets`: ``live_slider``, the ipywidgets control for a live notebook.
"""

from ._plotly import figure_html, register_renderer
from .fields import phase_portrait, plot_solution, slope_field
from .interactive import join_paths, line_figure, loglog_figure, slider_figure
from .style import FIELD_COLOR, METHOD_COLORS, PALETTE, method_color, trace_colors, use_style
from .widgets import build_slider, live_slider

__all__ = [
    "FIELD_COLOR", "METHOD_COLORS", "PALETTE", "build_slider", "figure_html", "join_paths", "line_figure",
    "live_slider", "loglog_figure", "method_color", "phase_portrait", "plot_solution", "register_renderer",
    "slider_figure", "slope_field", "trace_colors", "use_style",
]
