"""Known-wrong answers made from the reference solutions: each must fail the hidden checks.

Numbers: off by 10%, the wrong sign, off by one (counts), a float where a count is asked (NFE 16.4).
Functions: the output with the wrong sign, scaled by 1.01, with an extra axis (shape), in float16 (dtype),
transposed, and a hard-coded constant (the answer to the first input, returned for every input).
"""

from __future__ import annotations

import functools
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


@functools.cache
def _solutions(chapter: str) -> dict:
    module = load(ROOT / "tests" / "grading" / f"solutions_{chapter}.py", f"solutions_{chapter}")
    return {k: v for k, v in vars(module).items() if not k.startswith("_") and not isinstance(v, type(torch))}


def solutions(chapter: str) -> dict:
    """The names a reference solution defines (a fresh dict; the module is run once per process)."""
    return dict(_solutions(chapter))


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
        result = fn(torch.tensor(float(out), dtype=torch.float64))
        return str(float(out)) if result.dtype == torch.int32 else result.tolist()  # dtype: a str for a number
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


def _transposed(t):
    """The layout mixed up: a matrix transposed, or (symmetric ones, vectors) its entries reversed."""
    if t.dim() >= 2 and not torch.equal(t.mT, t):
        return t.mT
    if t.dim() >= 2 and t.shape[-1] > 1:
        return t.flip(-1)
    return t.flip(0) if t.numel() > 1 and not torch.equal(t.flip(0), t) else t + 1


def _res_block_wrong(c: int):
    """The ResNet block without its residual connection (the same layers, z not added back)."""
    nn = torch.nn
    return nn.Sequential(nn.GroupNorm(min(32, c), c), nn.Softplus(), nn.Conv1d(c, c, 3, padding=1),
                         nn.GroupNorm(min(32, c), c), nn.Softplus(), nn.Conv1d(c, c, 3, padding=1),
                         nn.GroupNorm(min(32, c), c))


def _res_block_no_bias(c: int):
    nn = torch.nn
    return nn.Sequential(nn.Conv1d(c, c, 3, padding=1, bias=False))


# exercises that say "with nb.odeint" / "by integrating": a right value from another solver is wrong
REQUIRES_SOLVER = {"adjoint_at_zero", "log_prob", "predictive_cov", "kinetic_energy"}


def _other_solver(f):
    """The same computation with torchdiffeq's odeint in place of nb.odeint (the forbidden method)."""
    import torchdiffeq

    import nodebook

    def wrong(*args, **kwargs):
        saved = nodebook.odeint
        nodebook.odeint = torchdiffeq.odeint
        try:
            return f(*args, **kwargs)
        finally:
            nodebook.odeint = saved
    return wrong


# variants that are right answers after all, and why (not counted as wrong)
NOT_WRONG = {("field", "sign"): "rotating the other way by π also maps every z to -z"}
SPECIAL = {"res_block": {"no residual connection": _res_block_wrong, "wrong layers": _res_block_no_bias}}


def wrong_answers(name: str, value) -> dict[str, object]:
    """``{kind: wrong value}`` for one answer of the reference solutions."""
    if name in SPECIAL:
        return SPECIAL[name]
    if isinstance(value, bool):
        return {"negated": not value}
    if isinstance(value, numbers.Integral):
        return {"off by one": value + 1, "a float count": value + 0.4}
    if isinstance(value, numbers.Real):
        out = {"off by 10%": value * 1.1, "sign": -value}
        return {k: v for k, v in out.items() if v != value}
    if callable(value) and not isinstance(value, type):
        out = {"sign": _wrap(value, lambda t: -t), "off by 1%": _wrap(value, lambda t: t * 1.01),
                "shape": _wrap(value, lambda t: t.unsqueeze(0)), "dtype": _wrap(value, lambda t: t.to(torch.int32)),
                "transposed": _wrap(value, _transposed),
                "hard-coded constant": _constant(value)}
        if name in REQUIRES_SOLVER:
            out["forbidden method (torchdiffeq)"] = _other_solver(value)
        return {k: v for k, v in out.items() if (name, k) not in NOT_WRONG}
    return {}
