"""Chapter 6's experiment functions on tiny budgets: the published protocol, the trivial baselines, and
what the chapter needs."""

import dataclasses
import json

import pytest
import torch

import nodebook as nb
from nodebook.data import FeatureScaler
from nodebook.experiments import ch6
from nodebook.experiments.ch6 import hopper, spirals
from nodebook.latent import masked_rmse, per_series_mse
from nodebook.latent._published import PublishedODERNNEncoder
from nodebook.results import to_jsonable

TINY = {
    "time_s": 60,
    "spirals": {"n_train": 24, "n_test": 12, "n_total": 300, "n_sample": 40, "noise_std": 0.1, "n_obs": [5, 10],
                "draw_counts": [3, 10], "latent_dim": 2, "hidden": 6, "width": 8, "steps": 3, "batch_size": 8,
                "lr": 1e-2, "kl_warmup": 2, "method": "euler", "eval_every": 2},
    "hopper": {"n_traj": 20, "n_steps": 30, "window": 12, "fracs": [0.5], "eval_fracs": [0.3, 0.5],
               "latent_dim": 3, "hidden": 6, "width": 8, "obs_std": 0.1, "epochs": 1, "batch_size": 4,
               "lr": 1e-2, "method": "euler", "eval_every": 2, "curve_series": 3},
}


@pytest.fixture(scope="module")
def cfg():
    base = nb.setup("ch6", mode="quick", device="cpu", plots=False, verbose=False)
    return dataclasses.replace(base, budget=dict(TINY))


@pytest.fixture(scope="module")
def sp(cfg):
    return spirals.spiral_data(cfg)


def test_budgets_use_the_published_sizes_in_full_mode():
    full = nb.config.BUDGETS["ch6"]["full"]
    assert full["spirals"]["n_obs"] == [30, 50, 100] and full["recipe"] == "published"
    h = ch6._recipe.hopper_budget(full)  # the published overlay, then only the epochs shrunk
    assert set(full["shrink"]) == {"epochs"} and h["epochs"] < 300
    assert (h["latent_dim"], h["hidden"], h["width"], h["decoder_width"], h["batch_size"]) == (15, 30, 300, 0, 50)
    assert (h["window"], h["obs_std"], h.get("scaling", "rubanova")) == (100, 1e-3, "rubanova")
    assert (h["optimizer"], h["lr"], h["lr_floor"], h["n_samples"], h["method"]) == ("adamax", 1e-2, 1e-3, 3, "dopri5")
    assert full["checkpoint"] and 0.5 in h["eval_fracs"]
    assert nb.config.CHAPTERS["ch6"] == "06_latent_ode"
    with pytest.raises(ValueError, match="recipe must be 'book' or 'published'"):
        ch6._recipe.hopper_budget({**full, "recipe": "paper"})


def test_published_recipe_trains_and_scores_every_model(cfg):
    small = {**cfg.budget, "recipe": "published", "shrink": {"epochs": 1, "width": 16, "gru_units": 8}}
    run = dataclasses.replace(cfg, budget=small)
    out = hopper.run_hopper(run)
    for task in hopper.TASKS:
        assert set(hopper.MODELS) <= set(out["mse"][task])
        assert all(v >= 0 for name in hopper.MODELS for v in out["mse"][task][name].values())
    model = out["models"]["extrap"]["latent_ode_odernn"]
    assert model.published and model.solve_from_pred and isinstance(model.encoder, PublishedODERNNEncoder)


def test_spiral_truth_is_the_noise_free_curve_the_samples_scatter_around(cfg, sp):
    assert sp["x_train"].shape == (24, 40, 2) and sp["truth_test"].shape == (12, 40, 2)
    for i in (0, 5):  # the curve drawn beyond the window agrees with the data set's own truth inside it
        curve = spirals.true_curve(sp["start"][i], sp["clockwise"][i], sp["t"])
        torch.testing.assert_close(curve, sp["truth_test"][i], rtol=1e-4, atol=1e-4)
    residual = (sp["x_test"] - sp["truth_test"]).std().item()
    assert residual == pytest.approx(0.1, rel=0.2)  # the noise level asked for


def test_spiral_training_batches_decode_the_window_from_its_start_and_score_what_was_seen(sp):
    t_o, x_o, m_o, t_p, x_p, m_p = spirals.sampler(sp["t"], sp["x_train"], [7], 5)(torch.Generator().manual_seed(0))
    assert torch.equal(t_p, sp["t"])  # z0 at the window's first time, as in testing
    assert bool((t_o[1:] > t_o[:-1]).all()) and x_o.shape[0] == 5 and bool((m_o == 1).all())
    seen = torch.isin(t_p, t_o)
    if len(t_o) == 7:  # a whole-window batch: only the observed points are scored
        assert torch.equal(m_p[:, :, 0] > 0, seen.expand(5, -1))
    else:  # a first-half batch: the observed points and the whole second half
        half = len(t_p) // 2
        assert len(t_o) == 3 and bool((t_o < t_p[half]).all()) and bool((m_p[:, half:] == 1).all())


def test_spiral_scores_follow_the_protocol_and_the_baselines_are_what_they_say(cfg, sp):
    trained = spirals.train(cfg, sp)
    assert trained["curve"]["latent_ode"]["step"] == [2, 3]
    rows = spirals.evaluate(cfg, sp, trained)
    truth, t = sp["truth_test"], sp["t"]
    half = len(t) // 2
    mean = sp["x_train"].mean(0, keepdim=True).expand_as(truth)
    ones = torch.ones_like(truth)
    assert rows["mean_curve"][5]["window"] == pytest.approx(float(masked_rmse(mean, truth, ones)))
    # the window score: each test series alone, at its own observed points, against the clean curve
    model = trained["models"]["latent_ode"]
    t_w, x_w, m_w = spirals.observe(sp, 10, cfg.seed)
    sse = 0.0
    for i in range(len(truth)):
        keep = m_w[i, :, 0] > 0
        pred = model.predict(t_w[keep], x_w[i:i + 1, keep], m_w[i:i + 1, keep], t)
        sse += float(((pred - truth[i:i + 1]) ** 2).sum())
    assert rows["latent_ode"][10]["window"] == pytest.approx((sse / truth.numel()) ** 0.5, rel=1e-4)
    # extrapolation: scored on the second half only, from points in the first half only
    t_h, x_h, m_h = spirals.observe(sp, 5, cfg.seed, first_half=True)
    assert len(t_h) == half and bool((m_h.sum(dim=(1, 2)) == 5 * 2).all())
    last = torch.stack([x_h[i, (m_h[i, :, 0] > 0).nonzero().max()] for i in range(len(x_h))])
    want = masked_rmse(last.unsqueeze(1).expand(-1, len(t) - half, -1), truth[:, half:], ones[:, half:])
    assert rows["last_value"][10]["extrap"] == pytest.approx(float(want))
    draws = spirals.posterior_draws(cfg, sp, trained, n_draws=3)
    assert [f["n_obs"] for f in draws["frames"]] == [3, 10] and len(draws["frames"][0]["seen"]) == 3
    assert len(draws["frames"][0]["draws"]) == 3 and len(draws["t"]) == len(draws["truth"]) == 60
    spread = spirals.posterior_spread(cfg, sp, model, [3, 10], n_series=4)
    assert set(spread["by_count"]) == {3, 10} and len(spread["by_time"]) == 6


def test_rubanova_scaling_divides_by_the_max_not_the_range():
    x = torch.tensor([[[2.0, 0.0, -4.0]], [[6.0, 0.0, -1.0]]])  # (2 series, 1 time, 3 features)
    ones = torch.ones_like(x)
    got = FeatureScaler("rubanova").fit(x, ones).transform(x)
    want = torch.tensor([[[0.0, 0.0, 0.0]], [[4 / 6, 0.0, 3 / -1.0]]])  # max 0 -> 1; a negative max stays
    torch.testing.assert_close(got, want)
    assert not torch.allclose(FeatureScaler("minmax").fit(x, ones).transform(x), got)


def test_per_series_mse_averages_each_series_and_feature_first():
    x = torch.zeros(2, 4, 2)
    pred = x.clone()
    pred[0, 0, 0] = 2.0  # series 0, feature 0: one observed point, error 4
    mask = torch.zeros_like(x)
    mask[0, 0, 0] = 1.0
    mask[1] = 1.0  # series 1: everything observed, no error
    got = per_series_mse(pred, x, mask)
    torch.testing.assert_close(got, torch.tensor([4 / 2, 0.0]))  # feature 1 of series 0: none observed -> 0
    assert float(got.mean()) == pytest.approx(1.0)
    assert float(((pred - x) ** 2 * mask).sum() / mask.sum()) == pytest.approx(4 / 9)  # the old average


def test_hopper_follows_the_published_protocol(cfg):
    data = hopper.hopper_data(cfg)
    raw = nb.data.hopper_trajectories(20, 30, seed=123)
    lo, hi = raw.amin(dim=(0, 1)), raw.amax(dim=(0, 1))
    scaled = (raw - lo) / torch.where(hi == 0, 1.0, hi)
    torch.testing.assert_close(data["extrap"]["train"], scaled[:16])
    torch.testing.assert_close(data["extrap"]["test"], scaled[16:])
    assert (data["n_train"], data["n_test"], data["extrap"]["n_first"]) == (16, 4, 10)
    win = data["interp"]["train"]
    assert win.shape == (16, 12, 14) and torch.equal(data["interp"]["t"], nb.data.hopper_times(30)[:12])
    for i in (0, 7):  # each window is 12 consecutive steps of its own trajectory
        starts = [s for s in range(19) if torch.equal(scaled[i, s:s + 12], win[i])]
        assert starts
    gen = torch.Generator().manual_seed(0)
    t_o, x_o, m_o, t_p, x_p, m_p = hopper.split("extrap", data["extrap"], data["extrap"]["test"], 0.3, gen)
    assert torch.equal(t_o, data["extrap"]["t"][:10]) and torch.equal(t_p, data["extrap"]["t"][10:])
    assert bool((m_o[..., 0].sum(dim=1) == 3).all())  # int(0.3 * 10) points of the first third
    t_o, x_o, m_o, t_p, x_p, m_p = hopper.split("interp", data["interp"], data["interp"]["test"], 0.5, gen)
    assert torch.equal(t_p, t_o) and bool((m_o[..., 0].sum(dim=1) == 6).all()) and bool((m_p == 1).all())


def test_hopper_baselines_and_scores(cfg):
    data = hopper.hopper_data(cfg)
    base = hopper.baseline_mse("extrap", data["extrap"], 0.5, cfg.seed)
    x = data["extrap"]["test"]
    mean = data["extrap"]["train"].mean(0)[10:]
    assert base["mean_traj"] == pytest.approx(float(((x[:, 10:] - mean) ** 2).mean()), rel=1e-5)
    t_o, x_o, m_o, *_ = hopper.split("extrap", data["extrap"], x, 0.5, torch.Generator().manual_seed(cfg.seed + 500))
    last = torch.stack([x_o[i, (m_o[i, :, 0] > 0).nonzero().max()] for i in range(len(x))])
    assert base["last_value"] == pytest.approx(float(((x[:, 10:] - last.unsqueeze(1)) ** 2).mean()), rel=1e-5)


def test_unknown_model_names_list_the_known_ones(cfg):
    with pytest.raises(ValueError, match="expected one of latent_ode, rnn"):
        spirals.build_model("gru", cfg)
    with pytest.raises(ValueError, match="expected one of latent_ode_odernn"):
        hopper.build_model("lstm", cfg)


def test_run_is_json_ready_and_reports_sizes_curves_and_baselines(cfg):
    metrics = ch6.run(cfg)
    json.dumps(to_jsonable(metrics))
    h = metrics["hopper"]
    assert (h["n_train"], h["n_test"], h["window"], h["epochs"]) == (16, 4, 12, 1)
    for task in hopper.TASKS:
        baselines = {"mean_traj", "last_value", "constant_velocity"} if task == "extrap" else {"mean_traj",
                                                                                              "linear_interp"}
        assert set(h["mse"][task]) == set(hopper.MODELS) | baselines
        for name in hopper.MODELS:
            assert set(h["mse"][task][name]) == {0.3, 0.5}
            assert h["curve"][task][name]["step"] == [2, 4]
    assert set(metrics["spirals"]["rmse"]) == {*spirals.MODELS, *spirals.BASELINES}
    assert set(metrics["spirals"]["posterior_spread"]["by_count"]) == {3, 10}


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
        assert set(out["mse"][task]) >= set(physionet.MODELS)
    with pytest.raises(ValueError, match="expected one of latent_ode_odernn"):
        physionet.build_model("gru", small, 41)


def test_spiral_extrapolation_scores_the_whole_window_prediction_sliced_to_the_second_half(cfg, sp):
    # Both models are trained decoding the whole window from t[0]; a prediction started at t[half] would give
    # the RNN decoder a first gap it never saw (issue 20). The score is the whole-window decode, sliced.
    trained = spirals.train(cfg, sp)
    rows = spirals.evaluate(cfg, sp, trained)
    t, truth = sp["t"], sp["truth_test"]
    half = len(t) // 2
    for name in spirals.MODELS:
        t_h, x_h, m_h = spirals.observe(sp, 5, cfg.seed, first_half=True)
        whole = trained["models"][name].predict(t_h, x_h, m_h, t)
        want = masked_rmse(whole[:, half:], truth[:, half:], torch.ones_like(truth[:, half:]))
        assert rows[name][10]["extrap"] == pytest.approx(float(want), rel=1e-5), name


def test_hopper_tables_carry_the_no_learning_baselines_a_reviewer_asks_for(cfg):
    # issue 20: straight lines between the observed points (interpolation) and the line through the last two
    # observed points (extrapolation), scored exactly like the models, beside mean trajectory and last value
    import numpy as np
    data = hopper.hopper_data(cfg)
    part = data["interp"]
    base = hopper.baseline_mse("interp", part, 0.5, cfg.seed)
    assert set(base) == {"mean_traj", "linear_interp"}
    t_o, x_o, m_o, t_p, x_p, m_p = hopper.split("interp", part, part["test"], 0.5,
                                                torch.Generator().manual_seed(cfg.seed + 500))
    tt = t_o.double().numpy()
    err = []
    for i in range(len(x_p)):
        seen = m_o[i, :, 0].numpy() > 0
        lines = np.stack([np.interp(tt, tt[seen], x_o[i, seen, d].double().numpy()) for d in range(14)], -1)
        err.append(((lines - x_p[i].double().numpy()) ** 2).mean())
    assert base["linear_interp"] == pytest.approx(float(np.mean(err)), rel=1e-5)
    ext = hopper.baseline_mse("extrap", data["extrap"], 0.5, cfg.seed)
    assert set(ext) == {"mean_traj", "last_value", "constant_velocity"}
    mse = {task: {**{m: {0.5: 1.0} for m in hopper.MODELS}, **{k: {0.5: v} for k, v in got.items()}}
           for task, got in (("interp", base), ("extrap", ext))}
    table = ch6.report.hopper_table(mse)
    assert "Linear interpolation" in table and "Constant velocity" in table


def test_spiral_tables_carry_linear_interpolation_and_constant_velocity(cfg, sp):
    trained = spirals.train(cfg, sp)
    rows = spirals.evaluate(cfg, sp, trained)
    assert rows["linear_interp"][10]["window"] > 0 and rows["constant_velocity"][10]["extrap"] > 0
    assert "Linear interpolation" in ch6.report.spiral_table(rows, [5, 10])


def test_physionet_as_published_reads_both_sets_keeps_minus_one_and_splits_by_index(cfg, tmp_path):
    from nodebook.data import physionet as pn
    from nodebook.experiments.ch6 import physionet

    folder = pn.write_example(tmp_path, n_patients=4, seed=1)  # set-a: Height -1 in every patient
    pn.write_example(tmp_path, n_patients=3, seed=2, subset="set-b")
    pub = {"protocol": "published", "quantization": 0.1, "latent_dim": 2, "hidden": 4, "width": 6,
           "obs_std": 0.1, "epochs": 1, "batch_size": 4, "lr": 1e-2, "method": "euler"}
    assert physionet.available(folder, pub) and not physionet.available(tmp_path / "none", pub)
    run = dataclasses.replace(cfg, budget={**cfg.budget, "physionet": pub})
    data = physionet.physionet_data(run, folder)
    assert data["protocol"] == "published" and len(data["train"]) + len(data["test"]) == 7  # both sets
    height = pn.PARAMS.index("Height")
    for r in data["train"] + data["test"]:  # -1 kept as an observed value at time 0, as their reader does
        assert r.mask[0, height] == 1 and r.values[0, height] == -1
    book = physionet.physionet_data(dataclasses.replace(run, budget={**cfg.budget, "physionet": {
        **pub, "protocol": "book"}}), folder)
    assert len(book["train"]) + len(book["test"]) == 4 and all(
        r.mask[:, height].sum() == 0 for r in book["train"] + book["test"])
    gen = torch.Generator().manual_seed(0)
    t_o, x_o, m_o, t_p, x_p, m_p = physionet.make_batch(data["train"], data["scaler"], "extrap", gen, "cpu", True)
    n = len(t_o) + len(t_p)
    assert len(t_o) == n // 2 and float(t_p[-1]) == pytest.approx(1.0)  # index split; times over the batch max
    model = physionet.build_model("latent_ode_rnn", run, 41)
    assert len(model.decoder) == 1 and isinstance(model.decoder[0], torch.nn.Linear)  # theirs: linear
    with pytest.raises(ValueError, match="protocol must be 'book' or 'published'"):
        physionet.protocol({"protocol": "paper"})
    out = physionet.run_physionet(run, folder)
    assert out["protocol"] == "published" and set(out["mse"]["extrap"]) >= set(physionet.MODELS)


def _three_seed_hopper(model_values, baseline_values):
    """A merged 3-seed record of Hopper interpolation MSEs at 50% observed (extrapolation a copy)."""
    per_seed = []
    for k in range(3):
        mse = {task: {**{m: {"0.5": v[k]} for m, v in model_values.items()},
                      **{b: {"0.5": v[k]} for b, v in baseline_values.items()}} for task in hopper.TASKS}
        per_seed.append({"hopper": {"mse": mse}})
    return {"chapter": "ch6", "mode": "full", "metrics": per_seed[0],
            "seeds": {"n": 3, "seeds": [0, 1, 2], "per_seed": per_seed, "summary": nb.seeds.summarize(per_seed)}}


def test_reference_tables_show_mean_and_standard_error_and_mark_only_what_two_errors_decide():
    models = {m: (0.010, 0.012, 0.014) for m in hopper.MODELS}  # mean 0.012, se 0.0012
    models["rnn_vae"] = (0.0120, 0.0121, 0.0122)  # mean 0.0121: below the baseline's 0.013, by > 2 se
    baselines = {"mean_traj": (0.013, 0.0131, 0.0129), "linear_interp": (0.013, 0.0131, 0.0129),
                 "last_value": (0.013, 0.0131, 0.0129), "constant_velocity": (0.5, 0.5, 0.5)}
    rec = _three_seed_hopper(models, {b: v for b, v in baselines.items()})
    table = ch6.report.hopper_table(rec["metrics"]["hopper"]["mse"], 0.5, record=rec)
    odernn = next(line for line in table.splitlines() if line.startswith("| Latent ODE (ODE-RNN enc.)"))
    assert "1.20 ± 0.12 (not below a baseline)" in odernn  # 1.20 vs 1.30: within 2 standard errors
    vae = next(line for line in table.splitlines() if line.startswith("| RNN-VAE"))
    assert "1.21 ± 0.01 |" in vae and "not below" not in vae
    # without the record the same numbers are seed 0's, compared by value
    plain = ch6.report.hopper_table(rec["metrics"]["hopper"]["mse"], 0.5)
    assert "| Latent ODE (ODE-RNN enc.) | 1.00 |" in plain and "±" not in plain


def test_chapter6_reference_tables_are_drawn_over_the_seeds():
    text = (nb.results.repo_root() / "chapters" / "06_latent_ode.md").read_text()
    assert text.count("record=record)") >= 2  # spiral_table and hopper_table of the reference run


def test_goals_are_judged_on_the_seeds_not_on_seed_0():
    # The goals once read seed 0 alone while the tables beside them show mean ± se: a seed-0 value that
    # met its target would print "met" under a mean that did not.
    import copy

    from nodebook import seeds as nbseeds

    ref = nb.results.load_results("ch6")
    base = {k: ref[k] for k in ("chapter", "mode", "git_commit")} | {"metrics": ref["metrics"]}
    records = []
    for window in (0.25, 0.40, 0.42):  # seed 0 meets "≤ 0.30", the mean (0.357) does not
        r = copy.deepcopy(base)
        r["metrics"]["spirals"]["rmse"]["latent_ode"]["100"]["window"] = window
        r["metrics"]["spirals"]["rmse"]["rnn"]["100"]["window"] = 0.9
        records.append(r)
    merged = nbseeds.merge(records, [0, 1, 2])
    goal = next(g for g in ch6.report.goals(merged["metrics"], merged) if g["goal"].startswith("spirals, 100"))
    assert goal["value"] == pytest.approx((0.25 + 0.40 + 0.42) / 3) and goal["stat"].n == 3
    assert not goal["met"]
    assert next(g for g in ch6.report.goals(merged["metrics"]) if g["goal"].startswith("spirals, 100"))["met"]
    # below the RNN only beyond 2 combined standard errors: a mean just under it is not "below"
    for r, rnn in zip(records, (0.20, 0.45, 0.30), strict=True):
        r["metrics"]["spirals"]["rmse"]["latent_ode"]["100"]["window"] = 0.29
        r["metrics"]["spirals"]["rmse"]["rnn"]["100"]["window"] = rnn
    merged = nbseeds.merge(records, [0, 1, 2])
    goal = next(g for g in ch6.report.goals(merged["metrics"], merged) if g["goal"].startswith("spirals, 100"))
    assert goal["value"] == pytest.approx(0.29) and not goal["met"]
