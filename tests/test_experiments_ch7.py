"""Chapter 7's experiments at tiny sizes: they run, return plain data, and show what the chapter says."""

from __future__ import annotations

import json

import pytest
import torch

import nodebook as nb
from nodebook.experiments import ch7
from nodebook.results import to_jsonable

TINY = {
    "stiff": {"mus": [1, 40], "t1": 2.0, "tol": 1e-4, "max_steps": 50000, "repeat": 1, "tol_mus": [40],
              "tols": [1e-3, 1e-6]},
    "reg": {"toy": "8gaussians", "hidden": [8], "t1": 1.0, "tol": 1e-3, "eval_tol": 1e-4, "lams": [0.0, 0.5],
            "steps": 3, "batch": 16, "lr": 1e-2, "n_train": 200, "n_test": 50, "eval_every": 2,
            "eval_points": 20},
    "adjoint": {"dim": 2, "width": 8, "batch": 4, "tol": 1e-4, "gain": 1.0, "t1": 2.0, "repeat": 1},
    "devices": {"widths": [4], "batches": [1, 8], "repeat": 2, "compile": False, "compile_width": 4,
                "compile_batches": [1]},
    "precision": {"tols": [1e-3, 1e-5, 1e-7, 1e-9, 1e-11], "t1": 5.0},
}


@pytest.fixture(scope="module")
def cfg():
    c = nb.setup("ch7", mode="quick", plots=False, verbose=False)
    c.budget.clear()
    c.budget.update(TINY)
    return c


def test_budgets_have_the_keys_the_experiments_read():
    for mode in ("quick", "full"):
        budget = nb.config.BUDGETS["ch7"][mode]
        for part, keys in TINY.items():
            assert set(keys) <= set(budget[part]), (mode, part, set(keys) - set(budget[part]))
    assert nb.config.CHAPTERS["ch7"] == "07_practice"


def test_stiffness_sweep_implicit_wins_when_stiff_and_agrees(cfg):
    out = ch7.stiffness_sweep(cfg)
    by = {(r["mu"], r["method"]): r for r in out["rows"]}
    assert by[(1, "dopri5")]["nfe"] < by[(1, "sdirk2")]["nfe"]  # not stiff: the explicit high-order method wins
    assert by[(40, "sdirk2")]["nfe"] < by[(40, "dopri5")]["nfe"]
    for mu in (1, 40):
        assert by[(mu, "dopri5")]["endpoint_diff"] < 1e-2
    assert len(by[(40, "dopri5")]["step_h"]) <= ch7.stiff.MAX_POINTS + 1
    # the window holds a relaxation jump where the problem is stiff (the issue: on [0, 1] in real time,
    # mu = 1000 moved from x = 2 to 1.9993 and showed none)
    assert by[(40, "sdirk2")]["jumps"] >= 1 and by[(40, "dopri5")]["jumps"] >= 1
    tol = {(r["tol"], r["method"]): r for r in out["tol_rows"]}
    # a second-order method pays for a tight tolerance much more than a fifth-order one
    assert tol[(1e-6, "sdirk2")]["nfe"] / tol[(1e-3, "sdirk2")]["nfe"] > \
        tol[(1e-6, "dopri5")]["nfe"] / tol[(1e-3, "dopri5")]["nfe"]


def test_count_jumps():
    assert ch7.stiff.count_jumps([2.0, 1.5, 1.0, -1.9, -1.5, -1.0, 1.9]) == 2
    assert ch7.stiff.count_jumps([2.0, 1.99, 1.98]) == 0


def test_vdp_slow_time_is_real_time_rescaled():
    mu, y = 3.0, torch.tensor([1.5, 0.4], dtype=torch.float64)
    real, slow = ch7.VanDerPol(mu), ch7.VanDerPol(mu, slow_time=True)
    # v_slow = mu * v_real and d/dtau = mu d/dt
    y_real = torch.tensor([1.5, 0.4 / mu], dtype=torch.float64)
    torch.testing.assert_close(slow(0.0, y), mu * torch.stack([real(0.0, y_real)[0], mu * real(0.0, y_real)[1]]))
    with pytest.raises(ValueError, match="mu > 0"):
        ch7.VanDerPol(0.0)


def test_stiff_solve_that_hits_max_steps_is_reported_not_raised():
    r = ch7.solve_vdp(1e3, "dopri5", t1=2.0, tol=1e-4, max_steps=50)
    assert r["failed"] and r["t_reached"] < 1.0 and r["y_end"] is None


def test_regularisation_runs_and_records_nfe(cfg):
    out = ch7.regularisation(cfg)
    assert [r["lam"] for r in out["runs"]] == [0.0, 0.5]
    for r in out["runs"]:
        assert len(r["nfe_train"]) == 3 and r["eval_step"] == [0, 2]
        assert r["final_nfe"] > 0 and r["test_nll"] == r["test_nll"]  # finite
    assert out["runs"][0]["nfe_ratio"] == 1.0 and out["runs"][0]["nll_diff"] == 0.0


def test_seminorm_comparison_has_every_norm(cfg):
    rows = ch7.seminorm_comparison(cfg)["rows"]
    assert {(r["library"], r["norm"]) for r in rows} >= {("nodebook", n) for n in nb.adjoint.NORMS}
    assert all(r["rel_error"] < 1e-2 for r in rows)


def test_device_sweep_and_crossover(cfg):
    out = ch7.device_sweep(cfg)
    assert out["cuda"] == torch.cuda.is_available()
    assert len(out["rows"]) == len(out["targets"]) * 2
    rows = [{"target": "a", "width": 1, "batch": b, "seconds": 1.0} for b in (1, 2, 4)]
    rows += [{"target": "b", "width": 1, "batch": b, "seconds": s} for b, s in ((1, 2.0), (2, 0.5), (4, 0.5))]
    assert ch7.crossover(rows, 1, "b", base="a") == 2
    assert ch7.crossover(rows, 1, "a", base="b") is None


def test_crossover_needs_a_margin_and_separated_repeats():
    def row(t, b, s, q1=None, q3=None):
        return {"target": t, "width": 1, "batch": b, "seconds": s, "q1": q1 or s, "q3": q3 or s}

    base = [row("a", b, 1.0, 0.95, 1.05) for b in (1, 2, 4, 8)]
    # a 3% win is a tie, not a crossover (the old rule called it one)
    tie = [row("b", b, 0.97, 0.9, 1.04) for b in (1, 2, 4, 8)]
    assert ch7.crossover(base + tie, 1, "b", base="a") is None
    # one noisy point where b is ahead does not make a crossover when its repeats overlap the base's
    noisy = [row("b", 1, 1.2), row("b", 2, 1.1), row("b", 4, 0.8, 0.7, 1.0), row("b", 8, 0.5, 0.45, 0.55)]
    assert ch7.crossover(base + noisy, 1, "b", base="a") == 8


def test_precision_float32_floors_float64_does_not(cfg):
    out = ch7.precision_sweep(cfg)
    assert out["float32_floor_tol"] is not None and out["float32_floor_tol"] >= 1e-9
    err = {(r["dtype"], r["tol"]): r["error"] for r in out["rows"]}
    assert err[("float64", 1e-11)] < 1e-8 < err[("float32", 1e-11)]


def test_floor_tolerance_on_made_up_errors():
    rows = [{"dtype": "x", "tol": t, "error": e} for t, e in ((1e-3, 1e-3), (1e-5, 1e-5), (1e-7, 3e-7),
                                                                (1e-9, 4e-7))]
    assert ch7.floor_tolerance(rows, "x") == 1e-7


def test_run_is_json_serialisable(cfg, monkeypatch):
    monkeypatch.setattr(ch7, "regularisation", lambda c, progress=False: {"runs": []})
    json.dumps(to_jsonable(ch7.run(cfg)))


def test_checks_pass_right_answers_and_reject_wrong_ones_without_the_answer(capsys):
    def backward_euler(f, t, y, h):
        z = y.clone()
        for _ in range(60):
            jac = torch.autograd.functional.jacobian(lambda v: f(t + h, v), z)
            z = z - torch.linalg.solve(torch.eye(len(y), dtype=y.dtype) - h * jac, z - y - h * f(t + h, z))
        return z

    ch7.check_backward_euler(backward_euler)
    with pytest.raises(AssertionError, match="not the backward-Euler step") as err:
        ch7.check_backward_euler(lambda f, t, y, h: y + h * f(t, y))  # explicit Euler
    assert "tensor(" not in str(err.value)

    def seminorm(x, n):
        return max(float(x[:n].pow(2).mean().sqrt()), float(x[n:2 * n].pow(2).mean().sqrt()))

    ch7.check_seminorm(seminorm)
    with pytest.raises(AssertionError, match="changes with g"):
        ch7.check_seminorm(lambda x, n: float(x.pow(2).mean().sqrt()))
    assert "✓" in capsys.readouterr().out


def test_figures_draw_quick_and_reference_shaped_data():
    reg = {"runs": [{"lam": lam, "eval_step": [0, 5], "eval_nfe": [20, n], "test_nll": 3.0} for lam, n in
                    ((0.0, 32), (0.1, 26))]}
    fig = ch7.reg_figure(reg, title="t")
    assert len(fig.data) == 2 and list(fig.data[1].y) == [20, 26]
    dev = {"targets": ["a", "b"], "rows": [{"target": t, "width": w, "batch": b, "seconds": 1e-3}
                                           for t in "ab" for w in (4, 8) for b in (1, 2)]}
    fig = ch7.devices_figure(dev, title="t")
    assert len(fig.data) == 4 and [tr.visible for tr in fig.data] == [False, False, True, True]
    assert [s.label for s in fig.layout.sliders[0].steps] == ["4", "8"]


def _record(jumps=2, f32=1e-7, f64=None, nfe_semi=(38, 40, 39), nfe_mixed=(56, 55, 57)):
    row = {"failed": False, "seconds": 1.0, "jumps": jumps}
    stiff = {"rows": [{**row, "mu": 1, "method": "dopri5", "nfe": 50}, {**row, "mu": 1, "method": "sdirk2", "nfe": 900},
                      {**row, "mu": 100, "method": "dopri5", "nfe": 70000},
                      {**row, "mu": 100, "method": "sdirk2", "nfe": 12000}], "tol_rows": []}

    def adjoint(semi, mixed):
        return {"rows": [{"library": "nodebook", "norm": "mixed", "nfe": mixed},
                         {"library": "nodebook", "norm": "seminorm", "nfe": semi}]}

    def metrics(semi, mixed):
        return {"stiff": stiff, "adjoint": adjoint(semi, mixed),
                "reg": {"runs": [{"lam": 0.0, "final_nfe": 50, "nfe_ratio": 1.0, "nll_diff": 0.0},
                                 {"lam": 0.2, "final_nfe": 30, "nfe_ratio": 1.6, "nll_diff": 0.1}]},
                "devices": {"crossover": {"cpu, 2 threads": {"16": 256, "64": None}}, "cuda": False,
                            "margin": 0.1, "repeat": 10},
                "precision": {"float32_floor_tol": f32, "float64_floor_tol": f64}}

    per_seed = [metrics(s, m) for s, m in zip(nfe_semi, nfe_mixed, strict=True)]
    return {"metrics": per_seed[0], "seeds": {"n": 3, "seeds": [0, 1, 2], "per_seed": per_seed,
                                              "summary": nb.seeds.summarize(per_seed)}}


def test_ch7_claims_are_made_from_the_numbers():
    out = nb.claims.evaluate("ch7", _record())
    assert "dopri5 needs 18.0× fewer evaluations" in out["stiff_cost"]
    assert "sdirk2 needs 5.8× fewer evaluations" in out["stiff_cost"]
    assert "holds 2 relaxation jump" in out["stiff_window"]
    assert "No GPU was measured" in out["devices"] and "never within the batches tried" in out["devices"]
    assert out["seminorm_effect"].endswith("fewer.")  # 39 ± 0.5 vs 56 ± 0.5 over 3 seeds
    same = nb.claims.evaluate("ch7", _record(nfe_semi=(50, 60, 55), nfe_mixed=(56, 52, 58)))
    assert "indistinguishable at this scale" in same["seminorm_effect"]


@pytest.mark.parametrize("change, key", [({"jumps": 0}, "stiff_window"), ({"f32": None}, "precision_floor"),
                                         ({"f64": 1e-6}, "precision_floor")])
def test_ch7_claims_fail_when_the_data_contradict_them(change, key):
    with pytest.raises(nb.claims.ClaimError, match=f"ch7 claim '{key}'"):
        nb.claims.evaluate("ch7", _record(**change))


def test_reference_notes_prefix_seed_counts_and_say_whether_a_gpu_was_measured():
    notes = ch7.claims.reference_notes(_record())
    assert set(notes) == set(ch7.claims.REFERENCE_KEYS)
    assert notes["reg_effect"].startswith("In the reference run (3 seed(s), mean ± standard error): ")
    assert "no GPU number on this page is a measurement" in notes["gpu"]
    assert set(ch7.claims.reference_notes(None).values()) == {"No reference run has been committed yet."}
