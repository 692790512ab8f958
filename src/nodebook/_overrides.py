"""``--set KEY=VALUE`` for ``python -m nodebook reproduce``: parse it, check it against the budget, apply it.

A value must have the type of the entry it replaces (or of the same entry in the chapter's other mode) and a
value the budget would never hold is refused: NaN or infinity, a negative number where every mode's is
>= 0, zero where every mode's is > 0 (a step count, a batch, a tolerance: zero divides by zero or runs
nothing), an empty list where every mode's has items. A table merges into the table it names
(``--set stiff='{"mus": [1]}'`` keeps stiff's other keys). Every refusal is a ``ValueError`` naming the
option and what was expected.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

_MISSING = object()

ZERO_ALLOWED = frozenset({"threads", "kl_warmup", "augment_dim", "weight_decay", "decoder_width", "lams"})
"""Budget keys positive in every mode where 0 still means something: all threads, no KL warm-up, no
augmentation, no weight decay, a linear decoder, no penalty."""


def parse_override(text: str) -> tuple[str, Any]:
    """``"a.b=3"`` -> ``("a.b", 3)``: the value is JSON when it parses as JSON, else the text itself."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise ValueError(f"--set expects KEY=VALUE (e.g. dataset=mnist or spirals.steps=500); got {text!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


_KINDS = ((bool, "true/false"), (int, "an integer"), (float, "a number"), (str, "text"), (list, "a list"),
          (dict, "a table {...}"))  # bool before int: a bool is an int to isinstance


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    return next((name for kind, name in _KINDS if isinstance(value, kind)), type(value).__name__)


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fits(new: Any, like: Any) -> bool:
    """Whether ``new`` may replace a budget entry ``like`` (an int may stand for a float; a list's items
    must fit the items of the list it replaces)."""
    if like is None or new is None:
        return new is like
    if isinstance(like, bool) or isinstance(new, bool):
        return isinstance(like, bool) and isinstance(new, bool)
    if isinstance(like, float):
        return isinstance(new, (int, float))
    if isinstance(like, list):
        return isinstance(new, list) and (not like or all(any(_fits(v, w) for w in like) for v in new))
    return isinstance(new, type(like))


def _check_type(dotted: str, new: Any, old: Any, others: list[Any]) -> None:
    """``new`` must fit the entry it replaces, or the same entry of the chapter's other mode (``null`` is
    accepted where either mode has ``null``, e.g. ``max_patients=null`` for all patients)."""
    likes = [v for v in [old, *others] if v is not _MISSING]
    if all(v is None for v in likes) or any(_fits(new, v) for v in likes):
        return
    raise ValueError(f"--set {dotted}: expected {_describe(old)} like the budget's {_shown(old)}; got "
                     f"{_describe(new)} {json.dumps(new)}")


def _numbers(values: list[Any]) -> list[float]:
    """Every number in ``values``, inside lists and tables too."""
    out: list[float] = []
    for v in values:
        if isinstance(v, (list, tuple)):
            out += _numbers(list(v))
        elif isinstance(v, dict):
            out += _numbers(list(v.values()))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(v)
    return out


def _check_values(dotted: str, new: Any, likes: list[Any]) -> None:
    """Refuse what no mode's budget would hold (see the module's docstring); ``likes``: the entries it
    replaces, this mode's first."""
    if isinstance(new, dict):
        for k, v in new.items():
            _check_values(f"{dotted}.{k}", v, [w[k] for w in likes if isinstance(w, dict) and k in w])
        return
    if not likes:
        return
    shown, nums = _shown(likes[0]), _numbers(likes)
    lists = [w for w in likes if isinstance(w, list)]
    if isinstance(new, list) and not new and lists and all(lists):
        raise ValueError(f"--set {dotted}: expected a non-empty list like the budget's {shown}; got []")
    many = isinstance(new, list)
    for x in new if many else [new]:
        if isinstance(x, bool) or not isinstance(x, (int, float)) or not nums:
            continue
        integer = isinstance(x, int) and all(isinstance(n, int) for n in nums)
        kind = ("integers" if integer else "numbers") if many else ("an integer" if integer else "a number")
        if not math.isfinite(x):
            kind = "finite numbers" if many else "a finite number"
            raise ValueError(f"--set {dotted}: expected {kind} like the budget's {shown}; got {json.dumps(x)}")
        if all(n > 0 for n in nums) and dotted.rsplit(".", 1)[-1] not in ZERO_ALLOWED and x <= 0:
            raise ValueError(f"--set {dotted}: expected {kind} > 0 like the budget's {shown}; got {json.dumps(x)}")
        if all(n >= 0 for n in nums) and x < 0:
            raise ValueError(f"--set {dotted}: expected {kind} >= 0 like the budget's {shown}; got {json.dumps(x)}")


def _lookup(budget: Any, parts: list[str]) -> Any:
    for part in parts:
        if not isinstance(budget, dict) or part not in budget:
            return _MISSING
        budget = budget[part]
    return budget


def _assign(out: dict, dotted: str, value: Any, chapter: str, others: list[dict]) -> None:
    node, parts = out, dotted.split(".")
    for i, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            where = ".".join(parts[:i]) or f"the {chapter} budget".replace("the  budget", "the budget")
            valid = ", ".join(sorted(node)) if isinstance(node, dict) else "(not a table)"
            raise ValueError(f"unknown budget key {dotted!r}: {where} has no {part!r}; valid keys: {valid}")
        if i < len(parts) - 1:
            node = node[part]
    old, likes = node[parts[-1]], [_lookup(o, parts) for o in others]
    if isinstance(value, dict) and isinstance(old, dict):  # merge: the table's other keys stay
        for k, v in value.items():
            _assign(out, f"{dotted}.{k}", v, chapter, others)
        return
    _check_type(dotted, value, old, likes)
    if isinstance(value, dict):  # a table where this mode has one value (ch5's toy_steps): all the keys
        ref = next(w for w in likes if isinstance(w, dict))
        missing, unknown = sorted(set(ref) - set(value)), sorted(set(value) - set(ref))
        if missing or unknown:
            what = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
            raise ValueError(f"--set {dotted}: a table here needs the keys of the other mode's table "
                             f"({', '.join(sorted(ref))}); {what}")
        for k, v in value.items():
            _check_type(f"{dotted}.{k}", v, ref[k], [])
        likes = [ref]
    _check_values(dotted, value, [w for w in [old, *likes] if w is not _MISSING])
    node[parts[-1]] = value


def apply_overrides(budget: dict, overrides: dict[str, Any], chapter: str = "",
                    others: list[dict] | None = None) -> dict:
    """A copy of ``budget`` with each dotted ``key`` set (a table merged into the table it names); a key the
    budget does not have is an error, and so is a value of another type than the entry it replaces or one
    no mode's budget would hold (checked against ``others`` too: the chapter's budgets in its other modes)."""
    out = copy.deepcopy(budget)
    for dotted, value in overrides.items():
        _assign(out, dotted, value, chapter, others or [])
    return out
