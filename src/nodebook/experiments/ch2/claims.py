"""Chapter 2's claims: each sentence the page states about its numbers, made from them or refused.

Registered with :func:`nodebook.claims.claim`; the chapter glues ``nb.claims.evaluate("ch2", record)`` for
its own quick run (:func:`nodebook.experiments.ch2.record`), and ``tests/test_claims.py`` checks them on
``results/ch2.json``. Every sentence is written so that it is true of whichever run it is made from: the
quick page, where the plain ODE-Net misclassifies part of the circles, and the reference run, where it
classifies every test point.
"""

from __future__ import annotations

import math

from ..._claims import claim, compare, require
from ...seeds import metrics_of, seed_note, stat, stat_of
from .training import TRAIN_TOL

# For tests/test_claims.py: (claim key, dotted metrics entry, a value that makes the claim false, a piece of the
# error message that shows the number). Every chapter with claims lists at least one.
FLIPS = [("euler_order", "euler_limit.order", 0.5, "p=0.5")]


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


def _all(s, value: float) -> bool:
    return all(v == value for v in s.values)


def _num(s, fmt: str) -> str:
    """A mean, with ± its standard error when there are several seeds."""
    return format(s.mean, fmt) + (f" ± {format(s.se, fmt)}" if s.n > 1 and s.se == s.se else "")


@claim("ch2", "circles_fit")
def circles_fit(record) -> str:
    """What the plain ODE-Net does with the finite sample: the words follow its training and test accuracy
    (in every seed of a merged run)."""
    train, test = stat(record, "models.odenet.train_acc"), stat(record, "models.odenet.test_acc")
    seeds = "" if test.n == 1 else f", in all {test.n} seeds"
    train_words = ("classifies every training point" if _all(train, 1.0)
                   else f"misclassifies part of the training sample (training accuracy {_num(train, '.3f')})")
    if _all(test, 1.0):
        test_words = f"and every test point (test accuracy 1.000){seeds}"
    else:
        try:
            errors = stat(record, "models.odenet.test_errors")
            count = (f"{errors.values[0]:.0f} test point{'s' if errors.values[0] != 1 else ''}" if errors.n == 1
                     else f"{_num(errors, '.1f')} test points")
        except KeyError:  # a record from before test_errors
            count = "part of the test points"
        test_words = f"and {count} (test accuracy {_num(test, '.3f')})"
        if _all(train, 1.0):
            test_words = "but misclassifies " + test_words.removeprefix("and ")
    return f"On this run the plain ODE-Net {train_words} {test_words}."


def _verdict(record, key: str, words: tuple[str, str], log: bool = False) -> str:
    """``compare`` of the plain and the augmented ODE-Net on ``models.<name>.<key>`` (lower is better), in
    words: ``words`` = (what "plain is worse" reads as, what "plain is better" reads as). ``log``: compare
    log10 of the values (losses that differ by orders of magnitude between seeds)."""
    a, b = stat(record, f"models.odenet.{key}"), stat(record, f"models.anode.{key}")
    if log:
        a, b = (stat_of([math.log10(v) for v in s.values]) for s in (a, b))
    v = compare(a, b, higher_is_better=False)
    if v.outcome == "one seed":
        return v.phrase
    said = {"worse": words[0], "better": words[1]}
    scale = "log10 " if log else ""
    return (f"{said[v.outcome]} than the augmented model's beyond two standard errors" if v.decided
            else v.phrase) + f", {scale}{v.numbers}"


@claim("ch2", "circles_loss")
def circles_loss(record) -> str:
    """The training losses side by side (means over seeds), with a verdict only when the seeds allow one."""
    loss = {k: stat(record, f"models.{k}.final_loss") for k in ("odenet", "anode", "resnet")}
    return (f"The plain ODE-Net's training loss ends at {_num(loss['odenet'], '.1e')}, the augmented "
            f"ODE-Net's at {_num(loss['anode'], '.1e')} and the ResNet's at {_num(loss['resnet'], '.1e')} "
            f"(plain against augmented: {_verdict(record, 'final_loss', ('higher', 'lower'), log=True)}).")


@claim("ch2", "circles_cost")
def circles_cost(record) -> str:
    """The cost of the two ODE-Nets on the same data (the test set in one pass), compared only there."""
    try:
        o, a = stat(record, "models.odenet.test_nfe"), stat(record, "models.anode.test_nfe")
    except KeyError:  # a record from before test_nfe: the counts it has are of different batches
        return ("This run did not count both ODE-Nets' evaluations on the same data, so it says nothing "
                "about which is dearer to integrate.")
    verdict = _verdict(record, "test_nfe", ("more", "fewer"))
    head = (f"On the same test points the plain ODE-Net takes {_num(o, '.0f')} evaluations per forward pass "
            f"and the augmented one {_num(a, '.0f')}")
    if o.n < 3:
        relation = "the same number" if o.mean == a.mean else ("more" if o.mean > a.mean else "fewer")
        return f"{head} ({relation}; {verdict})."
    return f"{head}: {verdict}."


@claim("ch2", "slower")
def slower(record) -> str:
    """The ODE-Net's training step against the ResNet's: the words follow the measured times."""
    ode, res = stat(record, "models.odenet.ms_per_step"), stat(record, "models.resnet.ms_per_step")
    r = ode.mean / res.mean
    means = "" if ode.n == 1 else f" (means over {ode.n} seeds)"
    return require(r > 1, "each of its training steps took about {r:.1f} times as long as the ResNet's" + means,
                   r=r, odenet_ms=ode.mean, resnet_ms=res.mean)


@claim("ch2", "nfe_grows")
def nfe_grows(record) -> str:
    """The plain ODE-Net's evaluations per forward pass, first and last training step (seed 0's curve)."""
    curve = metrics_of(record)["nfe_curve"]
    a, b = curve[0], curve[-1]
    return require(b > a, "its NFE grew from {a} evaluations per forward pass at the first training step to "
                   "{b} at the last" + seed_note(record), a=a, b=b)


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
    return require(r["tol"] > train_tol, text + seed_note(record), tol=r["tol"], train_tol=train_tol)
