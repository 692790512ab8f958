"""A live control for the live notebook: an ipywidgets slider that redraws a figure on every move.

In the static book an ipywidgets slider renders but does nothing (there is no kernel), so chapters show a
:func:`~nodebook.plotting.slider_figure` there and tag the :func:`live_slider` cell ``remove-output``.
Without a kernel or without ipywidgets, :func:`live_slider` quietly returns ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def _in_kernel() -> bool:
    """True inside a running Jupyter kernel (not plain Python, not terminal IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _show(result: Any) -> None:
    """Display what ``update`` returned (a plotly or matplotlib figure); ``None`` means it drew itself."""
    if result is None:
        return
    from IPython.display import display

    display(result)
    from matplotlib.figure import Figure

    if isinstance(result, Figure):
        import matplotlib.pyplot as plt

        plt.close(result)  # shown once here, not again by the inline backend at the end of the cell


def _check_values(name: str, values: Sequence[Any], value: Any) -> tuple[list[Any], Any]:
    values = list(values)
    if not values:
        raise ValueError(f"values for {name!r} is empty; expected at least one value for the slider")
    if value is None:
        return values, values[0]
    if value not in values:
        raise ValueError(f"value {value!r} is not one of the slider's values {values}")
    return values, value


def build_slider(update: Callable[[Any], Any], *, name: str, values: Sequence[Any], value: Any = None,
                 description: str | None = None) -> Any:
    """The widgets of :func:`live_slider`, built with or without a kernel: a ``VBox`` of slider and output.

    The box has ``.slider`` (an ``ipywidgets.SelectionSlider``) and ``.output`` (an ``ipywidgets.Output``)
    attributes; setting ``box.slider.value`` redraws, as dragging the slider does.

    Raises:
        ImportError: ipywidgets is not installed.
        ValueError: ``values`` is empty or ``value`` is not one of them.
    """
    import ipywidgets as widgets

    values, value = _check_values(name, values, value)
    slider = widgets.SelectionSlider(
        options=[(f"{v:g}" if isinstance(v, float) else str(v), v) for v in values], value=value,
        description=description or name, continuous_update=False,
        style={"description_width": "initial"}, layout={"width": "min(100%, 32rem)"})
    out = widgets.Output()

    def redraw(new: Any) -> None:
        with out:
            out.clear_output(wait=True)
            _show(update(new))

    slider.observe(lambda change: redraw(change["new"]), names="value")
    redraw(value)
    box = widgets.VBox([slider, out])
    box.slider, box.output = slider, out  # handles for tests and for chapters that want to drive it
    return box


def live_slider(update: Callable[[Any], Any], *, name: str, values: Sequence[Any], value: Any = None,
                description: str | None = None) -> Any:
    """A slider over ``values`` that calls ``update(value)`` and shows its figure, in a live notebook only.

    Put the call last in its cell (the returned box is displayed as the cell's value) and tag the cell
    ``remove-output``: the static book shows the matching :func:`slider_figure` instead.

    Args:
        update: called with the selected value; either draws a matplotlib figure itself
            (``plt.show()``) and returns ``None``, or returns a plotly or matplotlib figure to show.
        name: the parameter's name, used as the label when ``description`` is not given.
        values: the slider's positions, e.g. step sizes ``[2.0, 1.0, 0.5]``.
        value: the initial value (one of ``values``); the first one if ``None``.
        description: the label in front of the slider, e.g. ``"step h (years)"``.

    Returns:
        The ``ipywidgets.VBox`` (slider above output) in a Jupyter kernel with ipywidgets installed;
        ``None`` otherwise, printing nothing.

    Raises:
        ValueError: ``values`` is empty or ``value`` is not one of them (checked with or without a kernel).
    """
    _check_values(name, values, value)
    if not _in_kernel():
        return None
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return None
    return build_slider(update, name=name, values=values, value=value, description=description)
