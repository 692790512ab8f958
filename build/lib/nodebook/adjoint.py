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

Gradients with respect to the times (Chen et al. 2018, appendix B): moving an output time ``t_i`` only
moves where the trajectory is read, so ``dL/dt_i = ∂L/∂z(t_i) · f(t_i, z(t_i))`` for ``i ≥ 1``. Moving
``t_0`` moves the whole trajectory; its gradient is one more adjoint state ``a_t``, integrated with the
others: ``a_t(t_N) = -∂L/∂z(t_N) · f(t_N, z(t_N))``, ``da_t/dt = -aᵀ ∂f/∂t``, minus the same jump at each
output time on the way back, and ``dL/dt_0 = a_t(t_0)`` (which equals ``-a(t_0) · f(t_0, z_0)``).

The backward solve's error control (``adjoint_options={"norm": ...}``, adaptive methods) measures the
scaled local error of ``s = [z, a, g, (a_t)]`` in one of three ways (:data:`NORMS`):

* ``"mixed"`` (default, as torchdiffeq): the largest of the RMS over ``z``, over ``a``, over each
  parameter's block of ``g`` (and over ``a_t``). A small tensor's gradient (a bias) is controlled on its
  own, not averaged away among the other entries.
* ``"rms"``: one RMS over all entries; fewer steps, less control when most entries are gradients.
* ``"seminorm"`` (Kidger, Chen & Lyons, 2021): the largest of the RMS over ``z`` and over ``a``; ``g`` (and
  ``a_t``) left out. They are plain integrals of what ``z`` and ``a`` determine and feed nothing back, so
  controlling ``z`` and ``a`` is enough, and the solver stops taking steps for their sake.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch.autograd.function import once_differentiable

from ._adjoint_settings import NORMS, accumulate, backward_norm, backward_settings, find_params
from .solvers import SOLVERS, SolverStats, _tuple, solve


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
        y0: ``(*state_shape)`` initial state, e.g. ``(batch, dim)``; float32 or float64, any device. Or
            a tuple of such tensors, as in torchdiffeq (``func`` then gets and returns tuples).
        t: ``(n,)`` output times, strictly monotonic; differentiated when it requires grad.
        method, rtol, atol, options: the forward solve, as in :func:`nodebook.solve`.
        adjoint_method, adjoint_rtol, adjoint_atol, adjoint_options: the backward solve; default to the
            forward ones (``adjoint_options`` must be given when ``options`` is and the methods differ).
            ``adjoint_options["norm"]``: ``"mixed"`` (default), ``"rms"`` or ``"seminorm"`` (see the module).
        adjoint_params: the tensors ``func`` uses to differentiate; default ``tuple(func.parameters())``.
            Those that do not require grad are left out.
        stats: an :class:`AdjointStats` to fill in: at the forward solve, then at ``backward()``.

    Returns:
        ``(n, *y0.shape)`` solution at the times ``t`` (a tuple of them for a tuple ``y0``).

    Raises:
        TypeError, ValueError: bad input (also everything :func:`nodebook.solve` checks).
    """
    params = find_params(func, adjoint_params)
    packed = _tuple.Packed(y0) if isinstance(y0, tuple) else None
    if packed is not None:
        func, y0 = packed.wrap(func), packed.flat
    settings = {"method": method, "rtol": rtol, "atol": atol, "options": options}
    adjoint_settings = backward_settings(settings, adjoint_method, adjoint_rtol, adjoint_atol, adjoint_options)
    ys = _OdeintAdjoint.apply(func, y0, t, settings, adjoint_settings, stats, *params)
    return ys if packed is None else packed.split(ys)


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
        with_t = ctx.needs_input_grad[2]
        shape, n = ys.shape[1:], ys[0].numel()
        sizes = [p.numel() for p in params]
        settings = dict(ctx.adjoint_settings)
        norm = backward_norm(settings.pop("norm"), n, sizes + [1] * with_t)
        if "norm" in SOLVERS[settings["method"]].option_names:
            settings["options"] = {**(settings["options"] or {}), "norm": norm}

        def augmented(t_, s):  # s = [z, a, g, (a_t)] flattened: the solvers integrate one tensor
            z, a = s[:n].view(shape), s[n:2 * n].view(shape)
            with torch.enable_grad():
                z = z.detach().requires_grad_(True)
                t_ = t_.detach().requires_grad_(True) if with_t else t_
                f = ctx.func(t_, z)
                inputs = (z, *params, t_) if with_t else (z, *params)
                vjps = (torch.autograd.grad(f, inputs, -a, allow_unused=True) if f.requires_grad
                        else (None,) * len(inputs))
            # allow_unused: f need not depend on z, t or every parameter; such vector–Jacobian products are 0.
            flat = [torch.zeros(x.numel(), dtype=s.dtype, device=s.device) if v is None else v.reshape(-1)
                    for x, v in zip(inputs, vjps, strict=True)]
            return torch.cat([f.detach().reshape(-1), *flat])

        s = torch.cat([ys[-1].reshape(-1), grad_ys[-1].reshape(-1), ys.new_zeros(sum(sizes) + with_t)])
        grad_t = ys.new_zeros(len(t)) if with_t else None
        used, drift = SolverStats(), 0.0
        for i in range(len(t) - 1, 0, -1):
            if with_t:  # output time t_i only moves where z is read: dL/dt_i = ∂L/∂z(t_i) · f(t_i, z(t_i))
                grad_t[i] = ctx.func(t[i].to(ys.dtype), ys[i]).reshape(-1) @ grad_ys[i].reshape(-1)
                s[-1] -= grad_t[i]
            sol = solve(augmented, s, t[i - 1:i + 1].flip(0), **settings)
            end = sol.ys[-1]
            drift = max(drift, float((end[:n] - ys[i - 1].reshape(-1)).abs().max()))
            # Restart from the forward z(t_{i-1}); add the loss's direct dependence on it (the jump).
            s = torch.cat([ys[i - 1].reshape(-1), end[n:2 * n] + grad_ys[i - 1].reshape(-1), end[2 * n:]])
            accumulate(used, sol.stats)
        if ctx.stats is not None:
            ctx.stats.backward, ctx.stats.reconstruction_error = used, drift
        grad_y0 = s[n:2 * n].view(shape)
        grad_params = [g.view_as(p) for g, p in zip(s[2 * n:2 * n + sum(sizes)].split(sizes), params, strict=True)]
        if with_t:
            grad_t[0] = s[-1]
            grad_t = grad_t.to(t.dtype)
        return None, grad_y0, grad_t, None, None, None, *grad_params


__all__ = ["NORMS", "AdjointStats", "odeint_adjoint"]
