"""Plotly output that works in three places: the static web book, JupyterLab, and nbval.

Plotly 7 only emits ``application/vnd.plotly.v1+json``, which myst-nb cannot render. The "nodebook"
renderer adds a ``text/html`` version: a div plus a ``Plotly.newPlot`` call, *without* plotly.js (the
book loads its own copy from ``_static``, so pages work offline). Its div id is derived from the figure's
content, so re-running a chapter gives byte-identical output. JupyterLab picks the plotly mime type.
"""

from __future__ import annotations

import hashlib
import json

import plotly.io as pio
from plotly.io.base_renderers import MimetypeRenderer
from plotly.io.json import to_json_plotly

RENDERER = "nodebook"


def figure_html(fig_dict: dict) -> str:
    """The ``text/html`` fragment for a figure dict: a deterministic div id, no bundled plotly.js."""
    # plotly's encoder, not json.dumps(default=str): str() of a numpy array elides its middle ("...").
    payload = to_json_plotly(fig_dict, pretty=False).encode()
    div_id = "nbfig-" + hashlib.sha1(payload).hexdigest()[:12]
    height = fig_dict.get("layout", {}).get("height") or 460
    return pio.to_html(fig_dict, full_html=False, include_plotlyjs=False, include_mathjax=False,
                       div_id=div_id, validate=False, default_width="100%", default_height=f"{height}px",
                       config={"responsive": True, "displaylogo": False})


class BookRenderer(MimetypeRenderer):
    """A plotly renderer that returns both the plotly JSON and the book's HTML fragment."""

    def to_mimebundle(self, fig_dict):
        return {
            "application/vnd.plotly.v1+json": json.loads(to_json_plotly(fig_dict, pretty=False)),
            "text/html": figure_html(fig_dict),
        }


def register_renderer(default: bool = True) -> None:
    """Register the "nodebook" renderer (idempotent) and make it the default."""
    pio.renderers[RENDERER] = BookRenderer()
    if default:
        pio.renderers.default = RENDERER
