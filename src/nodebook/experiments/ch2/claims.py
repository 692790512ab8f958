"""Chapter 2's claims: each sentence the page states about its numbers, made from them or refused.

Registered with :func:`nodebook.claims.claim`; the chapter glues ``nb.claims.evaluate("ch2", record)``.
"""

from __future__ import annotations

from ...claims import claim, require
from ...seeds import stat


@claim("ch2", "euler_order")
def euler_order(record) -> str:
    """The ResNet-to-flow gap shrinks like 1/N: fitted order within 0.1 of 1."""
    p = stat(record, "euler_limit.order").mean
    return require(abs(p - 1) <= 0.1, "the gap shrinks like 1/N (fitted order {p:.2f})", p=p)
