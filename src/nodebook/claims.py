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
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .seeds import Stat, format_stat

_REGISTRY: dict[str, dict[str, Callable[[Mapping], str]]] = {}


class ClaimError(ValueError):
    """A claim its numbers do not support: ``chapter``, ``key``, the ``sentence`` and the ``numbers``; or,
    from :func:`evaluate`, several of them in ``failures``."""

    def __init__(self, sentence: str, numbers: Mapping | None = None, *, chapter: str = "?", key: str = "?",
                 failures: list[ClaimError] | None = None):
        self.sentence, self.numbers, self.chapter, self.key = sentence, dict(numbers or {}), chapter, key
        self.failures = failures or [self]
        super().__init__(self._message())

    def _message(self) -> str:
        if len(self.failures) > 1 or self.failures[0] is not self:
            return (f"{len(self.failures)} claim(s) of {self.chapter} not supported by the data:\n"
                    + "\n".join(f"  - {f._message()}" for f in self.failures))
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.numbers.items())
        return f"{self.chapter} claim {self.key!r} does not hold: {self.sentence!r} with {shown or 'no numbers'}"


def _show(v) -> str:
    if isinstance(v, Stat):
        return format_stat(v, digits=4)
    if isinstance(v, float):
        return f"{v:.6g}"
    return repr(v)


def require(condition: bool, sentence: str, **numbers) -> str:
    """``sentence`` (formatted with ``numbers`` when it has ``{fields}``) if ``condition`` holds.

    Raises:
        ClaimError: ``condition`` is false; names the sentence and the numbers (:func:`evaluate` adds the
            chapter and the claim's key).
    """
    text = _format(sentence, numbers)
    if not bool(condition):
        raise ClaimError(text, numbers)
    return text


def _format(sentence: str, numbers: Mapping) -> str:
    if not numbers:
        return sentence
    try:
        return sentence.format(**numbers)
    except (KeyError, IndexError, ValueError):
        return sentence


def claim(chapter: str, key: str) -> Callable:
    """Register the decorated function as ``chapter``'s claim ``key`` (it takes a record, returns a sentence)."""
    def register(fn: Callable[[Mapping], str]) -> Callable[[Mapping], str]:
        _REGISTRY.setdefault(chapter, {})[key] = fn
        return fn
    return register


def registered(chapter: str) -> dict[str, Callable[[Mapping], str]]:
    """``chapter``'s claims by key (imports ``nodebook.experiments.<chapter>.claims`` if it exists)."""
    try:
        importlib.import_module(f"nodebook.experiments.{chapter}.claims")
    except ModuleNotFoundError as err:
        if err.name not in (f"nodebook.experiments.{chapter}.claims", f"nodebook.experiments.{chapter}"):
            raise
    return dict(_REGISTRY.get(chapter, {}))


def as_record(record: Mapping) -> Mapping:
    """A results record as it is; a quick run's metrics (no ``"metrics"`` entry) wrapped as one."""
    if not isinstance(record, Mapping):
        raise TypeError(f"expected a results record (a dict with 'metrics') or a run's metrics; got "
                        f"{type(record).__name__}")
    return record if isinstance(record.get("metrics"), Mapping) else {"metrics": record, "mode": "quick"}


def evaluate(chapter: str, record: Mapping) -> dict[str, str]:
    """Every claim of ``chapter`` on ``record``: ``{key: sentence}``.

    Raises:
        ClaimError: one or more claims fail (all are listed, each with its sentence and numbers); a claim
            that cannot read its numbers (a missing entry) fails too.
    """
    record = as_record(record)
    out, failures = {}, []
    for key, fn in registered(chapter).items():
        try:
            sentence = fn(record)
        except ClaimError as err:
            err.chapter, err.key = chapter, key
            failures.append(err)
            continue
        except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError) as err:
            failures.append(ClaimError(f"(could not be evaluated: {type(err).__name__}: {err})",
                                       chapter=chapter, key=key))
            continue
        if not isinstance(sentence, str):
            raise TypeError(f"{chapter} claim {key!r} must return its sentence (a str); got {type(sentence).__name__}")
        out[key] = sentence
    if failures:
        for f in failures:
            f.args = (f._message(),)
        raise ClaimError(failures[0].sentence, failures[0].numbers, chapter=chapter, key=failures[0].key,
                         failures=failures)
    return out


# --------------------------------------------------------------------------------------------- comparing
PHRASES = {"better": "better", "worse": "worse", "indistinguishable": "indistinguishable at this scale",
           "one seed": "one seed: no verdict"}


@dataclass(frozen=True)
class Verdict:
    """What two measured numbers allow one to say: ``outcome`` is ``"better"`` / ``"worse"`` (``a`` than
    ``b``, beyond ``k`` combined standard errors), ``"indistinguishable"`` or ``"one seed"`` (fewer than 3
    seeds, or no standard error)."""

    outcome: str
    a: Stat
    b: Stat
    diff: float
    margin: float
    k: float

    @property
    def phrase(self) -> str:
        """The house wording: "better", "worse", "indistinguishable at this scale", "one seed: no verdict"
        ("2 seeds: no verdict" for two)."""
        if self.outcome == "one seed" and min(self.a.n, self.b.n) == 2:
            return "2 seeds: no verdict"
        return PHRASES[self.outcome]

    @property
    def decided(self) -> bool:
        return self.outcome in ("better", "worse")

    @property
    def numbers(self) -> str:
        """``"0.955 ± 0.004 (3 seeds) vs 0.961 ± 0.003 (3 seeds)"``."""
        return f"{format_stat(self.a)} vs {format_stat(self.b)}"


def compare(a: Stat, b: Stat, higher_is_better: bool = True, k: float = 2.0) -> Verdict:
    """Whether ``a`` is better or worse than ``b`` by more than ``k * sqrt(se_a² + se_b²)``.

    Raises:
        TypeError: ``a`` or ``b`` is not a :class:`~nodebook.seeds.Stat`.
    """
    for name, s in (("a", a), ("b", b)):
        if not isinstance(s, Stat):
            raise TypeError(f"compare expects two Stat (from nodebook.seeds.stat); got {name}={s!r}")
    diff = a.mean - b.mean
    if min(a.n, b.n) < 3 or not (math.isfinite(a.se) and math.isfinite(b.se)):
        return Verdict("one seed", a, b, diff, math.nan, k)
    margin = k * math.hypot(a.se, b.se)
    if abs(diff) <= margin:
        outcome = "indistinguishable"
    else:
        outcome = "better" if (diff > 0) == higher_is_better else "worse"
    return Verdict(outcome, a, b, diff, margin, k)
