"""Settings of :func:`nodebook.odeint_adjoint`, checked at the call rather than at ``backward()``."""

from __future__ import annotations

import torch

from .solvers import SOLVERS, SolverStats, _check


def find_params(func, adjoint_params) -> tuple[torch.Tensor, ...]:
    """The tensors to differentiate: ``adjoint_params`` or ``func.parameters()``, those requiring grad."""
    if adjoint_params is None:
        if not isinstance(func, torch.nn.Module):
            raise TypeError(
                "func must be a torch.nn.Module so odeint_adjoint can find the parameters to differentiate, "
                f"or pass them as adjoint_params=(...) (adjoint_params=() if there are none); "
                f"got {type(func).__name__}")
        adjoint_params = func.parameters()
    if isinstance(adjoint_params, torch.Tensor):
        raise TypeError("adjoint_params must be an iterable of tensors such as (w, b) or model.parameters(); "
                        f"got a single tensor of shape {tuple(adjoint_params.shape)} (wrap it: (w,))")
    params = tuple(adjoint_params)
    for i, p in enumerate(params):
        if not isinstance(p, torch.Tensor):
            raise TypeError(f"adjoint_params must hold only tensors; got {type(p).__name__} at position {i}")
    return tuple(p for p in params if p.requires_grad)


NORMS = ("mixed", "rms", "seminorm")
"""Error norms of the adjoint's backward solve (``adjoint_options={"norm": ...}``); see :mod:`nodebook.adjoint`."""


def backward_norm(kind: str, n: int, sizes: list[int]):
    """``norm(scaled error of s) -> float`` for ``s = [z, a, g₁, …, g_k]``: ``n`` entries each in ``z`` and ``a``,
    then one block per size in ``sizes`` (the parameters' gradients, and ``a_t`` when times are differentiated).
    """
    def rms(x: torch.Tensor) -> torch.Tensor:
        return x.pow(2).mean().sqrt() if x.numel() else x.new_zeros(())

    def norm(x: torch.Tensor) -> float:
        x = x.detach().reshape(-1)
        if kind == "rms":
            return float(rms(x))
        parts = [rms(x[:n]), rms(x[n:2 * n])]
        if kind == "mixed":
            parts += [rms(g) for g in x[2 * n:].split(sizes)]
        return float(torch.stack(parts).max())

    return norm


def backward_settings(forward: dict, method, rtol, atol, options) -> dict:
    """Settings of the backward solve (defaults: the forward ones), checked now rather than at backward()."""
    fwd_method = forward["method"] or "dopri5"
    method = fwd_method if method is None else method
    for name, m in (("method", fwd_method), ("adjoint_method", method)):
        if m not in SOLVERS:
            raise ValueError(f"unknown {name} {m!r}; known methods: {', '.join(sorted(SOLVERS))}")
    if options is None:
        if forward["options"] is not None and method != fwd_method:
            raise ValueError(
                f"options were given for method={fwd_method!r} but adjoint_method={method!r} differs, so "
                "they cannot be reused: pass adjoint_options as well (e.g. adjoint_options={})")
        options = forward["options"]
        if options is not None:  # the forward solve's own norm does not fit the augmented state
            options = {k: v for k, v in options.items() if k != "norm"}
    options = dict(options) if options is not None else None
    norm = options.pop("norm", "mixed") if options is not None else "mixed"
    if not isinstance(norm, str) or norm not in NORMS:
        raise ValueError(f"adjoint_options['norm'] must be one of {', '.join(map(repr, NORMS))}; got {norm!r}")
    if norm != "mixed" and "norm" not in SOLVERS[method].option_names:
        raise ValueError(f"adjoint_options['norm'] controls adaptive steps; adjoint_method={method!r} has fixed "
                         "steps and no error norm (leave 'norm' out or use an adaptive method)")
    _check.check_options(options, method, SOLVERS[method].option_names)
    if not SOLVERS[method].adaptive:
        if rtol is not None or atol is not None:
            raise ValueError(f"adjoint_rtol/adjoint_atol control adaptive methods only; adjoint_method="
                             f"{method!r} is fixed-step: set adjoint_options={{'step_size': h}} instead")
        return {"method": method, "rtol": None, "atol": None, "options": options, "norm": norm}
    rtol = forward["rtol"] if rtol is None else rtol
    atol = forward["atol"] if atol is None else atol
    for name, value, zero_ok in (("adjoint_rtol", rtol, False), ("adjoint_atol", atol, True)):
        if value is not None:
            _check.check_tolerance(name, value, allow_zero=zero_ok)
    return {"method": method, "rtol": rtol, "atol": atol, "options": options, "norm": norm}


def accumulate(total: SolverStats, part: SolverStats) -> None:
    total.nfe += part.nfe
    total.n_accepted += part.n_accepted
    total.n_rejected += part.n_rejected
    total.accepted += part.accepted
    total.rejected += part.rejected
