"""Chapter 3's experiments (nodebook.experiments.ch3) with tiny budgets, and the benchmark that shares them."""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import json
import math
from pathlib import Path

import pytest
import torch

import nodebook as nb
from nodebook import __main__ as cli
from nodebook import config
from nodebook.experiments import ch3

ROOT = Path(__file__).resolve().parents[1]
F64 = torch.float64


@pytest.fixture
def cfg():
    return nb.setup("ch3", mode="quick", verbose=False, plots=False)


def tiny(cfg, **budget):
    return dataclasses.replace(cfg, budget={**cfg.budget, **budget})


TINY = {"n_steps": [4, 40], "batch": 8, "dim": 8, "width": 32, "repeat": 1, "threads": 1,
        "tolerances": [1e-3, 1e-6], "agreement_steps": [4, 8, 16],
        "failure_tolerances": [1e-3, 1e-5, 1e-7, 1e-9], "segments": 4}


# ------------------------------------------------------------------------------------ memory, measured
def test_adjoint_memory_stays_flat_while_backprop_grows(cfg):
    out = ch3.memory_time(tiny(cfg, **TINY))
    first, last = out["rows"]
    for m in ("nodebook_adjoint", "torchdiffeq_adjoint"):
        assert last[f"{m}_mib"] <= 1.1 * first[f"{m}_mib"], f"{m}: {first[f'{m}_mib']} -> {last[f'{m}_mib']}"
    assert last["backprop_mib"] >= 5 * first["backprop_mib"]
    assert last["backprop_mib"] > last["nodebook_adjoint_mib"]
    assert out["goals"]["adjoint_memory_growth"]["met"]
    assert all(r[f"{m}_ms"] > 0 for r in out["rows"] for m in ch3.METHODS)


def test_mlp_problem_is_reproducible_and_leaves_the_callers_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    func_a, y0_a, t = ch3.mlp_problem(3, dim=4, width=8)
    assert torch.equal(torch.rand(1), expected)
    func_b, y0_b, _ = ch3.mlp_problem(3, dim=4, width=8)
    assert torch.equal(y0_a, y0_b) and y0_a.shape == (3, 4) and t.tolist() == [0.0, 1.0]
    assert all(torch.equal(p, q) for p, q in zip(func_a.parameters(), func_b.parameters(), strict=True))


# ------------------------------------------------------------------------------------ gradients agree
def test_adjoint_gradients_agree_with_backprop_at_rk4s_order(cfg):
    out = ch3.gradient_agreement(tiny(cfg, **TINY), batch=2)
    errs = [r["rel_error"] for r in out["rows"]]
    assert errs == sorted(errs, reverse=True) and errs[-1] < 1e-7, errs
    assert out["order"] == pytest.approx(4, abs=0.4)  # discretisation error, not a bug
    assert out["rk38_vs_torchdiffeq"] < 1e-12  # same discretisation: round-off
    for r in out["rows"]:  # fixed steps: one augmented step per forward step
        assert r["forward_nfe"] == r["backward_nfe"] == 4 * r["steps"]
    with pytest.raises(ValueError, match=r"agreement_steps must be even.*got \[5\]"):
        ch3.gradient_agreement(tiny(cfg, **{**TINY, "agreement_steps": [4, 5]}))


def test_adjoint_by_hand_is_the_chapters_and_matches_the_exact_gradient():
    assert inspect.getsource(ch3.adjoint_by_hand) in (ROOT / "chapters" / "03_adjoint.md").read_text()
    a = torch.tensor([[-0.3, 1.0], [-1.0, -0.2]], dtype=F64)
    z0 = torch.tensor([0.5, -1.0], dtype=F64)

    def loss(z):
        return 0.5 * z.pow(2).sum()

    got = ch3.adjoint_by_hand(lambda t, z, m: m @ z, a, z0, 1.5, loss, n_steps=150)
    a_, z0_ = a.clone().requires_grad_(True), z0.clone().requires_grad_(True)
    exact = torch.autograd.grad(loss(torch.linalg.matrix_exp(1.5 * a_) @ z0_), (z0_, a_))
    assert ch3.relative_error(got, exact) < 1e-8


# ------------------------------------------------------------------------------------- NFE, adaptive
def test_dopri5_nfe_forward_backward_and_seminorm():
    func, y0, t = ch3.mlp_problem(4, dim=4, width=16)
    rows = ch3.dopri5_nfe(func, y0, t, [1e-3, 1e-6])
    for r in rows:
        for name in ("nodebook_adjoint", "torchdiffeq_adjoint", "torchdiffeq_seminorm"):
            assert r[f"{name}_forward_nfe"] > 0 and r[f"{name}_backward_nfe"] > 0
        assert r["torchdiffeq_seminorm_backward_nfe"] <= r["torchdiffeq_adjoint_backward_nfe"]
    assert rows[1]["nodebook_adjoint_forward_nfe"] > rows[0]["nodebook_adjoint_forward_nfe"]


# ---------------------------------------------------------------------------------- failure mode
def test_reconstruction_error_grows_as_the_tolerance_loosens(cfg):
    out = ch3.reconstruction(tiny(cfg, **TINY))
    rows = out["rows"]
    rec = [r["adjoint_reconstruction_error"] for r in rows]
    assert rec == sorted(rec, reverse=True) and rec[0] > 1e4 * rec[-1], rec
    assert rows[0]["adjoint_grad_error"] > 0.5  # at the loosest tolerance the gradient is useless
    for r in rows:
        assert r["adjoint_grad_error"] > 100 * r["backprop_grad_error"]  # backprop does not reconstruct
        assert r["checkpointed_reconstruction_error"] < r["adjoint_reconstruction_error"] / 10
        assert r["checkpointed_grad_error"] < r["adjoint_grad_error"]
    assert rows[-1]["backprop_grad_error"] < 1e-8  # against the exact (1 - e^{-k}) / k
    assert out["exact_grad"] == pytest.approx((1 - math.exp(-10.0)) / 10.0)
    assert list(out["x_error"]) == ["1e-03", "1e-07", "1e-09"]
    for error in out["x_error"].values():  # solved backwards, the error grows towards t = 0
        assert error[-1] > 1e3 * error[0]


def test_checkpointed_adjoint_outputs_and_gradient():
    leaky = ch3.LeakyIntegrator()
    z0 = torch.tensor([1.0, 0.0], dtype=F64)
    t = torch.tensor([0.0, 0.5, 1.0], dtype=F64)
    kw = {"rtol": 1e-9, "atol": 1e-9}
    ys = ch3.checkpointed_adjoint(leaky, z0, t, segments=3, **kw)
    assert ys.shape == (3, 2)
    assert torch.allclose(ys, nb.odeint(leaky, z0, t, **kw).detach(), rtol=0, atol=1e-12)
    (g,) = torch.autograd.grad(ys[-1, 1], leaky.theta)
    assert float(g) == pytest.approx((1 - math.exp(-10.0)) / 10.0, rel=1e-6)
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match=f"segments must be an int >= 1; got {bad!r}"):
            ch3.checkpointed_adjoint(leaky, z0, t, segments=bad, **kw)


# ----------------------------------------------------------------------------------- exercises
def test_exercise_checks_accept_right_and_reject_wrong_answers(capsys):
    z0, theta, t1 = 1.5, -0.7, 2.0
    zt = z0 * math.exp(theta * t1)
    ch3.check_exponential_gradients(zt * math.exp(theta * t1), t1 * zt**2)
    with pytest.raises(AssertionError, match=r"dL/dθ \(z0=1.5, θ=-0.7, t1=2.0\) = .* is too small"):
        ch3.check_exponential_gradients(zt * math.exp(theta * t1), zt**2)

    def by_adjoint(f, w, z0, t_a, t_b, loss_a, loss_b, jump=True):
        w, z0 = w.clone().requires_grad_(True), z0.clone().requires_grad_(True)
        ys = nb.odeint_adjoint(lambda t, z: f(t, z, w), z0, torch.tensor([0.0, t_a, t_b], dtype=F64),
                               method="rk4", options={"step_size": 0.01}, adjoint_params=(w,))
        loss = (loss_a(ys[1]) if jump else 0) + loss_b(ys[2])
        return torch.autograd.grad(loss, (z0, w))

    assert ch3.check_two_times(by_adjoint) < 1e-8
    with pytest.raises(AssertionError, match="add ∂ℓ_a/∂z\\(t_a\\) to a"):
        ch3.check_two_times(lambda *args: by_adjoint(*args, jump=False))
    assert capsys.readouterr().out.count("✓") == 4  # 2 + the wrong answer's right dL/dz0 + 1


# ----------------------------------------------------------------------- results, benchmark, CLI
def test_load_benchmark(tmp_path, monkeypatch):
    monkeypatch.setattr(nb.results, "results_dir", lambda: tmp_path)
    assert ch3.load_benchmark("gpu") is None
    with pytest.raises(ValueError, match="kind must be 'cpu' or 'gpu'; got 'tpu'"):
        ch3.load_benchmark("tpu")


def test_benchmark_cli_prints_and_writes_the_shared_measurement(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("adjoint_memory", ROOT / "benchmarks" / "adjoint_memory.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "bench.json"
    args = ["--device", "cpu", "--steps", "2", "4", "--batch", "2", "--dim", "4", "--width", "8",
            "--repeat", "1", "--tols", "1e-3", "--threads", "0", "--out", str(out)]
    assert bench.main(args) == 0
    record = json.loads(out.read_text())
    assert [r["steps"] for r in record["rk4"]] == [2, 4]
    assert record["dopri5_nfe"][0]["torchdiffeq_seminorm_backward_nfe"] > 0
    printed = capsys.readouterr().out
    assert ch3.format_row(record["rk4"][1]) in printed  # the file holds what was printed
    assert ch3.benchmark_label(record).startswith("CPU")


def test_reproduce_ch3_writes_json(tmp_path, monkeypatch):
    monkeypatch.setattr(nb.results, "results_dir", lambda: tmp_path)
    smaller = {**TINY, "n_steps": [2, 4], "agreement_steps": [2, 4], "tolerances": [1e-3],
               "failure_tolerances": [1e-3, 1e-5, 1e-7]}
    monkeypatch.setitem(config.BUDGETS["ch3"], "quick", {**config.BUDGETS["ch3"]["quick"], **smaller})
    assert cli.main(["reproduce", "3", "--mode", "quick"]) == 0
    metrics = json.loads((tmp_path / "ch3.quick.json").read_text())["metrics"]
    assert set(metrics) == {"memory_time", "nfe", "gradient_agreement", "reconstruction"}
    assert [r["steps"] for r in metrics["memory_time"]["rows"]] == [2, 4]


def test_memory_time_figure_has_a_slider_step_per_step_count():
    rows = [{"steps": n, **{f"{m}_{u}": float(n) for m in ch3.METHODS for u in ("mib", "ms")}} for n in (10, 30)]
    fig = ch3.memory_time_figure(rows, "cpu")
    assert [s.label for s in fig.layout.sliders[0].steps] == ["10", "30"]
    assert len(fig.data) == 2 and list(fig.data[0].y) == [10.0] * 3
