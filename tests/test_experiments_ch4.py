"""Chapter 4's experiment functions on tiny budgets: what the chapter shows, and the mathematics behind it."""

import dataclasses

import pytest
import torch

import nodebook as nb
from nodebook.experiments import ch4

TINY = {
    "dataset": "mnist1d", "n_train": 256, "n_test": 128, "channels": 4, "hidden": 16, "resnet_blocks": 2,
    "rk_steps": 1, "train_tol": 1e-2, "pool": False, "activation": "softplus", "steps": 6, "batch_size": 32,
    "lr": 1e-2, "tolerances": [1e-1, 1e-3, 1e-5], "scan_test": 64, "augment_steps": 60, "augment_width": 8,
    "circles_steps": 5,
}


@pytest.fixture(scope="module")
def cfg():
    base = nb.setup("ch4", mode="quick", device="cpu", plots=False, verbose=False)
    return dataclasses.replace(base, budget=dict(TINY))


@pytest.fixture(scope="module")
def trained(cfg):
    return ch4.train_table(cfg)


def test_table_rows(trained):
    rows = trained["rows"]
    assert list(rows) == ["mlp", "resnet", "rknet", "odenet"]
    for r in rows.values():
        assert 0 <= r["test_acc"] <= 1 and r["test_error_pct"] == pytest.approx(100 * (1 - r["test_acc"]))
        assert r["memory_mib"] > 0 and r["ms_per_step"] > 0
    # one dynamics for the continuous models, one per block for the ResNet
    assert rows["rknet"]["params"] == rows["odenet"]["params"] < rows["resnet"]["params"]
    assert rows["rknet"]["nfe_forward"] == 4 and rows["rknet"]["nfe_backward"] == 0  # one RK4 step
    assert rows["resnet"]["nfe_forward"] == 2  # its blocks
    assert rows["odenet"]["nfe_backward"] > 0  # the adjoint solves backwards
    assert len(trained["histories"]["odenet"].nfe_forward) == TINY["steps"]


def test_tolerance_scan_costs_more_when_tighter_and_restores_the_training_tolerance(cfg, trained):
    rows = ch4.tolerance_scan(cfg, trained)
    assert [r["tol"] for r in rows] == TINY["tolerances"]
    nfes = [r["nfe_forward"] for r in rows]
    assert nfes == sorted(nfes) and nfes[-1] > nfes[0]
    assert all(r["step_nfe_backward"] > 0 for r in rows)
    assert trained["models"]["odenet"].body.rtol == TINY["train_tol"]
    curve = ch4.training_nfe(trained)
    assert curve["ratio"] == pytest.approx(sum(curve["backward"]) / sum(curve["forward"]))


def test_a_flow_on_the_line_cannot_swap_two_points_but_an_augmented_one_can(cfg):
    out = ch4.crossing_map(cfg)
    plain, aug = out["0"], out["1"]
    # order is kept: phi(-1) < phi(1), so the mean squared error to (1, -1) is at least 1
    assert plain["outputs"][0] < plain["outputs"][1]
    assert min(plain["loss"]) >= 1 - 1e-3
    assert aug["final_loss"] < 0.5 * plain["final_loss"]
    assert len(plain["paths"]) == len(plain["t"]) and len(aug["paths"][0][0]) == 2


def test_smoothness_relu_costs_more_and_its_adjoint_is_less_accurate(cfg):
    out = ch4.figure3.smoothness(cfg, tol=1e-4, ref_tol=1e-7)
    assert out["relu"]["nfe_backward"] > out["softplus"]["nfe_backward"]
    assert out["relu"]["grad_error"] > out["softplus"]["grad_error"]


def test_check_odenet_params(capsys):
    c = 8
    dyn = 2 * ((c + 1) * c * 3 + c) + 6 * c
    stem = 4 * c + 2 * c + 2 * (4 * c * c + c) + 2 * c
    head = 2 * c + 10 * c * 10 + 10
    assert ch4.check_odenet_params(stem + dyn + head, channels=c) == stem + dyn + head
    assert "✓" in capsys.readouterr().out
    exact = stem + dyn + head
    for wrong, verdict in ((5, "too few"), (exact + 1, "too many")):
        with pytest.raises(AssertionError, match=f"{wrong} parameters for C = {c} is {verdict}") as err:
            ch4.check_odenet_params(wrong, channels=c)
        # a self-check never prints the answer: not the total, not the parts
        assert str(exact) not in str(err.value) and str(stem) not in str(err.value)


def test_unknown_dataset(cfg):
    bad = dataclasses.replace(cfg, budget={**TINY, "dataset": "cifar"})
    with pytest.raises(ValueError, match="unknown dataset 'cifar'; expected one of mnist1d, digits, mnist"):
        ch4.dataset(bad)


def test_digits_dataset_trains_too(cfg):
    small = dataclasses.replace(cfg, budget={**TINY, "dataset": "digits", "steps": 2})
    out = ch4.train_table(small, names=("odenet",))
    assert out["data"].shape == (8, 8) and 0 <= out["rows"]["odenet"]["test_acc"] <= 1
    assert torch.isfinite(torch.tensor(out["histories"]["odenet"].loss)).all()


def test_full_mode_columns_with_and_without_a_record():
    empty = ch4.full_mode_columns(None)
    assert set(empty) == {"mlp", "resnet", "rknet", "odenet"} and empty["odenet"]["error"] == "–"
    record = {"metrics": {"models": {"odenet": {"test_error_pct": 5.04, "params": 65418, "ms_per_step": 12.3,
                                                "memory_mib": 40.0}}}}
    cols = ch4.full_mode_columns(record)
    assert cols["odenet"] == {"error": "5.0%", "params": "65,418", "ms": "12.3", "mib": "40.0"}
    assert cols["mlp"]["params"] == "–"  # a model missing from the run is not invented
