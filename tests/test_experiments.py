"""Chapter 1's experiment functions and the command line that runs them."""

import json

import pytest

import nodebook as nb
from nodebook import __main__ as cli
from nodebook.experiments import ch1


@pytest.fixture
def cfg():
    return nb.setup("ch1", mode="quick", verbose=False)


def test_convergence_orders_match_theory(cfg):
    conv = ch1.convergence(cfg)
    assert conv["order"]["euler"] == pytest.approx(1, abs=0.1)
    assert conv["order"]["midpoint"] == pytest.approx(2, abs=0.15)
    assert conv["order"]["rk4"] == pytest.approx(4, abs=0.2)
    # cost: stages x steps
    assert conv["nfe"]["rk4"] == [4 * n for n in conv["n_steps"]]


def test_adaptive_cost_grows_and_error_shrinks_with_tolerance(cfg):
    rows = ch1.adaptive(cfg)["rows"]
    nfes = [r["nfe"] for r in rows]
    errs = [r["error"] for r in rows]
    assert nfes == sorted(nfes) and nfes[-1] > 3 * nfes[0]
    assert errs[-1] < 1e-3 * errs[0]


def test_torchdiffeq_agreement(cfg):
    agree = ch1.torchdiffeq_agreement(cfg)
    for m in ("euler", "midpoint", "rk38"):
        assert agree["fixed"][m]["max_abs_diff"] < 1e-12
    assert agree["fixed"]["rk4"]["max_abs_diff"] > 1e-9  # a different fourth-order method
    d = agree["dopri5"]
    assert abs(d["nfe_nodebook"] - d["nfe_torchdiffeq"]) <= 0.15 * d["nfe_torchdiffeq"]


@pytest.mark.slow
def test_stiffness_nfe_grows_with_stiffness_and_failures_are_reported(cfg):
    stiff = ch1.stiffness(cfg, stiffnesses=(10.0, 1000.0))
    assert stiff["rows"][1]["nfe"] > 5 * stiff["rows"][0]["nfe"]
    assert "max_num_steps=2000" in stiff["max_steps_error"]
    assert "blow up" in stiff["underflow_error"]
    assert stiff["blowup_t"] == pytest.approx(1.0, abs=1e-3)


def test_reproduce_writes_results(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(nb.results, "results_dir", lambda: tmp_path)
    monkeypatch.setattr(ch1, "run", lambda cfg: {"order": {"euler": 1.0}, "mode": cfg.mode})
    assert cli.main(["reproduce", "1", "--mode", "quick"]) == 0
    record = json.loads((tmp_path / "ch1.quick.json").read_text())
    assert record["metrics"] == {"order": {"euler": 1.0}, "mode": "quick"}
    assert record["mode"] == "quick" and record["device"] == "cpu"
    assert "wrote" in capsys.readouterr().out


def test_cli_rejects_unknown_chapter(capsys):
    with pytest.raises(SystemExit):
        cli.main(["reproduce", "ch99"])
    assert "unknown chapter 'ch99'" in capsys.readouterr().err


def test_reproduce_set_overrides_the_budget_and_writes_a_custom_record(tmp_path, monkeypatch):
    monkeypatch.setattr(nb.results, "results_dir", lambda: tmp_path)
    seen = {}
    monkeypatch.setattr(ch1, "run", lambda cfg: seen.update(cfg.budget) or {"ok": True})
    assert cli.main(["reproduce", "1", "--mode", "quick", "--set", "bench_batch=7", "--set",
                     "n_steps=[8, 16]"]) == 0
    assert seen["bench_batch"] == 7 and seen["n_steps"] == [8, 16]
    record = json.loads((tmp_path / "ch1.quick.custom.json").read_text())
    assert record["budget_overrides"] == {"bench_batch": 7, "n_steps": [8, 16]}
    assert not (tmp_path / "ch1.quick.json").exists()  # the reference run's file is left alone
    assert nb.config.BUDGETS["ch1"]["quick"]["bench_batch"] != 7


def test_overrides_reach_nested_keys_and_reject_unknown_ones(capsys):
    budget = {"spirals": {"steps": 100, "lr": 0.1}, "time_s": 90}
    out = cli.apply_overrides(budget, {"spirals.steps": 5, "time_s": 1}, "ch6")
    assert out == {"spirals": {"steps": 5, "lr": 0.1}, "time_s": 1} and budget["spirals"]["steps"] == 100
    with pytest.raises(ValueError, match=r"unknown budget key 'spirals.stepz': spirals has no 'stepz'; "
                                         r"valid keys: lr, steps"):
        cli.apply_overrides(budget, {"spirals.stepz": 5}, "ch6")
    with pytest.raises(ValueError, match="the ch6 budget has no 'nope'; valid keys: spirals, time_s"):
        cli.apply_overrides(budget, {"nope": 5}, "ch6")
    assert cli.parse_override("dataset=mnist") == ("dataset", "mnist")
    assert cli.parse_override("lr=1e-3") == ("lr", 1e-3)
    with pytest.raises(SystemExit):
        cli.main(["reproduce", "1", "--set", "no-equals-sign"])
    assert "--set expects KEY=VALUE" in capsys.readouterr().err
