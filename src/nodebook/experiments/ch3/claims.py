"""Chapter 3's claims: each sentence the page states about its numbers, made from them or refused.

Registered with :func:`nodebook.claims.claim`; the chapter glues ``nb.claims.evaluate("ch3", record)`` for
its own quick run (``{"memory_time": ..., "nfe": ...}``) and for the reference run, and
``tests/test_claims.py`` checks them on ``results/ch3.json``.
"""

from __future__ import annotations

from ..._claims import claim, require
from ...seeds import metrics_of, seed_note

# For tests/test_claims.py: (claim key, dotted metrics entry, a value that makes the claim false, a piece of the
# error message that shows the number). Every chapter with claims lists at least one.
FLIPS = [("adjoint_memory_flat", "memory_time.rows.-1.nodebook_adjoint_mib", 27.0, "growth=9.99")]

FLAT = 1.1
ABOUT_AS_MANY = 1.25  # backward / forward NFE up to this reads as "about as many"


@claim("ch3", "adjoint_memory_flat")
def adjoint_memory_flat(record) -> str:
    """The adjoint's peak memory stays flat (at most 1.1x) from the fewest to the most steps, while
    backprop's grows."""
    rows = metrics_of(record)["memory_time"]["rows"]
    first, last = rows[0], rows[-1]
    growth = last["nodebook_adjoint_mib"] / first["nodebook_adjoint_mib"]
    bp = last["backprop_mib"] / first["backprop_mib"]
    return require(growth <= FLAT and bp > 2 * growth,
                   "flat (a factor {growth:.3f} from {s0} to {s1} steps, while backprop's memory grew "
                   "{bp:.0f}-fold)" + seed_note(record), s0=first["steps"], s1=last["steps"], growth=growth, bp=bp)


def _ends(record) -> tuple[dict, dict]:
    nfe = metrics_of(record)["nfe"]
    return nfe[0], nfe[-1]


def _pair(r: dict, variant: str) -> tuple[int, int]:
    return r[f"{variant}_forward_nfe"], r[f"{variant}_backward_nfe"]


@claim("ch3", "backward_nfe")
def backward_nfe(record) -> str:
    """Whether the backward solve shows Chen et al.'s "about half the forward NFE", from the counts."""
    lo, hi = _ends(record)
    (fl, bl), (ft, bt) = _pair(lo, "nodebook_adjoint"), _pair(hi, "nodebook_adjoint")
    counts = (f"at tolerance {lo['tol']:.0e} the backward solve takes {bl} evaluations against {fl} forward, "
              f"and at {hi['tol']:.0e}, {bt} against {ft}")
    if bl >= fl and bt >= ft:
        return f"We do not see Chen et al.'s ratio here: {counts}{seed_note(record)}."
    if bl <= 0.6 * fl and bt <= 0.6 * ft:
        return f"We see Chen et al.'s ratio here: {counts}{seed_note(record)}."
    return f"Chen et al.'s ratio shows only in part: {counts}{seed_note(record)}."


@claim("ch3", "seminorm_nfe")
def seminorm_nfe(record) -> str:
    """With torchdiffeq's seminorm the backward solve takes no more evaluations than with its full norm."""
    lo, hi = _ends(record)
    (sfl, sbl), (sft, sbt) = _pair(lo, "torchdiffeq_seminorm"), _pair(hi, "torchdiffeq_seminorm")
    _, dbl = _pair(lo, "torchdiffeq_adjoint")
    _, dbt = _pair(hi, "torchdiffeq_adjoint")
    return require(sbl <= dbl and sbt <= dbt,
                   "With it the backward solve takes {sbl} and {sbt} evaluations against {sfl} and {sft} forward "
                   "(with the full norm: {dbl} and {dbt})" + seed_note(record) + ".",
                   sbl=sbl, sbt=sbt, sfl=sfl, sft=sft, dbl=dbl, dbt=dbt)


@claim("ch3", "backward_summary")
def backward_summary(record) -> str:
    """The summary's line: the full norm's backward NFE against forward, and the seminorm's."""
    rows = metrics_of(record)["nfe"]
    full = [r["nodebook_adjoint_backward_nfe"] / r["nodebook_adjoint_forward_nfe"] for r in rows]
    semi = [r["torchdiffeq_seminorm_backward_nfe"] / r["torchdiffeq_seminorm_forward_nfe"] for r in rows]
    more = "more evaluations than the forward solve" if min(full) > 1 else "no more evaluations than the forward"
    semi_words = ("about as many" if max(semi) <= ABOUT_AS_MANY
                  else f"up to {max(semi):.1f} times as many")
    return (f"with the full error norm its backward solve needed {more} here ({min(full):.2f} to "
            f"{max(full):.2f} times), with a seminorm {semi_words} ({min(semi):.2f} to {max(semi):.2f} "
            f"times){seed_note(record)}.")
