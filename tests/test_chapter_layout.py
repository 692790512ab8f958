"""Pages readable at a glance: build plumbing hidden, exercises labelled, figures as grids, display
equations short (chapters 1 to 7)."""

import re
from pathlib import Path

import numpy as np
import pytest

from nodebook.grading import chapter_exercise_minutes, exercises

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ["01_odes_and_solvers", "02_resnet_euler", "03_adjoint", "04_odenets", "05_cnf", "06_latent_ode",
            "07_practice"]
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(?P<body>.*?)^```", re.M | re.S)


def cells(stem):
    return [m["body"] for m in CELL.finditer((ROOT / "chapters" / f"{stem}.md").read_text())]


def tags(body):
    m = re.match(r"(?:---\n.*?\n---\n|:tags: \[(?P<tags>[^\]]*)\]\n)", body, re.S)
    if m is None:
        return set()
    found = m["tags"] if m["tags"] is not None else (re.search(r"tags: \[([^\]]*)\]", m[0]) or [None, ""])[1]
    return {t.strip() for t in found.split(",") if t.strip()}


@pytest.mark.parametrize("stem", CHAPTERS)
def test_glue_calls_sit_in_removed_cells(stem):
    shown = [b for b in cells(stem) if "glue(" in b and "remove-cell" not in tags(b)]
    assert not shown, f"{stem}: glue(...) in a visible cell:\n" + "\n---\n".join(shown)


@pytest.mark.parametrize("stem", CHAPTERS)
def test_plotting_cells_hide_their_input(stem):
    # a cell that draws (plt.subplots / a plotly figure helper) and computes nothing the prose needs
    for body in cells(stem):
        draws = re.search(r"plt\.subplots|nbp\.\w+_figure\(", body)
        if draws and not {"hide-input", "remove-input", "remove-cell"} & tags(body):
            pytest.fail(f"{stem}: a plotting cell shows its input:\n{body[:300]}")


@pytest.mark.parametrize("stem", CHAPTERS)
def test_exercises_carry_difficulty_labels(stem):
    found = exercises(ROOT / "chapters" / f"{stem}.md")
    assert len(found) >= 3
    assert chapter_exercise_minutes(stem[:2].lstrip("0").join(["ch", ""])) > 0


# ------------------------------------------------------------------ chapter 5's figure helpers: grids, legends below
def _full_size_kl():
    rows = [{"target": t, "kind": kind, "size": size, "kl": 0.5}
            for t in ("ring", "wave", "four_modes") for kind in ("planar", "cnf") for size in (1, 8, 32)]
    arrays = {f"kl/{r['target']}/{r['kind']}{r['size']}/hist": np.zeros((8, 8)) for r in rows}
    arrays.update({f"kl/{t}/target": np.zeros((8, 8)) for t in ("ring", "wave", "four_modes")})
    return arrays, {"planar_vs_cnf": rows}


def _full_size_toys():
    names = ["8gaussians", "pinwheel", "checkerboard", "2spirals", "moons", "circles"]
    arrays = {}
    for n in names:
        arrays[f"toy/{n}/samples"] = np.random.default_rng(0).normal(size=(50, 2))
        arrays[f"toy/{n}/density"] = np.zeros((2, 8, 8))
    return arrays, {"toys": {n: {"test_nll": 1.0} for n in names}}


@pytest.mark.parametrize("make", ["kl", "toy"])
def test_ch5_reference_figures_are_grids_not_strips(make):
    # a page column is ~688 px; a figure wider than ~8 in shrinks its panels to thumbnails there
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nodebook.experiments.ch5 import report

    arrays, metrics = _full_size_kl() if make == "kl" else _full_size_toys()
    fig = (report.kl_figure if make == "kl" else report.toy_figure)(arrays, metrics)
    width, _ = fig.get_size_inches()
    cols = max(ax.get_subplotspec().colspan.stop for ax in fig.axes)
    plt.close(fig)
    assert width <= 8.5 and cols <= 4, f"{make}: {cols} columns, {width:.1f} in wide"


def test_ch5_density_slider_has_its_legend_below_the_plot():
    from nodebook.flows import density_frames_figure

    axis = np.linspace(-1, 1, 4)
    fig = density_frames_figure(axis, [np.zeros((4, 4))] * 2, [np.zeros((3, 2))] * 2, [0.0, 1.0])
    legend = fig.layout.legend
    assert legend.orientation == "h" and legend.xanchor == "center" and legend.yanchor == "top" and legend.y < 0
    assert fig.layout.showlegend is True  # plotly hides a one-entry legend: "samples" would go unlabelled
    assert fig.layout.sliders[0].pad.t > fig.layout.margin.b * 0.3  # the slider sits below the legend


# ------------------------------------------------------------------ chapters 3 and 4's reference figures: no strips
def _ch3_rows():
    return [{"steps": n, "backprop_mib": n / 10, "nodebook_adjoint_mib": 0.5, "backprop_ms": n,
             "nodebook_adjoint_ms": 2 * n} for n in (10, 30, 100)]


def _ch4_run():
    scan = [{"tol": tol, "nfe_forward": 20 + i, "step_nfe_forward": 20 + i, "step_nfe_backward": 30 + i,
             "test_error_pct": 10.0} for i, tol in enumerate((1e-1, 1e-2, 1e-3))]
    return scan, {"forward": [20] * 30, "backward": [26] * 30}


@pytest.mark.parametrize("make", ["ch3", "ch4"])
def test_ch3_ch4_reference_figures_fit_the_column(make):
    # a page column is ~688 px; a figure wider than ~8.5 in shrinks its panels to thumbnails there
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nodebook.experiments import ch3, ch4

    fig = (ch3.memory_steps_figure(_ch3_rows(), _ch3_rows()) if make == "ch3"
           else ch4.figure3_panels(*_ch4_run(), title="test"))
    width, _ = fig.get_size_inches()
    cols = max(ax.get_subplotspec().colspan.stop for ax in fig.axes)
    plt.close(fig)
    assert width <= 8.5 and cols <= 2, f"{make}: {cols} columns, {width:.1f} in wide"


# ------------------------------------------------------------------ display equations fit the page column
def _rendered_lines(stem):
    """Each line a display equation renders, as its LaTeX source with spacing and sizing commands removed."""
    text = (ROOT / "chapters" / f"{stem}.md").read_text()
    for m in re.finditer(r"^\$\$\n(.*?)\n\$\$", text, re.M | re.S):
        body = re.sub(r"\\(?:begin|end)\{aligned\}|\\(?:big|Big|bigg|left|right|mathrm|mathbb|mathcal|operatorname)\b"
                      r"|\\[,;! ]|[{}&]", "", m[1])
        body = re.sub(r"\\[a-zA-Z]+", "x", body)  # any other command draws about one glyph
        for line in body.split("\\\\"):
            yield " ".join(line.split())


@pytest.mark.parametrize("stem", ["06_latent_ode", "07_practice"])
def test_display_equations_are_broken_into_short_lines(stem):
    # Chapter 6's one-line ELBO and generative model (99 and 116 glyphs by this crude count) measured
    # 807-936 px, 8-9.5 px a glyph; 70 glyphs stay under ~665 px of the 688 px column
    long = [line for line in _rendered_lines(stem) if len(line) > 70]
    assert not long, f"{stem}: equation lines too wide for the column (break with aligned):\n" + "\n".join(long)
