"""The claims mechanism: ``@claim`` registers a chapter's sentence, ``require`` and ``compare`` decide it.

What :mod:`nodebook.claims` documents and re-exports, at the package's lowest floor so that the chapters'
``experiments/<chapter>/claims.py`` can use it; :func:`nodebook.claims.evaluate` (which imports a chapter's
claims before running them) is the face the pages call.
"""

from __future__ import annotations

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


def as_record(record: Mapping) -> Mapping:
    """A results record as it is; a quick run's metrics (no ``"metrics"`` entry) wrapped as one."""
    if not isinstance(record, Mapping):
        raise TypeError(f"expected a results record (a dict with 'metrics') or a run's metrics; got "
                        f"{type(record).__name__}")
    return record if isinstance(record.get("metrics"), Mapping) else {"metrics": record, "mode": "quick"}


def registered_now(chapter: str) -> dict[str, Callable[[Mapping], str]]:
    """``chapter``'s claims by key among those registered so far (:func:`nodebook.claims.registered` imports
    the chapter's claims module first)."""
    return dict(_REGISTRY.get(chapter, {}))


def evaluate_claims(chapter: str, record: Mapping,
                    claims: Mapping[str, Callable[[Mapping], str]] | None = None) -> dict[str, str]:
    """Every claim of ``chapter`` on ``record`` (``claims``: those of :func:`registered_now`): ``{key: sentence}``.

    Raises:
        ClaimError: one or more claims fail (all are listed, each with its sentence and numbers); a claim
            that cannot read its numbers (a missing entry) fails too.
    """
    record = as_record(record)
    out, failures = {}, []
    for key, fn in (registered_now(chapter) if claims is None else claims).items():
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
