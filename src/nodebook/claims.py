"""Claims as checks: every sentence of a page that compares or judges numbers is made from them, or fails.

A chapter's claims live in ``nodebook/experiments/<chapter>/claims.py``, one function per sentence::

    from nodebook.claims import claim, compare, require
    from nodebook.seeds import stat

    @claim("ch4", "odenet_vs_resnet")
    def odenet_vs_resnet(record):
        v = compare(stat(record, "models.odenet.test_acc"), stat(record, "models.resnet.test_acc"))
        return f"The ODE-Net's test accuracy is {v.phrase} than the ResNet's ({v.numbers})."

    @claim("ch2", "order")
    def order(record):
        p = stat(record, "euler_limit.order").mean
        return require(abs(p - 1) < 0.1, "The gap shrinks like 1/N (fitted order {p:.2f}).", p=p)

A claim takes a results record (as loaded from ``results/<chapter>.json``, or a quick run's metrics) and
returns its sentence, or raises :class:`ClaimError` through :func:`require` when the numbers do not support
it. :func:`evaluate` runs all of a chapter's claims and raises one :class:`ClaimError` listing every
failing one; the chapter glues the sentences it returns, so a page never states what its data contradict.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

from ._claims import (  # noqa: F401 (the public names of the claims mechanism, re-exported)
    PHRASES,
    ClaimError,
    Verdict,
    as_record,
    claim,
    compare,
    evaluate_claims,
    registered_now,
    require,
)


def registered(chapter: str) -> dict[str, Callable[[Mapping], str]]:
    """``chapter``'s claims by key (imports ``nodebook.experiments.<chapter>.claims`` if it exists)."""
    try:
        importlib.import_module(f"nodebook.experiments.{chapter}.claims")
    except ModuleNotFoundError as err:
        if err.name not in (f"nodebook.experiments.{chapter}.claims", f"nodebook.experiments.{chapter}"):
            raise
    return registered_now(chapter)


def evaluate(chapter: str, record: Mapping) -> dict[str, str]:
    """Every claim of ``chapter`` on ``record``: ``{key: sentence}``.

    Raises:
        ClaimError: one or more claims fail (all are listed, each with its sentence and numbers); a claim
            that cannot read its numbers (a missing entry) fails too.
    """
    record = as_record(record)
    return evaluate_claims(chapter, record, registered(chapter))
