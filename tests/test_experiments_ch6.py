"""Chapter 6's experiment functions on tiny budgets: what the chapter needs, and the facts behind it."""

import dataclasses
import json

import pytest
import torch

import nodebook as nb
from nodebook.experiments import ch6
from nodebook.experiments.ch6 import hopper, spirals
from nodebook.results import to_jsonable

TINY = {
    "time_s": 60,
    "spirals": {"n_train": 24, "n_test": 12, "n_total": 300, "n_sample": 40, "noise_std": 0.1, "n_obs": [5, 10],
                "shared": False, "latent_dim": 2, "hidden": 6, "width": 8, "steps": 3, "batch_size": 8, "lr": 1e-2,
                "kl_warmup": 2, "method": "euler"},
    "hopper": {"n_traj": 10, "n_steps": 8, "fracs": [0.25, 0.5], "latent_dim": 3, "hidden": 6, "width": 8,
               "obs_std": 0.1, "epochs": 1, "batch_size": 4, "lr": 1e-2, "method": "euler"},
}


@pytest.fixture(scope="module")
def cfg():
    base = nb.setup("ch6", mode="quick", device="cpu", plots=False, verbose=False)
    return dataclasses.replace(base, budget=dict(TINY))


@pytest.fixture(scope="module")
def sp(cfg):
    return spirals.spiral_data(cfg)


def test_budgets_exist_for_both_modes_and_name_the_paper_sizes():
    for mode in ("quick", "full"):
        b = nb.config.BUDGETS["ch6"][mode]
        assert b["spirals"]["n_obs"] == [30, 50, 100] and b["hopper"]["fracs"] == [0.1, 0.2, 0.3, 0.5]
    assert nb.config.BUDGETS["ch6"]["full"]["hopper"]["n_traj"] == 10_000
    assert nb.config.CHAPTERS["ch6"] == "06_latent_ode"


def test_spiral_truth_is_the_noise_free_curve_the_samples_scatter_around(cfg, sp):
    assert sp["x_train"].shape == (24, 40, 2) and sp["truth_test"].shape == (12, 40, 2)
    for i in (0, 5):  # the curve drawn beyond the window agrees with the data set's own truth inside it
        curve = spirals.true_curve(sp["start"][i], sp["clockwise"][i], sp["t"])
        torch.testing.assert_close(curve, sp["truth_test"][i], rtol=1e-4, atol=1e-4)
    residual = (sp["x_test"] - sp["truth_test"]).std().item()
    assert residual == pytest.approx(0.1, rel=0.2)  # the noise level asked for


def test_spiral_batches_share_sorted_irregular_times(sp):
    t, x, mask = spirals.sampler(sp["t"], sp["x_train"], [7], 5)(torch.Generator().manual_seed(0))
    assert t.shape == (7,) and x.shape == (5, 7, 2) and bool((mask == 1).all())
    assert bool((t[1:] > t[:-1]).all())
    gaps = torch.diff(t)
    assert not torch.allclose(gaps, gaps[0].expand_as(gaps))  # irregular


def test_spiral_training_and_scores(cfg, sp):
    trained = spirals.train(cfg, sp)
    assert set(trained["models"]["latent_ode"]) == {5, 10}
    assert trained["models"]["rnn"][5] is not trained["models"]["rnn"][10]  # not shared: one model per count
    rows = spirals.evaluate(cfg, sp, trained)
    for name in spirals.MODELS:
        for k in (5, 10):
            assert 0 < rows[name][k]["window"] < 20 and 0 < rows[name][k]["extrap"] < 20
    draws = spirals.posterior_draws(cfg, sp, trained, n_draws=3)
    assert len(draws["frames"]) == 2 and len(draws["frames"][0]["seen"]) == 5
    assert len(draws["frames"][0]["draws"]) == 3 and len(draws["t"]) == len(draws["truth"]) == 60


def test_unknown_model_names_list_the_known_ones(cfg):
    with pytest.raises(ValueError, match="expected one of latent_ode, rnn"):
        spirals.build_model("gru", cfg)
    with pytest.raises(ValueError, match="expected one of latent_ode_odernn"):
        hopper.build_model("lstm", cfg)


def test_hopper_tasks_observe_what_they_should(cfg):
    t = torch.linspace(0, 1, 10)
    x = torch.randn(6, 10, 14)
    t_o, x_o, m_o, t_p, x_p, m_p = hopper.sampler("extrap", t, x, [0.5], 4)(torch.Generator().manual_seed(0))
    assert torch.equal(t_o, t[:5]) and torch.equal(t_p, t[5:]) and x_o.shape == (4, 5, 14)
    t_o, x_o, m_o, t_p, x_p, m_p = hopper.sampler("interp", t, x, [0.3], 4)(torch.Generator().manual_seed(0))
    assert len(t_o) == 3 and torch.equal(t_p, t) and x_p.shape == (4, 10, 14)


def test_run_is_json_ready_and_hopper_reports_its_sizes(cfg):
    metrics = ch6.run(cfg)
    json.dumps(to_jsonable(metrics))
    h = metrics["hopper"]
    assert (h["n_train"], h["n_test"], h["n_steps"], h["epochs"]) == (8, 2, 8, 1)
    for name in hopper.MODELS:
        assert set(h["mse"]["interp"][name]) == {0.25, 0.5}
        assert 0 < h["mse"]["extrap"][name] < 10
    assert set(metrics["spirals"]["rmse"]) == set(spirals.MODELS)


def test_check_kl_accepts_the_closed_form_and_rejects_a_wrong_one(capsys):
    ch6.check_kl(lambda mu, lv: 0.5 * (lv.exp() + mu**2 - 1 - lv).sum(-1))
    assert "✓" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="Hint"):
        ch6.check_kl(lambda mu, lv: 0.5 * (lv.exp() + mu**2 - 1).sum(-1))


def test_physionet_runs_on_fixture_files_and_only_when_data_is_there(cfg, tmp_path):
    from nodebook.data import physionet as pn
    from nodebook.experiments.ch6 import physionet

    assert not physionet.available(tmp_path)
    folder = pn.write_example(tmp_path, n_patients=5, seed=1)
    assert physionet.available(folder)
    small = dataclasses.replace(cfg, budget={**cfg.budget, "physionet": {
        "max_patients": 5, "quantization": 0.1, "latent_dim": 2, "hidden": 4, "width": 6, "obs_std": 0.1,
        "epochs": 1, "batch_size": 4, "lr": 1e-2, "method": "euler"}})
    out = physionet.run_physionet(small, folder)
    assert (out["n_train"], out["n_test"]) == (4, 1)
    for task in ("interp", "extrap"):
        for name in physionet.MODELS:
            assert 0 <= out["mse"][task][name] < 10
    with pytest.raises(ValueError, match="expected one of latent_ode_odernn"):
        physionet.build_model("gru", small, 41)
