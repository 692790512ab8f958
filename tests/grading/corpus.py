"""Known-wrong answers made from the reference solutions: each must fail the hidden checks.

Numbers: off by 10%, the wrong sign, off by one (counts), a float where a count is asked (NFE 16.4).
Functions: the output with the wrong sign, scaled by 1.01, with an extra axis (shape), in float16 (dtype),
transposed, and a hard-coded constant (the answer to the first input, returned for every input).
"""

from __future__ import annotations

import importlib.util
import numbers
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def solutions(chapter: str) -> dict:
    module = load(ROOT / "tests" / "grading" / f"solutions_{chapter}.py", f"solutions_{chapter}")
    return {k: v for k, v in vars(module).items() if not k.startswith("_") and not isinstance(v, type(torch))}


def hidden(chapter: str):
    return load(ROOT / "book" / "assignments" / "_autograder" / f"{chapter}.py", f"nodebook_hidden_{chapter}")


def _map(out, fn):
    if isinstance(out, torch.Tensor):
        return fn(out)
    if isinstance(out, tuple):
        return tuple(_map(o, fn) for o in out)
    if isinstance(out, bool):
        return not out
    if isinstance(out, numbers.Number):
        return fn(torch.tensor(float(out), dtype=torch.float64)).tolist()
    return out


def _wrap(f, fn):
    def wrong(*args, **kwargs):
        return _map(f(*args, **kwargs), fn)
    return wrong


def _constant(f):
    memo = []

    def wrong(*args, **kwargs):
        if not memo:
            memo.append(f(*args, **kwargs))
        return memo[0]
    return wrong


def wrong_answers(name: str, value) -> dict[str, object]:
    """``{kind: wrong value}`` for one answer of the reference solutions."""
    if isinstance(value, bool):
        return {"negated": not value}
    if isinstance(value, numbers.Integral):
        return {"off by one": value + 1, "a float count": value + 0.4}
    if isinstance(value, numbers.Real):
        out = {"off by 10%": value * 1.1, "sign": -value}
        return {k: v for k, v in out.items() if v != value}
    if callable(value) and not isinstance(value, type):
        return {"sign": _wrap(value, lambda t: -t), "off by 1%": _wrap(value, lambda t: t * 1.01),
                "shape": _wrap(value, lambda t: t.unsqueeze(0)), "dtype": _wrap(value, lambda t: t.half()),
                "transposed": _wrap(value, lambda t: t.mT if t.dim() >= 2 else t.flip(0) if t.numel() > 1 else t + 1),
                "hard-coded constant": _constant(value)}
    return {}
