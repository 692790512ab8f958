"""Chapter 2's claims: each sentence the page states about its numbers, made from them or refused.

Registered with :func:`nodebook.claims.claim`; the chapter glues ``nb.claims.evaluate("ch2", record)`` for
its own quick run (:func:`nodebook.experiments.ch2.record`), and ``tests/test_claims.py`` checks them on
``results/ch2.json``. Every sentence is written so that it is true of whichever run it is made from: the
quick page, where the plain ODE-Net misclassifies part of the circles, and the reference run, where it
classifies every test point.
"""

from __future__ import annotations

from ...claims import claim, compare, require
from ...seeds import metrics_of, stat
from .training import TRAIN_TOL


@claim("ch2", "euler_order")
def euler_order(record) -> str:
    """The ResNet-to-flow gap shrinks like 1/N: fitted order within 0.1 of 1."""
    p = stat(record, "euler_limit.order").mean
    return require(abs(p - 1) <= 0.1, "the gap halves with each doubling of depth (fitted order {p:.2f})", p=p)


@claim("ch2", "flow_reference")
def flow_reference(record) -> str:
    """The reference flow is solved at a tolerance far below every gap it is compared with."""
    lim = metrics_of(record)["euler_limit"]
    smallest = min(lim["gap"])
    return require(lim["flow_tol"] * 1e4 <= smallest,
                   "at tolerance {tol:.0e}, more than 10,000 times below the smallest gap measured "
                   "({gap:.1e})", tol=lim["flow_tol"], gap=smallest)


def _fit_words(m: dict, name: str, label: str) -> str:
    r = m["models"][name]
    train, test = r["train_acc"], r["test_acc"]
    errors = r.get("test_errors")
    train_words = ("classifies every training point" if train == 1.0
                   else f"misclassifies part of the training sample (training accuracy {train:.3f})")
    if test == 1.0:
        test_words = "and every test point (test accuracy 1.000)"
    elif errors is not None:
        test_words = f"and {errors} test point{'s' if errors != 1 else ''} (test accuracy {test:.3f})"
    else:
        test_words = f"and part of the test points (test accuracy {test:.3f})"
    if train == 1.0 and test < 1.0:
        test_words = "but misclassifies " + test_words.removeprefix("and ")
    return f"the {label} {train_words} {test_words}"


@claim("ch2", "circles_fit")
def circles_fit(record) -> str:
    """What the plain ODE-Net does with the finite sample: the words follow its training and test accuracy."""
    m = metrics_of(record)
    return "On this run " + _fit_words(m, "odenet", "plain ODE-Net") + "."


def _verdict(record, key: str, lower_is_better: bool = True) -> str:
    v = compare(stat(record, f"models.odenet.{key}"), stat(record, f"models.anode.{key}"),
                higher_is_better=not lower_is_better)
    if v.outcome == "one seed":
        return v.phrase
    word = {"better": "lower" if lower_is_better else "higher", "worse": "higher" if lower_is_better else "lower"}
    return (f"{word[v.outcome]} than the augmented model's beyond two standard errors" if v.decided
            else v.phrase) + f", {v.numbers}"


@claim("ch2", "circles_loss")
def circles_loss(record) -> str:
    """The training losses side by side, with a verdict only when the seeds allow one."""
    m = metrics_of(record)["models"]
    return (f"The plain ODE-Net's training loss ends at {m['odenet']['final_loss']:.1e}, the augmented "
            f"ODE-Net's at {m['anode']['final_loss']:.1e} and the ResNet's at {m['resnet']['final_loss']:.1e} "
            f"(plain against augmented: {_verdict(record, 'final_loss')}).")


@claim("ch2", "circles_cost")
def circles_cost(record) -> str:
    """The cost of the two ODE-Nets on the same data (the test set in one pass), compared only there."""
    m = metrics_of(record)["models"]
    if "test_nfe" not in m["odenet"]:  # a record from before test_nfe: the counts are of different batches
        return ("This run did not count both ODE-Nets' evaluations on the same data, so it says nothing "
                "about which is dearer to integrate.")
    o, a = m["odenet"]["test_nfe"], m["anode"]["test_nfe"]
    verdict = _verdict(record, "test_nfe")
    if verdict.startswith(("one seed", "2 seeds")):
        relation = "the same number" if o == a else ("more" if o > a else "fewer")
        return (f"On the same test points the plain ODE-Net takes {o} evaluations per forward pass and the "
                f"augmented one {a} ({relation}; {verdict}).")
    return (f"On the same test points the plain ODE-Net takes {o} evaluations per forward pass and the "
            f"augmented one {a}: {verdict}.")


@claim("ch2", "loosened")
def loosened(record) -> str:
    """What a tolerance strictly looser than the training one costs and keeps, from the tolerance sweep."""
    view = metrics_of(record)["continuous_view"]
    train_tol = view.get("train_tol", TRAIN_TOL)
    rows = view["tolerance"]
    at_train = next(r for r in rows if r["tol"] == train_tol)
    looser = sorted((r for r in rows if r["tol"] > train_tol), key=lambda r: r["tol"])
    require(bool(looser), "the sweep has a tolerance looser than the training one ({t:.0e})", t=train_tol)
    same = [r for r in looser if r["acc"] == at_train["acc"]]
    if same:
        r = same[-1]
        text = (f"Loosened to {r['tol']:.0e}, it costs {r['nfe']} with the same test accuracy, "
                f"{r['acc']:.3f}")
    else:
        r = looser[0]
        text = (f"Loosened to {r['tol']:.0e}, it costs {r['nfe']}, but its test accuracy falls from "
                f"{at_train['acc']:.3f} to {r['acc']:.3f}")
    return require(r["tol"] > train_tol, text, tol=r["tol"], train_tol=train_tol)
