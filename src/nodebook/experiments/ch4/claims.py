"""Chapter 4's claims: every sentence of the page that compares or judges numbers, made from them or refused.

Each takes a record: the reference run (``results/ch4.json``, one seed or several merged) or the page's quick
run wrapped by :func:`nodebook.claims.as_record`. Verdicts between models need 3 seeds and a difference
above 2 standard errors (:func:`nodebook.claims.compare`); a structural statement the page makes without
a condition is a :func:`~nodebook.claims.require`. Parts of a record a quick run does not measure (the
MLP's recipe check) are left out of the sentence, not invented.
"""

from __future__ import annotations

import math

from ..._claims import claim, compare, require
from ...seeds import Stat, stat, stat_of
from .reference import TREND_TOLERANCE, nfe_trend, pct_stat, per_seed
from .table import LABELS, MNIST1D_PUBLISHED


def _against(s: Stat, value: float, k: float = 2.0) -> str:
    """``s`` against a published number, as the end of a sentence: "above it", "below it" (by more than
    ``k`` standard errors), "indistinguishable from it at this scale", or no verdict under 3 seeds."""
    if s.n < 3 or not math.isfinite(s.se):
        return f"not judged against it ({'one seed' if s.n < 2 else f'{s.n} seeds'}: no verdict)"
    if abs(s.mean - value) <= k * s.se:
        return "indistinguishable from it at this scale"
    return f"{'above' if s.mean > value else 'below'} it by more than {k:g} standard errors"


# One claim per entry made false by one number in a copy of the results file (tests/test_claims.py).
FLIPS = [("parameters", "models.odenet.params", 60000, "res=50186")]

@claim("ch4", "accuracy_order")
def accuracy_order(record) -> str:
    """The ODE-Net's accuracy against the ResNet's and the RK-Net's, with a verdict from the seeds."""
    ode, res, rk = (stat(record, f"models.{k}.test_acc") for k in ("odenet", "resnet", "rknet"))
    nums = (f"the ODE-Net reached {pct_stat(ode)} test accuracy, the ResNet {pct_stat(res)} and the RK-Net "
            f"{pct_stat(rk)}")
    if ode.n < 3:
        return (f"Over {'one seed' if ode.n == 1 else f'{ode.n} seeds'} {nums}: too few seeds for a verdict "
                "(a difference must exceed 2 standard errors over at least 3 seeds).")
    words = []
    for other, name in ((res, "ResNet"), (rk, "RK-Net")):
        v = compare(ode, other)
        words.append({"better": f"higher than the {name}'s", "worse": f"lower than the {name}'s"}.get(
            v.outcome, f"indistinguishable from the {name}'s at this scale"))
    return (f"Over {ode.n} seeds (mean ± standard error) {nums}: the ODE-Net's accuracy is {words[0]} and "
            f"{words[1]}.")


@claim("ch4", "published_cnn")
def published_cnn(record) -> str:
    ode = stat(record, "models.odenet.test_acc")
    cnn = MNIST1D_PUBLISHED["CNN"]
    return (f"The published CNN reaches {100 * cnn:.0f}% on MNIST-1D; the ODE-Net's {pct_stat(ode)} is "
            f"{_against(ode, cnn)}.")


@claim("ch4", "parameters")
def parameters(record) -> str:
    """Structural: RK-Net and ODE-Net share one f, so they have the same parameters, fewer than the ResNet."""
    m = per_seed(record)[0]["models"]
    ode, rk, res = (m[k]["params"] for k in ("odenet", "rknet", "resnet"))
    return require(ode == rk and ode < res, "The ODE-Net and the RK-Net have the same {ode:,} parameters, "
                   "{ratio:.1f} times fewer than the ResNet's {res:,}.", ode=ode, res=res, ratio=res / ode)


@claim("ch4", "mlp")
def mlp(record) -> str:
    """The MLP row against the published MLP, and what the recipe check measured (when the run has it)."""
    s = stat(record, "models.mlp.test_acc")
    pub = MNIST1D_PUBLISHED["MLP"]
    words = (f"The published MLP reaches {100 * pub:.0f}% (Greydanus and Kobak); our 1-layer MLP reached "
             f"{pct_stat(s)}, {_against(s, pub)}")
    if all("mlp_gap" in m for m in per_seed(record)):
        shared = stat(record, "mlp_gap.shared_recipe")
        final, best = stat(record, "mlp_gap.published_final"), stat(record, "mlp_gap.published_best")
        words += (f". Trained like the convolutional models instead, it reached {pct_stat(shared)}: that recipe "
                  f"under-trains it{'' if shared.mean < s.mean else ' (here it did not)'}. Their own MLP with "
                  f"their recipe reached {pct_stat(final)} at the last step and {pct_stat(best)} at its best "
                  f"evaluation, {_against(best, pub).replace(' it', f' {100 * pub:.0f}%', 1)}")
    return words + "."


@claim("ch4", "backward_ratio")
def backward_ratio(record) -> str:
    r = stat(record, "training_nfe.ratio")
    if r.n < 3 or not math.isfinite(r.se):
        return (f"The backward pass took {r.mean:.2f} evaluations per forward one over training (one seed: no "
                "verdict against the one half Chen et al. report).")
    lo, hi = r.mean - 2 * r.se, r.mean + 2 * r.se
    verdict = ("about one half, as Chen et al. report" if 0.4 <= lo and hi <= 0.6 else
               "more than the half Chen et al. report" if lo > 0.6 else
               "less than the half Chen et al. report" if hi < 0.4 else "not clearly one half or not")
    return (f"The backward pass took {r.mean:.2f} ± {r.se:.2f} evaluations per forward one over training "
            f"({r.n} seeds): {verdict}.")


@claim("ch4", "nfe_trend")
def nfe_trend_claim(record) -> str:
    """Did the forward NFE grow over training? Per seed, then the change's mean against its standard error."""
    trends = [nfe_trend(m["training_nfe"]) for m in per_seed(record)]
    change = stat_of(t["change"] for t in trends)
    if change.n >= 3 and math.isfinite(change.se) and abs(change.mean) > max(2 * change.se, TREND_TOLERANCE):
        verdict = "grew" if change.mean > 0 else "fell"
    elif change.n >= 3:
        verdict = "did not change by more than its spread over seeds"
    else:
        verdict = {"grew": "grew", "fell": "fell"}.get(trends[0]["trend"], "did not grow") + " (one seed)"
    return (f"From the first to the last {trends[0]['window']} training steps the forward NFE changed by "
            f"{100 * change.mean:+.0f}%: it {verdict}; the paper's Figure 3d shows it growing over training.")


@claim("ch4", "tolerance_error")
def tolerance_error(record) -> str:
    scan = per_seed(record)[0]["tolerance_scan"]
    errs = [r["test_error_pct"] for r in scan]
    spread = max(errs) - min(errs)
    apart = ("less than one point apart: the cheap solves cost next to nothing in accuracy" if spread < 1
             else f"{spread:.1f} points apart")
    return (f"From tolerance {scan[0]['tol']:.0e} to {scan[-1]['tol']:.0e} the test error stayed between "
            f"{min(errs):.1f}% and {max(errs):.1f}% ({apart}).")


@claim("ch4", "memory")
def memory(record) -> str:
    mem = per_seed(record)[0]["memory_vs_nfe"]
    rk, ode = mem["rknet"], mem["odenet"]
    per_eval = (rk[-1]["memory_mib"] - rk[0]["memory_mib"]) / (rk[-1]["nfe"] - rk[0]["nfe"])
    spread = max(m["memory_mib"] for m in ode) - min(m["memory_mib"] for m in ode)
    grown = rk[-1]["memory_mib"] - rk[0]["memory_mib"]
    shown = per_eval > 0 and spread < 0.25 * grown
    return (f"Backpropagation through RK4 cost {per_eval:.2f} MiB per evaluation of f; the ODE-Net's memory moved "
            f"by {spread:.1f} MiB from {ode[0]['nfe']} to {ode[-1]['nfe']} evaluations"
            + (": O(L̃) against O(1), as in the paper." if shown else
               ": this run does not show the paper's O(L̃) against O(1)."))


@claim("ch4", "slowest")
def slowest(record) -> str:
    m = per_seed(record)[0]["models"]
    ms = {k: r["ms_per_step"] for k, r in m.items()}
    top = max(ms, key=ms.get)
    return (f"The ODE-Net pays in time: a backward solve on top of the forward one; its training step took "
            f"{ms['odenet']:.0f} ms against the RK-Net's {ms['rknet']:.0f} ms"
            + (", the slowest in the table." if top == "odenet" else f"; the slowest was the {LABELS[top]}."))


@claim("ch4", "smoothness")
def smoothness(record) -> str:
    s = per_seed(record)[0]["smoothness"]
    relu, soft = s["relu"], s["softplus"]
    both = relu["nfe_backward"] > soft["nfe_backward"] and relu["grad_error"] > soft["grad_error"]
    return ("ReLU's kinks cost both: more backward evaluations and a less accurate adjoint gradient." if both else
            "On this run ReLU did not cost both more evaluations and a less accurate gradient than softplus.")


@claim("ch4", "crossing")
def crossing(record) -> str:
    c = per_seed(record)[0]["crossing_map"]
    plain, aug = c["0"], c["1"]
    require(plain["final_loss"] >= 1 - 1e-3, "A flow on the line cannot swap two points: its loss is at least 1 "
            "(got {loss:.3f}).", loss=plain["final_loss"])
    lower = aug["final_loss"] < plain["final_loss"]
    cost = ("more" if plain["nfe"] > aug["nfe"] else "fewer" if plain["nfe"] < aug["nfe"] else "as many")
    return (f"The plain flow's loss stayed at {plain['final_loss']:.3f} (the bound is 1); the augmented one "
            + (f"reached {aug['final_loss']:.3f}" if lower else f"did no better ({aug['final_loss']:.3f})")
            + f", and the plain one took {cost} evaluations per forward pass ({plain['nfe']} against {aug['nfe']}).")


@claim("ch4", "circles")
def circles(record) -> str:
    """What separates plain and augmented ODE-Nets on the circles when test accuracy alone may not."""
    c = per_seed(record)[0]["circles"]
    p, a = c["odenet"], c["anode"]
    same = p["test_acc"] == a["test_acc"]
    acc = (f"Both scored {100 * p['test_acc']:.1f}% on the test points, none of which lies in the gap between "
           "disk and ring, so test accuracy cannot tell them apart" if same else
           f"The plain ODE-Net scored {100 * p['test_acc']:.1f}% on the test points, the augmented one "
           f"{100 * a['test_acc']:.1f}%")
    loss = "higher" if p["final_loss"] > a["final_loss"] else "lower" if p["final_loss"] < a["final_loss"] else "equal"
    words = (f"{acc}. The plain ODE-Net ended with a {loss} training loss ({p['final_loss']:.2g} against "
             f"{a['final_loss']:.2g}) at {p['evals']} evaluations per forward pass against {a['evals']}.")
    if "ring_error" in p:
        words += (f" On a dense grid of the ring ({p['radii']} radii × {p['angles']} angles) it labelled "
                  f"{100 * p['ring_error']:.1f}% of the points as disk, with errors on {p['ring_radii_with_error']} "
                  f"of the {p['radii']} radii; the augmented one {100 * a['ring_error']:.1f}%, on "
                  f"{a['ring_radii_with_error']}.")
    return words
