"""Chapter 3's claims: each sentence the page states about its numbers, made from them or refused.

Registered with :func:`nodebook.claims.claim`; the chapter glues ``nb.claims.evaluate("ch3", record)``.
"""

from __future__ import annotations

from ...claims import claim, require
from ...seeds import metrics_of

FLAT = 1.1


@claim("ch3", "adjoint_memory_flat")
def adjoint_memory_flat(record) -> str:
    """The adjoint's peak memory stays flat (at most 1.1x) from the fewest to the most steps, while
    backprop's grows."""
    rows = metrics_of(record)["memory_time"]["rows"]
    first, last = rows[0], rows[-1]
    growth = last["nodebook_adjoint_mib"] / first["nodebook_adjoint_mib"]
    bp = last["backprop_mib"] / first["backprop_mib"]
    return require(growth <= FLAT and bp > 2 * growth,
                   "From {s0} to {s1} steps the adjoint's peak memory changes by a factor of {growth:.3f} while "
                   "backprop's grows {bp:.0f}-fold.", s0=first["steps"], s1=last["steps"], growth=growth, bp=bp)
