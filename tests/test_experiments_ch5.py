"""Chapter 5's experiment functions, on tiny budgets: what the chapter needs, and the mathematics behind it."""

import dataclasses
import json

import numpy as np
import pytest
import torch

import nodebook as nb
from nodebook.experiments import ch5

TINY = {
    "targets": ["four_modes"], "planar_k": [1, 8], "cnf_m": [1, 8], "cnf_hidden": 8, "kl_rk4_steps": 2,
    "kl_steps": 30, "kl_batch": 64, "kl_lr": 1e-2, "kl_eval": 2000, "toys": ["8gaussians"], "toy_hidden": [16],
    "toy_t1": 1.0, "toy_tol": 1e-2, "toy_steps": 15, "toy_batch": 64, "toy_lr": 1e-2, "eval_tol": 1e-3,
    "n_train": 500, "n_test": 200, "n_samples": 100, "grid": 24, "frames": 3, "hutch_dim": 4,
    "hutch_samples": 20000, "trace_dims": [2, 16], "trace_batch": 8, "trace_repeat": 1,
}


@pytest.fixture(scope="module")
def cfg():
    base = nb.setup("ch5", mode="quick", device="cpu", plots=False, verbose=False)
    return dataclasses.replace(base, budget=dict(TINY))


def test_planar_vs_cnf_reports_a_kl_that_is_nonnegative_and_falls(cfg):
    out = ch5.planar_vs_cnf(cfg)
    assert [(r["kind"], r["size"]) for r in out["rows"]] == [("planar", 1), ("planar", 8), ("cnf", 1), ("cnf", 8)]
    for r in out["rows"]:
        assert r["kl"] > -0.05  # a KL divergence (estimated from 2000 samples) is not negative
        assert np.mean(r["loss"][-5:]) < np.mean(r["loss"][:5])
    # the target's density on the grid is normalised
    cell = (2 * ch5.LIM / (TINY["grid"] - 1)) ** 2
    assert out["targets"]["four_modes"].sum() * cell == pytest.approx(1.0, abs=0.02)


def test_trace_variance_matches_theory(cfg):
    for r in ch5.trace_variance(cfg)["rows"]:
        assert abs(r["mean"] - r["exact"]) < 5 * r["stderr"] + 1e-12
        assert r["var"] == pytest.approx(r["var_theory"], rel=0.1, abs=1e-9)


def test_trace_cost_rows(cfg):
    rows = ch5.trace_cost(cfg)["rows"]
    assert [r["dim"] for r in rows] == [2, 16]
    assert all(r["exact_ms"] > 0 and r["hutchinson_ms"] > 0 for r in rows)


def test_train_toy_learns_and_its_density_is_normalised(cfg):
    r = ch5.train_toy("8gaussians", cfg)
    assert r["test_nll"] < r["loss"][0]
    assert r["mass"] == pytest.approx(1.0, abs=0.05)
    assert len(r["density"]) == len(r["samples"]) == 3 and r["times"][0] == 0.0
    # at t = 0 the density is the base Gaussian's
    axis = torch.as_tensor(r["axis"], dtype=torch.float64)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")
    base = torch.exp(-(xx**2 + yy**2) / 2) / (2 * torch.pi)
    assert np.allclose(r["density"][0], base.numpy(), atol=1e-5)


def test_run_is_json_serialisable(cfg, monkeypatch):
    monkeypatch.setattr(ch5, "planar_vs_cnf", lambda c: {"rows": [{"kind": "planar", "size": 1, "kl": 1.0,
                                                                     "loss": [1.0]}]})
    metrics = ch5.run(cfg)
    json.dumps(nb.results.to_jsonable(metrics))
    assert set(metrics["toys"]["8gaussians"]) == {"test_nll", "mass", "seconds", "ms_per_step", "nfe"}


def test_check_planar_logdet_accepts_the_lemma_and_rejects_a_wrong_answer():
    def right(z, w, u, b):
        psi = (1 - torch.tanh(z @ w + b) ** 2)[:, None] * w
        return torch.log((1 + psi @ u).abs())

    assert ch5.check_planar_logdet(right) < 1e-10
    with pytest.raises(AssertionError, match="matrix determinant lemma"):
        ch5.check_planar_logdet(lambda z, w, u, b: torch.log((1 + w @ u).abs()).expand(len(z)))


def test_adjoint_gradient_matches_backprop_and_nfe_grows_as_tolerance_tightens(cfg):
    r = ch5.train_toy("8gaussians", cfg)
    x = torch.as_tensor(r["data"][:64])
    adj = ch5.adjoint_gradients(cfg, r["model"], x, tol=1e-6)
    assert adj["rel_diff"] < 1e-3 and adj["nfe_backward"] > 0
    rows = ch5.nfe_vs_tolerance(cfg, r["model"], x, [1e-2, 1e-6])
    assert rows[1]["nfe"] > rows[0]["nfe"]
    assert rows[1]["nll"] == pytest.approx(rows[0]["nll"], abs=0.05)
    assert r["model"].solver["rtol"] == TINY["toy_tol"]  # the model's own solver is restored
