"""nodebook.plotting: the book renderer, the house style, field plots, slider figures and live widgets."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import math  # noqa: E402

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import plotly.graph_objects as go  # noqa: E402
import plotly.io as pio  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import nodebook.plotting as nbp  # noqa: E402
from nodebook import problems  # noqa: E402
from nodebook.plotting import _plotly  # noqa: E402

METHODS = ["euler", "midpoint", "rk4", "rk38", "dopri5", "torchdiffeq", "exact"]


@pytest.fixture
def ax():
    fig, ax = plt.subplots(figsize=(6, 4))
    yield ax
    plt.close(fig)


def _slider(n_steps=3, **kw):
    x = np.linspace(0, 1, 5)
    steps = [[x * (k + 1), x + k] for k in range(n_steps)]
    args = {"trace_names": ["euler", "rk4"], "step_labels": [f"{k}" for k in range(n_steps)],
            "slider_label": "h = ", "xaxis_title": "t (s)", "yaxis_title": "y (m)"}
    return x, steps, {**args, **kw}


# --- renderer ------------------------------------------------------------------------------------------

def test_renderer_bundle_has_both_mime_types_and_is_deterministic():
    nbp.register_renderer()
    assert pio.renderers.default == _plotly.RENDERER
    renderer = pio.renderers[_plotly.RENDERER]
    a, b = (renderer.to_mimebundle(go.Figure(go.Scatter(x=[0, 1, 2], y=[1, 3, 2])).to_dict()) for _ in "ab")
    assert set(a) == {"application/vnd.plotly.v1+json", "text/html"}
    assert a["text/html"] == b["text/html"]
    assert 'id="nbfig-' in a["text/html"] and "Plotly.newPlot" in a["text/html"]
    # plotly.js and MathJax come from the book's _static, not from each figure.
    assert "cdn.plot.ly" not in a["text/html"] and "MathJax" not in a["text/html"]
    assert a["application/vnd.plotly.v1+json"]["data"][0]["type"] == "scatter"


def test_div_id_sees_the_whole_figure_even_numpy_arrays_in_slider_args():
    # str() of a numpy array elides its middle: figures differing there must still get different ids.
    x, steps, kw = _slider()
    y = np.zeros(2000)
    y2 = y.copy()
    y2[1000] = 1.0
    f1 = go.Figure(layout={"sliders": [{"steps": [{"method": "update", "args": [{"y": [y]}]}]}]})
    f2 = go.Figure(layout={"sliders": [{"steps": [{"method": "update", "args": [{"y": [y2]}]}]}]})
    assert nbp.figure_html(f1.to_dict()) != nbp.figure_html(f2.to_dict())
    s1, s2 = nbp.slider_figure(x, steps, **kw), nbp.slider_figure(x, steps, **kw)
    assert nbp.figure_html(s1.to_dict()) == nbp.figure_html(s2.to_dict())


# --- style ---------------------------------------------------------------------------------------------

def test_palette_is_okabe_ito():
    assert nbp.PALETTE == {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73",
                           "vermillion": "#D55E00", "purple": "#CC79A7", "sky": "#56B4E9",
                           "yellow": "#F0E442", "black": "#000000"}


def test_use_style_sets_rcparams_and_plotly_template():
    with mpl.rc_context():
        mpl.rcdefaults()
        pio.templates.default = "plotly"
        nbp.use_style()
        assert mpl.rcParams["axes.spines.top"] is False and mpl.rcParams["axes.spines.right"] is False
        assert mpl.rcParams["axes.grid"] is True
        assert mpl.rcParams["figure.constrained_layout.use"] is True
        assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == list(nbp.PALETTE.values())
        assert mpl.rcParams["figure.dpi"] >= 100
    assert pio.templates.default == "nodebook"
    assert pio.renderers.default == _plotly.RENDERER
    layout = go.Figure().layout  # built with the default template
    assert list(layout.template.layout.colorway) == list(nbp.PALETTE.values())
    assert layout.template.layout.plot_bgcolor == "white"


def test_method_color_is_stable_distinct_and_case_insensitive():
    colors = [nbp.method_color(m) for m in METHODS]
    assert len(set(colors)) == len(METHODS)
    assert set(colors) <= set(nbp.PALETTE.values())
    assert nbp.method_color("RK4 ") == nbp.method_color("rk4") == nbp.PALETTE["blue"]
    assert nbp.method_color("exact") == nbp.PALETTE["black"]


def test_method_color_unknown_name():
    with pytest.raises(ValueError, match=r"no colour for method 'bosh3'; expected one of exact, euler, "):
        nbp.method_color("bosh3")


def test_trace_colors_keep_method_colours_and_avoid_clashes():
    colors = nbp.trace_colors(["rk4", "largest error", "NFE", "euler"])
    assert colors[0] == nbp.method_color("rk4") and colors[3] == nbp.method_color("euler")
    assert len(set(colors)) == 4


# --- fields --------------------------------------------------------------------------------------------

def test_slope_field_segments_follow_y_prime_equals_y(ax):
    calls = []

    def func(t, y):
        calls.append((t.shape, y.shape))
        return y

    lines = nbp.slope_field(ax, func, (0, 2), (-3, 3), n=7, xlabel="t (s)", ylabel="y (m)")
    assert calls[0] == (torch.Size([]), torch.Size([7, 1]))  # the solvers' convention: 0-d t, batch of states
    segs = np.asarray(lines.get_segments())
    assert segs.shape == (49, 2, 2)
    mid = segs.mean(axis=1)
    slope = (segs[:, 1, 1] - segs[:, 0, 1]) / (segs[:, 1, 0] - segs[:, 0, 0])
    np.testing.assert_allclose(slope, mid[:, 1], rtol=1e-9, atol=1e-9)  # slope is f(t, y) = y
    assert ax.get_xlim() == (0, 2) and ax.get_ylim() == (-3, 3)
    assert ax.get_xlabel() == "t (s)" and ax.get_ylabel() == "y (m)"


def test_slope_field_equal_screen_length_and_time_dependence(ax):
    lines = nbp.slope_field(ax, problems.stiff_relaxation(stiffness=2.0).func, (0, 6), (-1, 1), n=9)
    segs = np.asarray(lines.get_segments())
    mid = segs.mean(axis=1)
    slope = (segs[:, 1, 1] - segs[:, 0, 1]) / (segs[:, 1, 0] - segs[:, 0, 0])
    np.testing.assert_allclose(slope, -2.0 * (mid[:, 1] - np.cos(mid[:, 0])), atol=1e-9)
    pix = ax.transData.transform(segs.reshape(-1, 2)).reshape(-1, 2, 2)
    length = np.hypot(*(pix[:, 1] - pix[:, 0]).T)
    np.testing.assert_allclose(length, length[0], rtol=1e-6)


def test_slope_field_errors(ax):
    with pytest.raises(ValueError, match=r"t_range must be \(low, high\) with low < high; got \(2, 1\)"):
        nbp.slope_field(ax, lambda t, y: y, (2, 1), (0, 1))
    with pytest.raises(ValueError, match=r"y_range must be a pair"):
        nbp.slope_field(ax, lambda t, y: y, (0, 1), (0, 1, 2))
    with pytest.raises(ValueError, match=r"n \(grid points per axis\) must be an int >= 2; got 1"):
        nbp.slope_field(ax, lambda t, y: y, (0, 1), (0, 1), n=1)
    with pytest.raises(ValueError, match=r"func\(t, y\) returned shape \(5,\); expected \(5, 1\)"):
        nbp.slope_field(ax, lambda t, y: y[:, 0], (0, 1), (0, 1), n=5)


@pytest.mark.parametrize("kind", ["stream", "quiver"])
def test_phase_portrait_draws_harmonic_oscillator(ax, kind):
    art = nbp.phase_portrait(ax, problems.harmonic().func, (-2, 2), (-1, 1), n=9, kind=kind,
                             xlabel="x (m)", ylabel="v (m/s)")
    assert ax.get_xlim() == (-2, 2) and ax.get_ylabel() == "v (m/s)"
    if kind == "stream":
        assert len(art.lines.get_segments()) > 0
    else:  # unit arrows along (v, -x)
        X, Y = np.meshgrid(np.linspace(-2, 2, 9), np.linspace(-1, 1, 9))
        speed = np.hypot(Y, X)
        keep = speed > 0
        np.testing.assert_allclose(art.U.ravel()[keep.ravel()], (Y / np.where(keep, speed, 1))[keep])
        np.testing.assert_allclose(art.V.ravel()[keep.ravel()], (-X / np.where(keep, speed, 1))[keep])


def test_phase_portrait_errors(ax):
    with pytest.raises(ValueError, match=r"kind must be 'stream' or 'quiver'; got 'arrows'"):
        nbp.phase_portrait(ax, problems.harmonic().func, (-1, 1), (-1, 1), kind="arrows")
    with pytest.raises(ValueError, match=r"returned shape \(16, 1\); expected \(16, 2\)"):
        nbp.phase_portrait(ax, lambda t, z: z[:, :1], (-1, 1), (-1, 1), n=4)


def test_plot_solution_takes_tensors_and_arrays(ax):
    t = torch.linspace(0, 1, 11, requires_grad=True)
    ys = torch.stack([t, 2 * t], -1)  # (T, 2), with grad
    lines = nbp.plot_solution(ax, t, ys, label="rk4", color=nbp.method_color("rk4"), marker="o")
    assert len(lines) == 2
    np.testing.assert_allclose(lines[1].get_ydata(), 2 * np.linspace(0, 1, 11), rtol=1e-6)
    assert lines[0].get_label() == "rk4" and lines[1].get_label().startswith("_")  # one legend entry
    assert lines[0].get_color() == nbp.PALETTE["blue"] and lines[0].get_marker() == "o"
    lines = nbp.plot_solution(ax, np.arange(3.0), np.ones((3, 1, 2)), label=["x", "v"])
    assert [ln.get_label() for ln in lines] == ["x", "v"]


def test_plot_solution_errors(ax):
    with pytest.raises(ValueError, match=r"ys must be shaped \(len\(t\), ...\) = \(3, ...\); got \(4, 1\)"):
        nbp.plot_solution(ax, np.arange(3.0), np.ones((4, 1)))
    with pytest.raises(ValueError, match=r"t must be 1-D"):
        nbp.plot_solution(ax, np.ones((3, 1)), np.ones(3))
    with pytest.raises(ValueError, match=r"got 1 labels for 2 lines"):
        nbp.plot_solution(ax, np.arange(3.0), np.ones((3, 2)), label=["x"])


# --- slider figures ------------------------------------------------------------------------------------

def test_slider_steps_carry_each_steps_data_and_title():
    x, steps, kw = _slider(titles=["first", "second", "third"], active=1,
                           static_traces=[{"x": [0, 1], "y": [-5, 5], "name": "exact"}])
    fig = nbp.slider_figure(x, steps, **kw)
    slider = fig.layout.sliders[0]
    assert slider.active == 1 and slider.currentvalue.prefix == "h = "
    assert [s.label for s in slider.steps] == ["0", "1", "2"]
    for k, step in enumerate(slider.steps):
        data, layout, traces = step.args
        assert step.method == "update" and list(traces) == [0, 1]  # the static trace is never touched
        np.testing.assert_allclose(data["y"][0], x * (k + 1))
        np.testing.assert_allclose(data["y"][1], x + k)
        assert "x" not in data
        assert layout == {"title.text": kw["titles"][k]} and "title" not in layout  # STACK.md: not "title"
    # The figure opens on the active step.
    np.testing.assert_allclose(fig.data[0].y, x * 2)
    assert fig.layout.title.text == "second"
    assert [tr.name for tr in fig.data] == ["euler", "rk4", "exact"]
    assert fig.data[0].line.color == nbp.method_color("euler")
    assert fig.data[2].line.color == nbp.PALETTE["black"]
    assert fig.data[2].line.dash == "dash"
    # The y-range covers every step and the static trace, so the axes do not jump.
    lo, hi = fig.layout.yaxis.range
    assert lo < -5 and hi > 5
    assert fig.layout.xaxis.title.text == "t (s)" and fig.layout.yaxis.title.text == "y (m)"


def test_slider_with_per_step_x():
    steps = [[torch.linspace(0, 1, n + 1) ** 2] for n in (2, 4)]
    xs = [[torch.linspace(0, 1, n + 1)] for n in (2, 4)]
    fig = nbp.slider_figure(None, steps, xs=xs, trace_names=["Euler"], step_labels=["0.5", "0.25"],
                            slider_label="h = ")
    args = fig.layout.sliders[0].steps[1].args[0]
    np.testing.assert_allclose(args["x"][0], [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_allclose(args["y"][0], [0, 0.0625, 0.25, 0.5625, 1])
    assert fig.layout.sliders[0].steps[0].args[1] == {}  # no titles: the layout is left alone


def test_slider_figure_round_trips_through_the_renderer():
    x, steps, kw = _slider()
    bundle = _plotly.BookRenderer().to_mimebundle(nbp.slider_figure(x, steps, **kw).to_dict())
    sliders = bundle["application/vnd.plotly.v1+json"]["layout"]["sliders"]
    assert len(sliders[0]["steps"]) == 3 and '"sliders"' in bundle["text/html"]


@pytest.mark.parametrize("change, message", [
    ({"steps": lambda s: s[:2] + [s[2][:1]]}, r"steps\[2\] has 1 traces; expected 2 \(one per trace_names\)"),
    ({"step_labels": ["a"]}, r"got 1 step_labels for 3 steps; expected one per step"),
    ({"titles": ["a", "b"]}, r"got 2 titles for 3 steps; expected one per step"),
    ({"steps": lambda s: [[y[:4] for y in row] for row in s]}, r"steps\[0\]\[0\] has 4 points; expected 5"),
    ({"steps": lambda s: []}, r"steps is empty"),
    ({"active": 3}, r"active must be in \[0, 2\]; got 3"),
    ({"xs": [[[0, 1]] * 2] * 2}, r"xs has 2 entries for 3 steps"),
    ({"static_traces": [{"y": [1]}]}, r"static_traces\[0\] needs 'x' and 'y'; got keys \['y'\]"),
])
def test_slider_figure_errors(change, message):
    x, steps, kw = _slider()
    change = dict(change)
    if "steps" in change:
        steps = change.pop("steps")(steps)
        if not steps:
            kw["step_labels"] = []
    with pytest.raises(ValueError, match=message):
        nbp.slider_figure(x, steps, **{**kw, **change})


def test_loglog_figure_slopes_in_legend():
    h = np.array([0.1, 0.05, 0.025, 0.0125])
    fig = nbp.loglog_figure(h, {"euler": 3 * h, "rk4": 0.5 * h**4}, slopes=True, xaxis_title="h (s)",
                            yaxis_title="error (m)", title="RK4 converges with order 4")
    assert [tr.name for tr in fig.data] == ["euler (slope 1.00)", "rk4 (slope 4.00)"]
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert fig.data[1].line.color == nbp.method_color("rk4")
    fig = nbp.loglog_figure(h, {"euler": h}, slopes={"euler": 0.98})
    assert fig.data[0].name == "euler (slope 0.98)"
    assert nbp.loglog_figure(h, {"NFE": 1 / h}).data[0].name == "NFE"


def test_line_figure_and_errors():
    fig = nbp.line_figure([0, 1, 2], {"a": [0, 1, 4], "b": torch.tensor([1.0, 1.0, 1.0])}, log_y=True)
    assert [tr.name for tr in fig.data] == ["a", "b"] and fig.layout.yaxis.type == "log"
    with pytest.raises(ValueError, match=r"ys\['a'\] has 2 points; expected 3 \(the length of x\)"):
        nbp.line_figure([0, 1, 2], {"a": [0, 1]})
    with pytest.raises(ValueError, match=r"ys is empty"):
        nbp.line_figure([0, 1, 2], {})
    with pytest.raises(ValueError, match=r"slopes has no entry for \['rk4'\]; expected one per curve"):
        nbp.loglog_figure([1, 2], {"euler": [1, 2], "rk4": [1, 2]}, slopes={"euler": 1.0})
    with pytest.raises(ValueError, match=r"need at least 2 errors above 0 to fit an order; got 1"):
        nbp.loglog_figure([1, 2], {"euler": [1, 0]}, slopes=True)


# --- live widgets --------------------------------------------------------------------------------------

def test_live_slider_is_none_without_a_kernel(capsys):
    calls = []
    assert nbp.live_slider(calls.append, name="h", values=[0.5, 0.25]) is None
    assert calls == [] and capsys.readouterr().out == ""
    with pytest.raises(ValueError, match=r"value 0.3 is not one of the slider's values \[0.5, 0.25\]"):
        nbp.live_slider(calls.append, name="h", values=[0.5, 0.25], value=0.3)
    with pytest.raises(ValueError, match=r"values for 'h' is empty"):
        nbp.live_slider(calls.append, name="h", values=[])


def test_build_slider_calls_update_on_each_change():
    pytest.importorskip("ipywidgets")
    calls = []
    box = nbp.build_slider(calls.append, name="h", values=[2.0, 1.0, 0.5], value=1.0, description="step h")
    assert calls == [1.0]  # drawn once at the start
    assert box.slider.description == "step h"
    assert [label for label, _ in box.slider.options] == ["2", "1", "0.5"]
    box.slider.value = 0.5
    assert calls == [1.0, 0.5] and box.slider.label == "0.5"
    assert list(box.children) == [box.slider, box.output]


def test_build_slider_shows_a_returned_matplotlib_figure_and_closes_it():
    pytest.importorskip("ipywidgets")

    def draw(h):
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, h])
        return fig

    before = len(plt.get_fignums())
    nbp.build_slider(draw, name="h", values=[1.0, 2.0])
    assert len(plt.get_fignums()) == before


def test_join_paths_separates_paths_with_gaps():
    xs, ys = nbp.join_paths([[(0, 1), (2, 3)], [(4, 5)]])
    assert xs[:2] == [0.0, 2.0] and ys[:2] == [1.0, 3.0]
    assert math.isnan(xs[2]) and xs[3] == 4.0 and math.isnan(ys[4])
    with pytest.raises(ValueError, match=r"paths\[1\] must hold \(x, y\) points; got a point of length 3"):
        nbp.join_paths([[(0, 1)], [(1, 2, 3)]])
