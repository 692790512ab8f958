"""Chapter 2's experiment functions, on tiny budgets: what the chapter needs, and the mathematics behind it."""

import dataclasses
import json
import math

import pytest
import torch

import nodebook as nb
from nodebook.experiments import ch2
from nodebook.models import ResNetBlocks

TINY = {
    "n_train": 256, "n_test": 128, "steps": 80, "batch_size": 64, "lr": 2e-2, "width": 16,
    "resnet_blocks": 3, "augment_dim": 1, "euler_blocks": [4, 8, 16, 32, 64],
    "end_times": [0.5, 1.0, 1.5], "tolerances": [1e-2, 1e-4, 1e-6], "inverse_tolerances": [1e-3, 1e-7],
    "grid": 7, "frames": 4,
}


@pytest.fixture(scope="module")
def cfg():
    base = nb.setup("ch2", mode="quick", device="cpu", plots=False, verbose=False)
    return dataclasses.replace(base, budget=dict(TINY))


@pytest.fixture(scope="module")
def trained(cfg):
    return ch2.train_models(cfg)


def test_a_tied_resnet_is_explicit_euler_bit_for_bit(cfg):
    f = ch2.random_dynamics(cfg)
    h0 = torch.randn(5, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for n in (1, 4, 16):  # powers of two: the grid spacing is exactly 1/N
        grid = torch.linspace(0, 1, n + 1, dtype=torch.float64)
        euler = nb.odeint(f, h0, grid, method="euler")[-1]
        assert torch.equal(ResNetBlocks(f, n, tied=True, t1=1.0)(h0), euler)


def test_euler_limit_is_first_order(cfg):
    lim = ch2.euler_limit(cfg, frame_blocks=(1, 4))
    assert lim["order"] == pytest.approx(1.0, abs=0.15)
    assert lim["slope"] == -lim["order"]
    assert all(a > b for a, b in zip(lim["gap"], lim["gap"][1:], strict=False))  # deeper is closer
    # halving the step halves the gap, not just shrinks it
    assert lim["gap"][-2] / lim["gap"][-1] == pytest.approx(2.0, abs=0.15)
    assert [f["n"] for f in lim["frames"]] == [1, 4]
    assert len(lim["frames"][1]["paths"][0]) == 5  # the input and the state after each of 4 blocks
    assert len(lim["exact_paths"]) == len(lim["frames"][0]["paths"])


def test_check_block_order_accepts_euler_and_midpoint_and_rejects_a_wrong_claim(cfg, capsys):
    assert ch2.check_block_order(ch2.euler_block, 1, cfg) == pytest.approx(1.0, abs=0.2)

    def midpoint(f, t, h, step):
        return h + step * f(t + step / 2, h + step / 2 * f(t, h))

    assert ch2.check_block_order(midpoint, 2, cfg) == pytest.approx(2.0, abs=0.2)
    assert "✓ measured order" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="expected order 2"):
        ch2.check_block_order(ch2.euler_block, 2, cfg)


def test_check_gap_constant():
    a, n = 1.0, 100_000
    measured = n * (math.exp(a) - (1 + a / n) ** n)
    assert ch2.check_gap_constant(measured, rate=a) == pytest.approx(math.e / 2)
    with pytest.raises(AssertionError, match="C for a = 1 = 1 is too small"):
        ch2.check_gap_constant(1.0, rate=a)


def test_build_model_refuses_unknown_names(cfg):
    with pytest.raises(ValueError, match="unknown model 'vgg'; expected one of resnet, odenet, anode"):
        ch2.build_model("vgg", cfg)


def test_trained_models_beat_chance_and_report_their_costs(cfg, trained):
    rows = trained["rows"]
    assert set(rows) == set(ch2.MODELS)
    for row in rows.values():
        assert row["test_acc"] > 0.7  # two balanced classes: chance is 0.5
        assert row["time_s"] > 0 and row["params"] > 0
    assert rows["resnet"]["evals"] == TINY["resnet_blocks"]
    assert rows["odenet"]["evals"] >= 8  # dopri5: at least one step of 6 evaluations plus the start
    # one field for all of depth: fewer parameters than one field per block
    assert rows["odenet"]["params"] < rows["resnet"]["params"]
    assert len(trained["curves"]["odenet"]["nfe"]) == TINY["steps"]
    # the cost on the same data for every model: the whole test set in one pass (issue 26)
    n_test = len(trained["data"][1])
    assert rows["resnet"]["test_nfe"] == TINY["resnet_blocks"]
    for name in ("odenet", "anode"):
        model = trained["models"][name]
        with torch.no_grad():
            model(trained["data"][1])
        assert rows[name]["test_nfe"] == model.body.nfe_forward >= 8
        assert rows[name]["test_errors"] == round((1 - rows[name]["test_acc"]) * n_test)


def test_training_is_deterministic_under_the_seed(cfg, trained):
    again = ch2.train_models(cfg, names=("resnet",))
    assert again["curves"]["resnet"]["loss"] == trained["curves"]["resnet"]["loss"]
    assert again["rows"]["resnet"]["test_acc"] == trained["rows"]["resnet"]["test_acc"]


def test_transport_starts_from_the_inputs(cfg, trained):
    tp = ch2.transport(cfg, trained)
    grid, x_te = ch2.plane_grid(cfg), trained["data"][1]
    ode, res = tp["odenet"], tp["resnet"]
    assert len(ode["t"]) == TINY["frames"] and ode["t"][0] == 0.0 and ode["t"][-1] == pytest.approx(1.0)
    assert len(res["t"]) == TINY["resnet_blocks"] + 1
    for part in (ode, res):
        assert len(part["grid"][0]) == TINY["grid"] ** 2 == len(part["grid_class"])
        assert torch.allclose(torch.tensor(part["grid"][0], dtype=torch.float64), grid.double(), atol=1e-3)
        assert torch.allclose(torch.tensor(part["points"][0], dtype=torch.float64), x_te.double(), atol=1e-3)
    assert len(tp["labels"]) == TINY["n_test"]


def test_continuous_view(cfg, trained):
    view = ch2.continuous_view(cfg, trained)
    at_one = next(r for r in view["any_time"] if r["t"] == 1.0)
    assert at_one["acc"] == pytest.approx(trained["rows"]["odenet"]["test_acc"], abs=0.02)
    assert view["any_depth"][-1]["acc"] == pytest.approx(trained["rows"]["resnet"]["test_acc"])
    nfes = [r["nfe"] for r in view["tolerance"]]
    assert nfes == sorted(nfes) and nfes[-1] > nfes[0]  # tighter tolerance, more evaluations
    assert view["tolerance"][-1]["state_change"] == 0.0
    errors = [r["error"] for r in view["inverse"]]
    assert errors[-1] < 1e-4 and errors[-1] < errors[0]  # forward then backward comes back
    # Liouville: an ODE flow's Jacobian determinant is exp(∫ tr ∂f/∂h dt) > 0; it never folds the plane
    assert view["folding"]["odenet"]["min_det"] > 0
    assert view["folding"]["odenet"]["folded_share"] == 0.0
    assert len(view["folding"]["resnet"]["block_lipschitz"]) == TINY["resnet_blocks"]


def test_continuous_view_leaves_the_trained_model_alone(cfg, trained):
    block = trained["models"]["odenet"].body
    ch2.continuous_view(cfg, trained)
    assert (block.t1, block.rtol, block.atol) == (1.0, 1e-3, 1e-3)
    assert next(block.parameters()).dtype == torch.float32


def test_run_returns_json_metrics(cfg):
    metrics = ch2.run(cfg)
    assert metrics["euler_limit"]["order"] == pytest.approx(1.0, abs=0.15)
    assert set(metrics["models"]) == set(ch2.MODELS)
    json.dumps(nb.results.to_jsonable(metrics), allow_nan=False)


def test_self_checks_leave_the_learners_random_state_alone(capsys):
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    ch2.check_block_order(ch2.euler_block, 1)
    assert torch.equal(torch.rand(3), expected)
