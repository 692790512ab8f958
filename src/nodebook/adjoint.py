"""The adjoint method: gradients through an ODE solve in memory that does not grow with the steps.

For ``dz/dt = f(t, z, θ)`` and a loss ``L`` of the solution at the output times, the adjoint state
``a(t) = ∂L/∂z(t)`` obeys ``da/dt = -aᵀ ∂f/∂z``, and ``dL/dθ = ∫ aᵀ ∂f/∂θ dt`` over ``[t0, tN]``.
:func:`odeint_adjoint` solves the forward ODE without recording a graph, keeping only ``z`` at the
output times. On ``backward()`` it solves one augmented ODE for ``s = [z, a, g]`` from ``tN`` back to ``t0``:

    dz/dt = f(t, z),    da/dt = -aᵀ ∂f/∂z,    dg/dt = -aᵀ ∂f/∂θ,    with g(tN) = 0, so g(t0) = dL/dθ.

Both products are one vector–Jacobian product of ``f`` (``torch.autograd.grad``): no Jacobian is ever
formed, and each evaluation's small graph is freed at once, so memory is that of a few states, whatever
the number of steps. At every output time ``t_i`` the loss's own dependence on ``z(t_i)`` is added to
``a`` (the adjoint "jumps"), and ``z`` is reset to the forward value so the reverse-time reconstruction
cannot drift across intervals. The price: a second solve, and gradients as accurate as that solve (not
equal to backprop through the solver to round-off, since reverse time is a different discretisation).

The backward solve's error control (``adjoint_options={"norm": ...}``, adaptive methods only) measures the
scaled local error of ``s = [z, a, g]`` in one of three ways:

* ``"mixed"`` (default, as torchdiffeq): the largest of the RMS over ``z``, over ``a`` and over each
  parameter's block of ``g``. A small parameter tensor's gradient is controlled on its own, not drowned
  in the other entries.
* ``"rms"``: one RMS over all entries together; cheaper (fewer steps) but, when most entries are
  parameter gradients, the small ones are barely controlled.
* ``"seminorm"`` (Kidger et al., 2021): the largest of the RMS over ``z`` and over ``a``; ``g`` is left
  out. ``g`` is a plain integral of what ``z`` and ``a`` already determine, so controlling the error of
  ``z`` and ``a`` is enough, and the solver stops taking steps for ``g``'s sake.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch.autograd.function import once_differentiable

from .solvers import SOLVERS, SolverStats, _check, solve


@dataclass
class AdjointStats:
    """What one :func:`odeint_adjoint` call cost. Pass one as ``stats=``; read it after ``backward()``.

    Attributes:
        forward: the forward solve's :class:`~nodebook.SolverStats` (``forward.nfe``: calls of ``f``).
        backward: the backward solve's, summed over the output intervals. One backward NFE is one call
            of the augmented dynamics: one evaluation of ``f`` plus one vector–Jacobian product.
        reconstruction_error: largest ``|z|`` difference, at the output times, between the state rebuilt
            backwards in time and the forward solution: how far the reverse solve drifted.
    """

    forward: SolverStats = field(default_factory=SolverStats)
    backward: SolverStats = field(default_factory=SolverStats)
    reconstruction_error: float = 0.0


def odeint_adjoint(func, y0: torch.Tensor, t: torch.Tensor, *, method: str | None = None,
                   rtol: float | None = None, atol: float | None = None, options: dict | None = None,
                   adjoint_method: str | None = None, adjoint_rtol: float | None = None,
                   adjoint_atol: float | None = None, adjoint_options: dict | None = None,
                   adjoint_params=None, stats: AdjointStats | None = None) -> torch.Tensor:
    """Like :func:`nodebook.odeint`, but ``backward()`` runs the adjoint method (torchdiffeq's API).

    Args:
        func: ``func(t, y) -> dy/dt``; an ``nn.Module`` unless ``adjoint_params`` is given.
        y0: ``(*state_shape)`` initial state, e.g. ``(batch, dim)``; float32 or float64, any device.
        t: ``(n,)`` output times, strictly monotonic. Times are not differentiated: ``t`` must not
            require grad.
        method, rtol, atol, options: the forward solve, as in :func:`nodebook.solve`.
        adjoint_method, adjoint_rtol, adjoint_atol, adjoint_options: the backward solve; default to the
            forward ones (``adjoint_options`` must be given when ``options`` is and the methods differ).
            ``adjoint_options["norm"]``: ``"mixed"`` (default), ``"rms"`` or ``"seminorm"`` (see the module).
        adjoint_params: the tensors ``func`` uses to differentiate; default ``tuple(func.parameters())``.
            Those that do not require grad are left out.
        stats: an :class:`AdjointStats` to fill in: at the forward solve, then at ``backward()``.

    Returns:
        ``(n, *y0.shape)`` solution at the times ``t``.

    Raises:
        TypeError, ValueError: bad input (also everything :func:`nodebook.solve` checks).
    """
    params = _find_params(func, adjoint_params)
    if isinstance(t, torch.Tensor) and t.requires_grad:
        raise ValueError("odeint_adjoint does not compute gradients with respect to the times t; got t with "
                         "requires_grad=True (pass t.detach())")
    settings = {"method": method, "rtol": rtol, "atol": atol, "options": options}
    adjoint_settings = _backward_settings(settings, adjoint_method, adjoint_rtol, adjoint_atol, adjoint_options)
    return _OdeintAdjoint.apply(func, y0, t, settings, adjoint_settings, stats, *params)


class _OdeintAdjoint(torch.autograd.Function):
    @staticmethod
    def forward(ctx, func, y0, t, settings, adjoint_settings, stats, *params):
        with torch.no_grad():  # no graph: only the solution at the output times is kept
            sol = solve(func, y0, t, **settings)
        ctx.func, ctx.adjoint_settings, ctx.stats = func, adjoint_settings, stats
        ctx.save_for_backward(t, sol.ys, *params)
        if stats is not None:
            stats.forward, stats.backward, stats.reconstruction_error = sol.stats, SolverStats(), 0.0
        return sol.ys

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_ys):
        t, ys, *params = ctx.saved_tensors
        shape, n = ys.shape[1:], ys[0].numel()
        sizes = [p.numel() for p in params]
        settings = dict(ctx.adjoint_settings)
        norm = _norm(settings.pop("norm"), n, sizes)
        if "norm" in SOLVERS[settings["method"]].option_names:
            settings["options"] = {**(settings["options"] or {}), "norm": norm}

        def augmented(t_, s):  # s = [z, a, g] flattened: the solvers integrate one tensor
            z, a = s[:n].view(shape), s[n:2 * n].view(shape)
            with torch.enable_grad():
                z = z.detach().requires_grad_(True)
                f = ctx.func(t_, z)
                inputs = (z, *params)
                vjps = (torch.autograd.grad(f, inputs, -a, allow_unused=True) if f.requires_grad
                        else (None,) * len(inputs))
            # allow_unused: f need not depend on z or on every parameter; such vector–Jacobian products are 0.
            flat = [torch.zeros(x.numel(), dtype=s.dtype, device=s.device) if v is None else v.reshape(-1)
                    for x, v in zip(inputs, vjps, strict=True)]
            return torch.cat([f.detach().reshape(-1), *flat])

        s = torch.cat([ys[-1].reshape(-1), grad_ys[-1].reshape(-1), ys.new_zeros(sum(sizes))])
        used, drift = SolverStats(), 0.0
        for i in range(len(t) - 1, 0, -1):
            sol = solve(augmented, s, t[i - 1:i + 1].flip(0), **settings)
            end = sol.ys[-1]
            drift = max(drift, float((end[:n] - ys[i - 1].reshape(-1)).abs().max()))
            # Restart from the forward z(t_{i-1}); add the loss's direct dependence on it (the jump).
            s = torch.cat([ys[i - 1].reshape(-1), end[n:2 * n] + grad_ys[i - 1].reshape(-1), end[2 * n:]])
            _accumulate(used, sol.stats)
        if ctx.stats is not None:
            ctx.stats.backward, ctx.stats.reconstruction_error = used, drift
        grad_y0 = s[n:2 * n].view(shape)
        grad_params = [g.view_as(p) for g, p in zip(s[2 * n:].split(sizes), params, strict=True)]
        return None, grad_y0, None, None, None, None, *grad_params


def _find_params(func, adjoint_params) -> tuple[torch.Tensor, ...]:
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
"""Error norms of the backward solve: see the module docstring."""


def _norm(kind: str, n: int, sizes: list[int]):
    """``norm(scaled error of [z, a, g]) -> float`` of the given kind (``n`` = numel(z), ``sizes`` of g's blocks)."""
    def rms(x: torch.Tensor) -> torch.Tensor:
        return x.pow(2).mean().sqrt() if x.numel() else x.new_zeros(())

    def norm(x: torch.Tensor) -> float:
        x = x.detach()
        if kind == "rms":
            return float(rms(x))
        parts = [rms(x[:n]), rms(x[n:2 * n])]
        if kind == "mixed":
            parts += [rms(g) for g in x[2 * n:].split(sizes)]
        return float(torch.stack(parts).max())

    return norm


def _backward_settings(forward: dict, method, rtol, atol, options) -> dict:
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
    if norm not in NORMS:
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


def _accumulate(total: SolverStats, part: SolverStats) -> None:
    total.nfe += part.nfe
    total.n_accepted += part.n_accepted
    total.n_rejected += part.n_rejected
    total.accepted += part.accepted
    total.rejected += part.rejected


__all__ = ["NORMS", "AdjointStats", "odeint_adjoint"]
