"""Chapter 1's claims: each sentence the page states about its numbers, made from them or refused.

Registered with :func:`nodebook.claims.claim`; the chapter glues ``nb.claims.evaluate("ch1", record)``.
"""

from __future__ import annotations

from ...claims import claim, require
from ...seeds import stat

THEORY = {"euler": 1, "midpoint": 2, "rk4": 4}
ORDER_TOL = 0.1


@claim("ch1", "orders")
def orders(record) -> str:
    """Each fixed-step method's fitted order is within 0.1 of its theoretical order."""
    got = {m: stat(record, f"order.{m}").mean for m in THEORY}
    return require(all(abs(got[m] - p) <= ORDER_TOL for m, p in THEORY.items()),
                   "The fitted orders are {euler:.2f}, {midpoint:.2f} and {rk4:.2f}: within "
                   f"{ORDER_TOL} of the theory's 1, 2 and 4.", **got)
