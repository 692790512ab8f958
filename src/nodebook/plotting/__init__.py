"""Plotting: one house style for matplotlib, and plotly figures that work in the static book."""

from ._plotly import figure_html, register_renderer

__all__ = ["figure_html", "register_renderer"]
