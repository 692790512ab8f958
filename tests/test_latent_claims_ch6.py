"""Chapter 6's comparative sentences: the verdict follows the seeds (beats / loses to / indistinguishable),
one seed gives no verdict, and the RNN-VAE input check tells an input-blind model from one that reads."""

import copy

import pytest

from nodebook.claims import ClaimError, evaluate
from nodebook.experiments.ch6 import claims


def metrics(ode_interp, lin_interp, rnn_vae=(0.05, 0.05)):
    models = {"latent_ode_odernn": {0.1: 0.04, 0.5: ode_interp}, "latent_ode_rnn": {0.1: 0.04, 0.5: ode_interp},
              "rnn_vae": {0.1: rnn_vae[0], 0.5: rnn_vae[1]}}
    return {
        "spirals": {"rmse": {
            "latent_ode": {30: {"window": 0.2, "extrap": 0.3}}, "rnn": {30: {"window": 0.4, "extrap": 0.5}},
            "mean_curve": {30: {"window": 1.0, "extrap": 1.0}}, "linear_interp": {30: {"window": 0.5, "extrap": None}},
            "last_value": {30: {"window": None, "extrap": 0.9}},
            "constant_velocity": {30: {"window": None, "extrap": 1.5}}}},
        "hopper": {"mse": {
            "interp": {**models, "mean_traj": {0.1: 0.05, 0.5: 0.05}, "linear_interp": {0.1: 0.01, 0.5: lin_interp}},
            "extrap": {**copy.deepcopy(models), "mean_traj": {0.1: 0.05, 0.5: 0.05},
                       "last_value": {0.1: 0.04, 0.5: 0.045}, "constant_velocity": {0.1: 0.2, 0.5: 0.3}}}},
    }


def seeds(*per_seed):
    return {"metrics": per_seed[0], "seeds": {"n": len(per_seed), "per_seed": list(per_seed)}}


def test_verdicts_follow_the_seeds():
    worse = seeds(metrics(0.010, 0.002), metrics(0.011, 0.0021), metrics(0.012, 0.0019))
    text = evaluate("ch6", worse)["hopper_vs_baselines"]
    assert "loses to it" in text and "linear interpolation" in text
    better = seeds(metrics(0.001, 0.002), metrics(0.0011, 0.0021), metrics(0.0009, 0.0022))
    assert "beats it" in evaluate("ch6", better)["hopper_vs_baselines"]
    close = seeds(metrics(0.002, 0.002), metrics(0.0025, 0.0021), metrics(0.0015, 0.0022))
    assert "indistinguishable at this scale" in evaluate("ch6", close)["hopper_vs_baselines"]


def test_one_seed_says_which_is_lower_and_gives_no_verdict():
    text = evaluate("ch6", metrics(0.010, 0.002))["hopper_vs_baselines"]
    assert "has a higher error than it" in text and "no verdict" in text and "loses" not in text
    assert "has a lower error than the RNN" in claims.spirals_vs_rnn(metrics(0.01, 0.002))


def test_rnn_vae_that_ignores_its_input_is_named():
    blind = claims.rnn_vae_input(metrics(0.01, 0.002, rnn_vae=(0.05, 0.05)))
    assert "learned nothing from its input" in blind and "the same whatever" in blind
    nearly = claims.rnn_vae_input(metrics(0.01, 0.002, rnn_vae=(0.0502, 0.0501)))
    assert "almost the same" in nearly
    reads = claims.rnn_vae_input(metrics(0.01, 0.002, rnn_vae=(0.05, 0.02)))
    assert "falls as it sees more points" in reads and "no verdict" in reads  # one seed


def test_rnn_vae_falls_only_beyond_two_standard_errors_over_the_seeds():
    falls = seeds(*(metrics(0.01, 0.002, rnn_vae=(0.05 + d, 0.02 + d)) for d in (0.0, 0.001, -0.001)))
    text = claims.rnn_vae_input(falls)
    assert "falls as it sees more points" in text and "(3 seeds)" in text and "no verdict" not in text
    noisy = seeds(*(metrics(0.01, 0.002, rnn_vae=(lo, hi)) for lo, hi in ((0.05, 0.02), (0.03, 0.05), (0.04, 0.03))))
    assert "does not change beyond 2 standard errors" in claims.rnn_vae_input(noisy)


def test_extrapolation_is_harder_for_the_baselines_or_the_page_fails():
    m = metrics(0.01, 0.002)
    assert "line between" in claims.baselines_interp_easier(m)
    m["hopper"]["mse"]["interp"]["linear_interp"][0.5] = 0.5  # a line worse than every extrapolation guess
    with pytest.raises(ClaimError, match="baselines_interp_easier"):
        evaluate("ch6", m)
