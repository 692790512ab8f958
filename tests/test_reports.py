"""The generated pages (results table, chapter table) and the reference-run readers of Chapters 3 and 4."""

import importlib.util
import json
from pathlib import Path

import pytest

from nodebook import reports, results
from nodebook.config import CHAPTERS
from nodebook.experiments import ch3, ch4

ROOT = Path(__file__).resolve().parents[1]


def _record(chapter, metrics, tmp_path, wall=1234.0):
    path = results.save_results(chapter, metrics, mode="full", device="cpu", wall_time_s=wall, directory=tmp_path)
    return json.loads(path.read_text())


def _ch3_metrics(adj_last=2.75, bp_last=625.0):
    rows = [{"steps": n, "backprop_mib": bp_last * n / 1000, "nodebook_adjoint_mib": 2.7 if n == 10 else adj_last,
             "torchdiffeq_adjoint_mib": 2.6, "backprop_ms": n * 2.0, "nodebook_adjoint_ms": n * 3.0,
             "torchdiffeq_adjoint_ms": n * 3.3}
            for n in (10, 100, 1000)]
    return {"memory_time": {"rows": rows, "batch": 128, "threads": 1, "device_name": "CPU"},
            "nfe": [{"tol": 1e-3, **{f"{v}_{d}_nfe": 14 for v in ("nodebook_adjoint", "torchdiffeq_adjoint",
                                                                     "torchdiffeq_seminorm")
                                     for d in ("forward", "backward")}}],
            "gradient_agreement": {"order": 3.99}}


def _ch4_metrics(ode_acc=0.95, res_acc=0.955, forward=(20, 20, 22, 24)):
    models = {name: {"test_acc": acc, "test_error_pct": 100 * (1 - acc), "params": p, "ms_per_step": 5.0,
                     "memory_mib": 1.0}
              for name, acc, p in (("mlp", 0.6, 15000), ("resnet", res_acc, 90000), ("rknet", 0.94, 40000),
                                   ("odenet", ode_acc, 40000))}
    curve = {"forward": list(forward) * 10, "backward": [10] * (4 * 10), "ratio": 0.5}
    curve["forward"] = sorted(curve["forward"])
    scan = [{"tol": t, "nfe_forward": n, "test_error_pct": e, "time_ms": 1.0, "step_nfe_forward": n,
             "step_nfe_backward": n // 2} for t, n, e in ((1e-1, 14, 6.0), (1e-3, 26, 5.0), (1e-5, 44, 5.1))]
    return {"dataset": "mnist1d", "n_train": 4000, "n_test": 1000, "models": models,
            "baselines": {"chance": 0.1, "majority": 0.112, "majority_class": 3},
            "tolerance_scan": scan, "training_nfe": curve}


# ----------------------------------------------------------------------------------------- results readers
def test_missing_note_and_run_line(tmp_path):
    assert "ch5" in results.missing_note("ch5") and "reproduce ch5 --mode full" in results.missing_note("ch5")
    assert results.run_line(None, "ch5") == results.missing_note("ch5")
    record = _record("ch3", {}, tmp_path, wall=600.0)
    facts = results.run_facts(record)
    assert facts["wall"] == "10 min" and facts["device"].startswith("CPU") and facts["overrides"] == ""
    assert "10 min wall time" in results.run_line(record, "ch3")
    assert list(results.reference_results(tmp_path)) == list(CHAPTERS)
    assert results.reference_results(tmp_path)["ch4"] is None


# ----------------------------------------------------------------------------------------- results table
def test_results_table_says_which_runs_are_missing(tmp_path):
    table = reports.results_table(tmp_path)
    lines = table.splitlines()
    assert len(lines) == 2 + len(CHAPTERS)  # header, rule, one line per chapter
    for key in CHAPTERS:
        assert results.missing_note(key).replace("|", "\\|") in table


def test_results_table_rows_come_from_each_chapter_record(tmp_path):
    _record("ch3", _ch3_metrics(), tmp_path)
    _record("ch4", _ch4_metrics(), tmp_path)
    table = reports.results_table(tmp_path)
    assert "227× (met)" in table and "ODE-Net: test accuracy" in table  # 625 / 2.75 MiB
    assert "commit" in table and "21 min" in table  # the run's wall time (1234 s)


def test_ch3_rows_judge_the_reference_goals():
    rows = reports.chapter_rows("ch3", _ch3_metrics(adj_last=2.75, bp_last=625.0))
    ratio = next(r for r in rows if r.result.startswith("backprop ÷ adjoint"))
    assert ratio.ours == "227× (met)"
    growth = next(r for r in rows if r.result.startswith("adjoint memory"))
    assert growth.ours.endswith("(met)")
    missed = reports.chapter_rows("ch3", _ch3_metrics(adj_last=3.2, bp_last=400.0))
    assert next(r for r in missed if r.result.startswith("backprop")).ours.endswith("(missed)")
    assert next(r for r in missed if r.result.startswith("adjoint memory")).ours.endswith("(missed)")


def test_rows_survive_records_of_other_shapes():
    # chapters 5 and 6 as their run() returns them today, with keys left out
    ch5 = {"planar_vs_cnf": [{"target": t, "kind": k, "size": 1, "kl": v}
                             for t in ("ring", "wave") for k, v in (("planar", 0.5), ("cnf", 0.4))],
           "kl_base": {"ring": 4.56},
           "toys": {"8gaussians": {"test_nll": 2.9}, "checkerboard": {"test_nll": 3.5, "optimum": 3.466}}}
    rows = reports.chapter_rows("ch5", ch5)
    # the optimum is the quadrature entropy for every known density (8gaussians 2.832), log 32 for the checkerboard
    assert any("optimum 3.466" in r.ours for r in rows) and any(r.ours.startswith("2.900 (optimum 2.83") for r in rows)
    assert [r.ours for r in rows[:2]] == ["1: 0.50 / 0.40 (the base density alone: 4.56)", "1: 0.50 / 0.40"]
    ch6 = {"spirals": {"rmse": {"latent_ode": {"30": {"window": 0.2}, "50": {"window": 0.18}}}},
           "hopper": {"mse": {"interp": {"latent_ode_odernn": {"0.5": 0.004}, "mean_traj": {"0.5": 0.05}},
                              "extrap": {"latent_ode_odernn": {"0.1": 0.3, "0.5": 0.02}}}, "epochs": 50}}
    rows = reports.chapter_rows("ch6", ch6)
    assert rows[0].paper.startswith("0.1642 / 0.1502")
    assert rows[1].ours == "0.4 / 2" and rows[2].ours == "5 / –" and rows[2].paper == "– (baseline)"
    old = reports.chapter_rows("ch6", {"hopper": {"mse": {"interp": {"rnn_vae": {"0.5": 0.01}},
                                                         "extrap": {"rnn_vae": 0.03}}}})  # one extrap number
    assert old[0].ours == "1 / 3"
    for key in ("ch1", "ch2", "ch4", "ch5", "ch6"):
        assert reports.chapter_rows(key, {}) == [] or all(isinstance(r, reports.Row) for r in
                                                          reports.chapter_rows(key, {}))
    broken = reports.chapter_rows("ch3", {"memory_time": {"rows": []}})
    assert broken[0].result == "(this record could not be read)" and "IndexError" in broken[0].ours


def test_markdown_table_checks_its_rows():
    assert reports.markdown_table(["a", "b"], [["x|y", "z"]]).splitlines()[-1] == "| x\\|y | z |"
    with pytest.raises(ValueError, match="row 0 has 1 cells; expected 2"):
        reports.markdown_table(["a", "b"], [["x"]])


# ----------------------------------------------------------------------------------------- chapter table
def test_chapter_table_reads_the_chapters_and_the_runs(tmp_path):
    _record("ch2", {}, tmp_path, wall=90.0)
    table = reports.chapter_table({"ch1": 33.4}, directory=tmp_path)
    lines = table.splitlines()[2:]
    assert len(lines) == len(CHAPTERS)
    assert "| 33 s |" in lines[0] and "not measured in this build" in lines[1]
    assert "90 s on CPU" in lines[1] and "not committed yet" in lines[0]
    assert "{doc}`../chapters/03_adjoint`" in lines[2]
    assert "coming" not in table
    assert reports.chapter_line("ch4").startswith("Chen et al. showed")  # "et al." does not end a sentence
    assert reports.chapter_title("ch3").startswith("Backpropagating through an ODE")


# ----------------------------------------------------------------------------------------- chapters 3 and 4
def test_ch3_reference_summary(tmp_path):
    assert ch3.reference_summary(None) is None
    s = ch3.reference_summary(_record("ch3", _ch3_metrics(), tmp_path))
    assert s["ratio"] == pytest.approx(625 / 2.75) and s["ratio_met"]
    assert s["growth"] == pytest.approx(2.75 / 2.7) and s["growth_met"]
    assert s["slower"] == pytest.approx(1.5) and s["steps_last"] == 1000
    assert s["table"].count("\n") == 1 + 3  # two header lines, three rows
    assert ch3.GPU_VARIANT in (ROOT / "chapters" / "03_adjoint.md").read_text()  # the documented command


def test_ch4_baselines_and_goals():
    import torch

    base = ch4.baselines(torch.tensor([0, 1, 1, 2]), torch.tensor([1, 1, 0, 2, 2]), n_classes=4)
    assert base == {"chance": 0.25, "majority": pytest.approx(0.4), "majority_class": 1}
    g = ch4.reference_goals(_ch4_metrics(ode_acc=0.95, res_acc=0.955))
    assert g["accuracy"]["met"] and g["gap_points"]["value"] == pytest.approx(0.5) and g["params"]["met"]
    g = ch4.reference_goals(_ch4_metrics(ode_acc=0.93, res_acc=0.96))
    assert not g["accuracy"]["met"] and not g["gap_points"]["met"]
    assert ch4.reference_baselines({"dataset": "digits"}) is None
    assert ch4.reference_baselines({"dataset": "MNIST-1D", "baselines": {"chance": 0.1}}) == {"chance": 0.1}


def test_ch4_nfe_trend():
    grew = ch4.nfe_trend({"forward": [20] * 30 + [26] * 30, "backward": [10] * 60}, window=10)
    assert grew["grew"] and grew["forward_first"] == 20 and grew["forward_last"] == 26
    fell = ch4.nfe_trend({"forward": [26] * 30 + [20] * 30, "backward": [10] * 60})
    assert not fell["grew"] and fell["window"] == 10 and fell["trend"] == "fell"
    # the reference run's shape: up early, back to where it started (a change under 5% is flat)
    bump = ch4.nfe_trend({"forward": [26] * 100 + [32] * 100 + [26] * 99 + [32], "backward": [10] * 300},
                         window=100)
    assert bump["trend"] == "flat" and bump["peak_mean"] == 32 and (bump["peak_from"], bump["peak_to"]) == (101, 200)
    words = ch4.trend_words(bump)
    assert "did **not** grow" in words and "It rose early, to 32.0 on average over steps 101–200" in words


def test_ch4_table1_markdown(tmp_path):
    assert ch4.table1_markdown(None) == results.missing_note("ch4")
    record = _record("ch4", _ch4_metrics(), tmp_path)
    table = ch4.table1_markdown(record)
    lines = table.splitlines()
    assert len(lines) == 2 + 4 + 4  # header, rule, four models, chance, majority, published MLP and CNN
    assert "| chance (uniform guess) | 10.0% |" in table and "majority class (3) | 11.2%" in table
    side = ch4.table1_markdown(record, quick={"odenet": {"test_acc": 0.5}})
    assert "this page (quick)" in side and "| 50.0% |" in side


# ----------------------------------------------------------------------------------------- the Sphinx extension
def _extension():
    spec = importlib.util.spec_from_file_location("nodebook_generated", ROOT / "book/_ext/nodebook_generated.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_extension_reads_generated_pages_last_and_fills_their_markers():
    ext = _extension()
    docs = ["book/index", "book/results", "chapters/01_odes_and_solvers"]
    ext.read_last(None, None, docs)
    assert docs == ["chapters/01_odes_and_solvers", "book/index", "book/results"]

    class Env:
        nb_metadata = {"chapters/03_adjoint": {"exec_data": {"runtime": 42.0, "succeeded": True}}}
        found_docs = {"book/index", "book/results"}

    class App:
        env = Env()

    assert ext.chapter_runtimes(App.env) == {"ch3": 42.0}
    assert ext.always_reread(App, App.env, set(), {"book/index"}, set()) == ["book/results"]
    source = [f"# Title\n\n{ext.MARKERS['book/index']}\n"]
    ext.fill(App, "book/index", source)
    assert "| 42 s |" in source[0] and ext.MARKERS["book/index"] not in source[0]
    for doc, marker in ext.MARKERS.items():  # the pages keep their markers
        assert marker in (ROOT / f"{doc}.md").read_text()


def test_ch4_initial_nfe_is_the_untrained_reference_model():
    import dataclasses

    import nodebook as nb

    cfg = nb.setup("ch4", mode="quick", device="cpu", plots=False, verbose=False)
    tiny = {**cfg.budget, "dataset": "digits", "n_train": 64, "n_test": 32, "channels": 4, "scan_test": 16}
    rows = ch4.initial_nfe(dataclasses.replace(cfg, budget=tiny), tolerances=[1e-1, 1e-3, 1e-5])
    assert [r["tol"] for r in rows] == [1e-1, 1e-3, 1e-5]
    nfes = [r["nfe_forward"] for r in rows]
    assert nfes == sorted(nfes) and nfes[-1] > nfes[0]
    again = ch4.initial_nfe(dataclasses.replace(cfg, budget=tiny), tolerances=[1e-3])
    assert again[0]["nfe_forward"] == rows[1]["nfe_forward"]  # same seed, same model


def test_ch4_nfe_growth_words_say_what_the_numbers_say():
    before = [{"tol": t, "nfe_forward": n} for t, n in ((1e-1, 14), (1e-3, 20), (1e-5, 32))]
    harder = [{"tol": t, "nfe_forward": n} for t, n in ((1e-1, 14), (1e-3, 20), (1e-5, 50))]
    budget = {"train_tol": 1e-3, "weight_decay": 1e-4}
    flat = ch4.nfe_trend({"forward": [20] * 40, "backward": [10] * 40}, window=10)
    text = ch4.nfe_growth_words(before, harder, flat, budget)
    assert "did **not** grow" in text and "took 20 and 20 evaluations at the training tolerance 1e-03" in text
    assert "that tolerance hides the growth" in text
    assert "harder to integrate at 1 of the 3 tolerances (most at 1e-05)" in text and "Weight decay 0.0001" in text
    grew = ch4.nfe_trend({"forward": [20] * 20 + [26] * 20, "backward": [10] * 40}, window=10)
    text = ch4.nfe_growth_words(before, before, grew, budget)
    assert "**grew**" in text and "At no tolerance" in text and "weight decay" not in text.lower()


# ------------------------------------------------------------------ one missing metric (issue 21)
def test_one_null_metric_leaves_the_other_rows_of_the_chapter(tmp_path):
    m = _ch4_metrics()
    m["models"]["odenet"]["test_acc"] = None
    rows = reports.chapter_rows("ch4", m)
    texts = [r.result for r in rows]
    assert "(this record could not be read)" not in texts
    assert any(t.startswith("ResNet") for t in texts) and any(t.startswith("tolerance") for t in texts)
    # the missing number is shown as missing: in its own row ("–") or, where a row cannot be made, in a note
    note = [r for r in rows if r.result.startswith("(missing in this record")]
    ode = next(r for r in rows if r.result.startswith("ODE-Net: test accuracy"))
    assert ode.ours.startswith("–") or (len(note) == 1 and "models.odenet.test_acc" in note[0].ours)
    _record("ch4", m, tmp_path)
    table = reports.results_table(tmp_path)
    assert "could not be read" not in table and "ResNet" in table


@pytest.mark.parametrize("chapter, metrics, path", [
    ("ch1", {"order": {"euler": 1.0, "midpoint": 2.0, "rk4": 4.0},
             "torchdiffeq": {"dopri5": {"tol": None, "nfe_nodebook": 20, "nfe_torchdiffeq": 20}}},
     "torchdiffeq.dopri5.tol"),
    ("ch4", {**_ch4_metrics(), "training_nfe": {"forward": [20, float("nan")] * 20, "backward": [10] * 40,
                                                 "ratio": 0.5}}, "training_nfe.forward[1]"),
    ("ch3", {**_ch3_metrics(), "gradient_agreement": {"order": float("nan")}}, "gradient_agreement.order"),
])
def test_a_null_or_nan_metric_is_shown_missing_not_as_nan(chapter, metrics, path):
    rows = reports.chapter_rows(chapter, metrics)
    assert rows and all(r.result != "(this record could not be read)" for r in rows), rows
    assert not any("nan" in r.ours for r in rows), rows
    assert len(rows) >= 2  # the other rows of the chapter are still there
    assert any(path in r.ours for r in rows if r.result.startswith("(missing in this record")), rows


# ----------------------------------------------------------------------------------------- seeds in the table
def _merged(chapter, per_seed, tmp_path):
    from nodebook.seeds import merge

    recs = [dict(_record(chapter, m, tmp_path), seed=i) for i, m in enumerate(per_seed)]
    merged = merge(recs, list(range(len(recs))))
    (tmp_path / f"{chapter}.json").write_text(json.dumps(merged))
    return merged


def test_results_table_shows_seeds_and_mean_and_standard_error(tmp_path):
    _merged("ch4", [_ch4_metrics(ode_acc=a) for a in (0.95, 0.96, 0.97)], tmp_path)
    _record("ch3", _ch3_metrics(), tmp_path)
    table = reports.results_table(tmp_path)
    ode = next(line for line in table.splitlines() if "ODE-Net: test accuracy" in line)
    assert "3 seeds (0, 1, 2)" in ode and "96% ± 0.58%" in ode  # mean 0.96, se 0.01/sqrt(3)
    unkeyed = next(line for line in table.splitlines() if "trivial baselines" in line)
    assert "(seed 0)" in unkeyed  # a row without per-seed keys says it shows seed 0
    ch3_lines = [line for line in table.splitlines() if "backprop ÷ adjoint" in line]
    assert ch3_lines and "| 1 seed |" in ch3_lines[0]


def test_every_row_of_the_committed_results_says_how_our_protocol_differs():
    table = reports.results_table()
    header, _, *rows = table.splitlines()
    assert header.split("|")[-2].strip() == "how our protocol differs"
    for row in rows:
        cells = [c.strip() for c in row.split("|")[1:-1]]
        assert cells[-1] and cells[-1] != "–", row
        assert cells[3] == "1 seed" or cells[3].endswith(")") and "seeds" in cells[3], row


def test_chapter_2_row_shows_what_separates_the_models_when_all_are_at_100_percent():
    m = json.loads((ROOT / "tests" / "data" / "ch2_single_seed.json").read_text())["metrics"]  # before test_nfe
    rows = reports.chapter_rows("ch2", m)
    results_ = [r.result for r in rows]
    assert any("final training loss" in r for r in results_) and any("evaluations of f" in r for r in results_)
    evals = next(r for r in rows if "evaluations of f" in r.result)
    assert "last training batch" in evals.result  # the committed record has no test-set counts
    assert evals.ours == " / ".join(str(m["models"][k]["evals"]) for k in ("resnet", "odenet", "anode"))
    for k, n in (("resnet", 4), ("odenet", 30), ("anode", 26)):
        m["models"][k]["test_nfe"] = n
    evals = next(r for r in reports.chapter_rows("ch2", m) if "evaluations of f" in r.result)
    assert "on the test set" in evals.result and evals.ours == "4 / 30 / 26"
    acc = next(r for r in rows if "test accuracy" in r.result)
    assert "cannot separate them" not in acc.paper  # the finite sample can be separated; the page says which
