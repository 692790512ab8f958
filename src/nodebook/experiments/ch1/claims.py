"""Chapter 1's claims: each sentence the page states about its numbers, made from them or refused.

Registered with :func:`nodebook.claims.claim`; the chapter glues ``nb.claims.evaluate("ch1", record)``
(its own quick run, through :func:`nodebook.experiments.ch1.record`), and ``tests/test_claims.py`` checks
them on ``results/ch1.json``.
"""

from __future__ import annotations

from ..._claims import claim, require
from ...measure import fit_order
from ...seeds import metrics_of, seed_note, stat
from . import nfe_growth

# For tests/test_claims.py: (claim key, dotted metrics entry, a value that makes the claim false, a piece of the
# error message that shows the number). Every chapter with claims lists at least one.
FLIPS = [("orders", "order.rk4", 3.5, "rk4=3.5")]

THEORY = {"euler": 1, "midpoint": 2, "rk4": 4}
ORDER_TOL = 0.1
PROPORTIONAL = 0.9  # a local log-log slope this close to 1 reads as "about in proportion"


@claim("ch1", "orders")
def orders(record) -> str:
    """Each fixed-step method's fitted order is within 0.1 of its theoretical order."""
    got = {m: stat(record, f"order.{m}").mean for m in THEORY}
    return require(all(abs(got[m] - p) <= ORDER_TOL for m, p in THEORY.items()),
                   "The fitted orders are {euler:.2f}, {midpoint:.2f} and {rk4:.2f}: within "
                   f"{ORDER_TOL} of the theory's 1, 2 and 4.", **got)


@claim("ch1", "tolerance_cost")
def tolerance_cost(record) -> str:
    """Dormand–Prince's NFE per tenfold tighter tolerance, at the tight end, near 10^(1/5)."""
    rows = metrics_of(record)["adaptive_rows"]
    tols, nfes = [r["tol"] for r in rows], [r["nfe"] for r in rows]
    factor = 10 ** -fit_order(tols, nfes, finest=4)
    loose = 10 ** -fit_order(tols[:4], nfes[:4], finest=None)  # the four loosest (rows run loose to tight)
    return require(1.2 <= factor <= 2.0 and loose < factor and nfes[-1] > nfes[0],
                   "At the tight end each tenfold tighter tolerance costs about {factor:.2f} times the "
                   "evaluations (fitted on the four tightest), rising toward the 10^(1/5) ≈ 1.58 of a step "
                   "that shrinks like tol^(1/5); at loose tolerances the fixed costs of a solve weigh more "
                   "and the NFE grows more slowly (×{loose:.2f} per tenfold at the loose end)"
                   + seed_note(record) + ".",
                   factor=factor,
                   loose=loose)


@claim("ch1", "torchdiffeq_nfe")
def torchdiffeq_nfe(record) -> str:
    """nodebook's and torchdiffeq's dopri5 NFE on the same problem and tolerance."""
    d = metrics_of(record)["torchdiffeq"]["dopri5"]
    a, b = d["nfe_nodebook"], d["nfe_torchdiffeq"]
    apart = abs(a - b) / max(a, b)
    return require(apart <= 0.25, "{a} against {b} evaluations ({pct:.0f}% apart)" + seed_note(record),
                   a=a, b=b, pct=100 * apart)


@claim("ch1", "stiffness_growth")
def stiffness_growth(record) -> str:
    """How dopri5's NFE grows with the stiffness k: its local log–log slopes, fitted before any word."""
    rows = metrics_of(record)["stiffness_rows"]
    g = nfe_growth(rows)
    local, slope = g["nfe_local_slopes"], g["nfe_slope"]
    factors = [rows[i + 1]["nfe"] / rows[i]["nfe"] for i in range(len(rows) - 1)]
    grows = all(f > 1 for f in factors)
    rising = all(local[i + 1] >= local[i] for i in range(len(local) - 1))
    end = ("so the NFE grows about in proportion to k once the step is held down by stability rather "
           "than accuracy" if local[-1] >= PROPORTIONAL else
           "so even at the stiff end the NFE grows more slowly than k: accuracy, not stability alone, "
           "still sets the step")
    ks = [r["k"] for r in rows]
    tenfold = all(abs(ks[i + 1] / ks[i] - 10) < 1e-9 for i in range(len(ks) - 1))
    per = "per tenfold k" if tenfold else "from one k to the next"
    return require(grows and rising,
                   "The NFE grows with k, from {n0} at k = {k0:,.0f} to {n1} at k = {k1:,.0f}, by "
                   + ", ".join(f"×{f:.1f}" for f in factors) + f" {per}: a log–log slope of "
                   "{slope:.2f} over the whole range, and {last:.2f} between the two stiffest, " + end
                   + seed_note(record) + ".",
                   n0=rows[0]["nfe"], k0=rows[0]["k"], n1=rows[-1]["nfe"], k1=rows[-1]["k"], slope=slope,
                   last=local[-1], local=local)
