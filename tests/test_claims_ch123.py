"""Chapters 1-3, sentence by sentence (issue 26): each corrected statement is generated from the runs or
checked, and the old wording is gone."""

import copy
import json
import re
from pathlib import Path

import pytest

from nodebook.claims import ClaimError, evaluate
from nodebook.experiments import ch1
from nodebook.experiments.ch3 import TORCHDIFFEQ_H100
from nodebook.reports import chapter_rows, results_table
from nodebook.results import load_results

ROOT = Path(__file__).resolve().parents[1]


def _text(stem):
    return " ".join((ROOT / "chapters" / f"{stem}.md").read_text().split())


def _metrics(chapter):
    return copy.deepcopy(load_results(chapter)["metrics"])


def _single(chapter):
    """The chapter's single-seed record from before the 3-seed re-run (frozen in tests/data): the tests below
    name its numbers and its one-seed wording."""
    return json.loads((ROOT / "tests" / "data" / f"{chapter}_single_seed.json").read_text())


# ----------------------------------------------------------------------------------------------- chapter 1
def test_ch1_stiffness_sentence_is_fitted_not_typed():
    text = _text("01_odes_and_solvers")
    assert "grows in proportion to $k$" not in text and "{glue:text}`ch1_claim_stiffness_growth`" in text
    m = _metrics("ch1")
    sentence = evaluate("ch1", m)["stiffness_growth"]
    g = ch1.nfe_growth(m["stiffness_rows"])
    assert f"{g['nfe_slope']:.2f}" in sentence and f"{g['nfe_local_slopes'][-1]:.2f}" in sentence
    assert abs(g["nfe_slope"] - 0.73) < 0.05  # 242 -> 37694 over three decades is not proportional
    # NFE in proportion to k from the start: the words follow the fit
    for r in m["stiffness_rows"]:
        r["nfe"] = int(r["k"] * 4)
    assert "about in proportion to k" in evaluate("ch1", m)["stiffness_growth"]
    for r, nfe in zip(m["stiffness_rows"], (200, 500, 1500, 6000), strict=True):  # sub-linear throughout
        r["nfe"] = nfe
    assert "grows more slowly than k" in evaluate("ch1", m)["stiffness_growth"]
    m["stiffness_rows"][-1]["nfe"] = 100  # NFE falling at the stiffest: "grows" is refused
    with pytest.raises(ClaimError, match="stiffness_growth"):
        evaluate("ch1", m)


def test_ch1_stiffness_fit_is_returned_by_the_experiment():
    rows = [{"k": 10.0, "nfe": 100}, {"k": 100.0, "nfe": 1000}]
    g = ch1.nfe_growth(rows)
    assert g["nfe_slope"] == pytest.approx(1.0) and g["nfe_local_slopes"] == pytest.approx([1.0])


def test_ch1_local_error_order_and_step_comment():
    text = _text("01_odes_and_solvers")
    assert "fifth-order step's local error scales like" not in text
    assert "The local error of a fifth-order step scales like $h^5$" not in text
    assert "a fifth-order method gains a factor" not in text
    assert "$O(h^6)$" in text  # the fifth-order solution's own local error; h^5 is the estimate's
    assert "8 to 1024 steps" not in text
    assert not re.search(r"at \d+ to \d+ steps", text)


def test_ch1_torchdiffeq_nfe_difference_names_both_causes():
    text = _text("01_odes_and_solvers")
    assert "never shrinks the step after an accepted" in text
    assert "so their error estimates and step sequences differ a little" not in text
    sentence = evaluate("ch1", _metrics("ch1"))["torchdiffeq_nfe"]
    assert sentence.startswith("128 against 122 evaluations")
    row = next(r for r in chapter_rows("ch1", _metrics("ch1")) if "dopri5 NFE" in r.result)
    assert "never shrinks" in row.protocol


# ----------------------------------------------------------------------------------------------- chapter 2
def test_ch2_circles_sentences_rendered_with_the_reference_run_do_not_say_not_1():
    ref = evaluate("ch2", _single("ch2"))
    joined = " ".join(ref.values())
    assert "not 1" not in joined and "test accuracy 1.000" in joined
    assert "misclassifies" not in ref["circles_fit"]
    text = _text("02_resnet_euler")
    assert "and not 1" not in text and "stalls" not in text and "does not reach zero loss" not in text
    # the quick page's situation: the words follow the numbers
    m = copy.deepcopy(_single("ch2")["metrics"])
    m["models"]["odenet"].update(test_acc=0.965, train_acc=0.965, test_errors=9)
    quick = evaluate("ch2", m)["circles_fit"]
    assert "misclassifies part of the training sample" in quick and "9 test points" in quick


def test_ch2_cost_is_compared_on_the_same_data_only():
    ref = evaluate("ch2", _single("ch2"))  # a record without test_nfe: no comparison drawn
    assert "says nothing about which is dearer" in ref["circles_cost"]
    m = copy.deepcopy(_single("ch2")["metrics"])
    for name, n in (("resnet", 4), ("odenet", 26), ("anode", 26)):
        m["models"][name]["test_nfe"] = n
    cost = evaluate("ch2", m)["circles_cost"]
    assert "26 evaluations" in cost and "the same number" in cost and "one seed: no verdict" in cost
    assert "expensive to integrate" not in _text("02_resnet_euler")


def test_ch2_loosened_tolerance_is_strictly_looser_than_the_training_one():
    m = copy.deepcopy(_single("ch2")["metrics"])
    sentence = evaluate("ch2", m)["loosened"]
    tol = float(re.search(r"Loosened to (\S+),", sentence).group(1))
    assert tol > 1e-3  # today's glue picked the training tolerance itself ("Loosened to 1e-03")
    assert "falls from 1.000 to 0.987" in sentence
    for r in m["continuous_view"]["tolerance"]:
        r["acc"] = 1.0  # every looser tolerance keeps the accuracy: the loosest is named
    assert evaluate("ch2", m)["loosened"].startswith("Loosened to 1e-01, it costs 26 with the same")
    m["continuous_view"]["tolerance"] = [r for r in m["continuous_view"]["tolerance"] if r["tol"] <= 1e-3]
    with pytest.raises(ClaimError, match="looser than the training one"):
        evaluate("ch2", m)


def test_ch2_wording_flow_thins_never_opens_and_lipschitz_is_sufficient():
    text = _text("02_resnet_euler")
    assert "pulls the ring apart" not in text and "pushed the disk through the gap" not in text
    assert "invertible only when" not in text and "sufficient, not necessary" in text
    assert "within its tolerance of" not in text


def test_ch2_results_row_shows_loss_and_nfe_beside_accuracy():
    rows = chapter_rows("ch2", _metrics("ch2"))
    assert {"final training loss", "evaluations of f"} <= {k for r in rows for k in ("final training loss",
                                                                                  "evaluations of f")
                                                           if k in r.result}


# ----------------------------------------------------------------------------------------------- chapter 3
def test_ch3_h100_figures_carry_a_committed_source_and_name_their_quantity():
    src = ROOT / TORCHDIFFEQ_H100["source"]
    assert src.exists(), src
    rec = json.loads(src.read_text())
    assert {int(k): v for k, v in rec["backprop_mib"].items()} == TORCHDIFFEQ_H100["backprop_mib"]
    assert set(rec["adjoint_mib"].values()) == {TORCHDIFFEQ_H100["adjoint_mib"]}
    assert (rec["dopri5_nfe_rtol_1e-3"]["forward"], rec["dopri5_nfe_rtol_1e-3"]["backward"]) == \
        TORCHDIFFEQ_H100["dopri5_nfe_1e-3"]
    assert "seminorm" in rec["dopri5_nfe_rtol_1e-3"]["adjoint_options"]
    assert "allocator" in rec["quantity"] and rec["problem"]["batch"] == TORCHDIFFEQ_H100["batch"]
    label = TORCHDIFFEQ_H100["label"]
    assert label == "measured for this project with torchdiffeq on one H100, GPU allocator peak, batch 1024"
    text = (ROOT / "chapters" / "03_adjoint.md").read_text()
    assert "tdq['label']" in text and "tdq['source']" in text
    assert "own measurement" not in text and "data-centre" not in text
    assert "paper-numbers" not in (ROOT / "src/nodebook/experiments/ch3/reference.py").read_text()


def test_ch3_ratio_does_not_grow_with_the_batch_and_14_14_is_the_seminorm():
    text = _text("03_adjoint")
    assert "the ratio grows with the batch" not in text
    table = results_table()
    nfe_row = next(line for line in table.splitlines() if "dopri5 NFE forward / backward" in line)
    assert "torchdiffeq's default: 14 / 20" in nfe_row and "with the seminorm" in nfe_row
    assert "14/14" not in table


def test_ch3_nfe_sentences_follow_the_counts():
    m = _metrics("ch3")
    s = evaluate("ch3", m)
    assert s["backward_nfe"].startswith("We do not see Chen et al.'s ratio here")
    for r in m["nfe"]:
        r["nodebook_adjoint_backward_nfe"] = r["nodebook_adjoint_forward_nfe"] // 2
    assert evaluate("ch3", m)["backward_nfe"].startswith("We see Chen et al.'s ratio")
    m["nfe"][0]["torchdiffeq_seminorm_backward_nfe"] = 99  # the seminorm costing more: refused
    with pytest.raises(ClaimError, match="seminorm_nfe"):
        evaluate("ch3", m)


def test_ch2_cost_sentences_are_guarded_and_paper_numbers_glued():
    m = _metrics("ch2")
    s = evaluate("ch2", m)
    assert s["slower"].startswith("each of its training steps took about") and "grew from" in s["nfe_grows"]
    m["nfe_curve"][-1] = 10  # NFE fell during training: "grew" is refused
    m["models"]["odenet"]["ms_per_step"] = 0.5  # faster than the ResNet: "pays in time" is refused
    with pytest.raises(ClaimError) as err:
        evaluate("ch2", m)
    assert {f.key for f in err.value.failures} == {"slower", "nfe_grows"}
    text = _text("02_resnet_euler")
    assert "0.22 M parameters against 0.60 M" not in text and "ch2_paper_params_odenet" in text
    assert "{glue:text}`ch2_evals_anode` evaluations per forward pass instead of" not in text


def test_ch2_verdicts_need_three_seeds_and_compare_losses_on_a_log_scale():
    from nodebook.seeds import merge

    base = _single("ch2")
    recs = []
    for i, (plain, aug) in enumerate(((1e-3, 1e-6), (3e-2, 2e-6), (1e-2, 5e-7))):
        r = copy.deepcopy(base)
        r["seed"] = i
        r["metrics"]["models"]["odenet"]["final_loss"] = plain
        r["metrics"]["models"]["anode"]["final_loss"] = aug
        recs.append(r)
    merged = merge(recs, [0, 1, 2])
    loss = evaluate("ch2", merged)["circles_loss"]
    # on the raw scale one noisy seed hides a 10,000-fold gap; on log10 it is decided
    assert "higher than the augmented model's beyond two standard errors, log10" in loss
    assert "one seed: no verdict" in evaluate("ch2", base)["circles_loss"]
