"""A continuous normalizing flow: ``dz/dt = f(t, z)`` with ``d log p(z(t))/dt = -tr(∂f/∂z)``.

The state and its log-density are integrated together, as one augmented ODE for ``[z, ℓ]``:
``dz/dt = f``, ``dℓ/dt = -tr(∂f/∂z)``. The same ODE serves both directions:

* sampling: ``z₀ ~ N(0, σ²I)``, ``ℓ(0) = log p₀(z₀)``, solve ``0 → T``: ``x = z(T)``, ``log p(x) = ℓ(T)``;
* density: from ``x`` with ``ℓ(T) = 0``, solve ``T → 0``: ``log p(x) = log p₀(z(0)) - ℓ(0)``.

The trace is ``"exact"`` (``D`` backward passes), ``"hutchinson"`` (one, with noise drawn once per
solve, as in FFJORD) or ``"analytic"`` (the dynamics' own ``with_divergence(t, z)``, returning ``f`` and its trace).
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _validate
from ..adjoint import AdjointStats, odeint_adjoint
from ..solvers import solve
from .densities import check_points
from .planar import standard_normal_log_prob
from .trace import NOISES, exact_trace, hutchinson_trace, sample_noise

TRACES = ("exact", "hutchinson", "analytic")


class _Augmented(nn.Module):
    """``[z, ℓ] ↦ [f(t, z), -tr ∂f/∂z]``; builds a graph of the trace only when gradients are wanted."""

    def __init__(self, dynamics: nn.Module, dim: int, trace: str):
        super().__init__()
        self.dynamics, self.dim, self.trace = dynamics, dim, trace
        self.noise: torch.Tensor | None = None

    def forward(self, t: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
        grad = torch.is_grad_enabled()
        z = state[:, :self.dim]
        if self.trace == "analytic":
            f, tr = self.dynamics.with_divergence(t, z)
        else:
            with torch.enable_grad():
                if not z.requires_grad:
                    z = z.detach().requires_grad_(True)
                f = self.dynamics(t, z)
                if self.trace == "exact":
                    tr = exact_trace(f, z, create_graph=grad)
                else:
                    tr = hutchinson_trace(f, z, self.noise, create_graph=grad)
            if not grad:
                f, tr = f.detach(), tr.detach()
        return torch.cat([f, -tr[:, None]], 1)


class CNF(nn.Module):
    """A CNF on ``[0, T]`` with a Gaussian base; samples and log-densities in both directions.

    Args:
        dynamics: ``f(t, z)``, an ``nn.Module`` mapping ``(n, D)`` to ``(n, D)``.
        dim: ``D``.
        t1: the end time ``T``.
        base_std: standard deviation ``σ`` of the base ``N(0, σ²I)``.
        trace: one of ``TRACES``; ``"analytic"`` needs ``dynamics.with_divergence``.
        noise: ``"rademacher"`` or ``"gaussian"``, for the Hutchinson trace.
        method, rtol, atol, options: the solver (as :func:`nodebook.solve`).
        adjoint: differentiate with :func:`nodebook.odeint_adjoint` instead of through the solver.

    After each solve, ``last_nfe`` holds its function evaluations (``last_backward_nfe`` the adjoint's,
    filled in by ``backward()``).
    """

    def __init__(self, dynamics: nn.Module, *, dim: int = 2, t1: float = 1.0, base_std: float = 1.0,
                 trace: str = "exact", noise: str = "rademacher", method: str = "dopri5",
                 rtol: float | None = 1e-5, atol: float | None = 1e-5, options: dict | None = None,
                 adjoint: bool = False):
        super().__init__()
        if trace not in TRACES:
            raise ValueError(f"unknown trace {trace!r}; valid names: {', '.join(TRACES)}")
        if noise not in NOISES:
            raise ValueError(f"unknown noise {noise!r}; valid names: {', '.join(NOISES)}")
        if trace == "analytic" and not hasattr(dynamics, "with_divergence"):
            raise ValueError(f"trace='analytic' needs dynamics with a with_divergence(t, z) method; "
                             f"{type(dynamics).__name__} has none (use trace='exact')")
        self.dim = _validate.positive_int("dim", dim)
        self.t1 = _validate.positive_float("t1", t1)
        self.base_std = _validate.positive_float("base_std", base_std)
        self.func = _Augmented(dynamics, dim, trace)
        self.noise = noise
        self.solver = {"method": method, "options": options}
        if method == "dopri5":
            self.solver.update(rtol=rtol, atol=atol)
        self.adjoint = adjoint
        self.last_nfe, self._adjoint_stats = 0, AdjointStats()

    @property
    def last_backward_nfe(self) -> int:
        return self._adjoint_stats.backward.nfe if self.adjoint else self.last_nfe

    def base_log_prob(self, z: torch.Tensor) -> torch.Tensor:
        return standard_normal_log_prob(z, self.base_std)

    def integrate(self, z: torch.Tensor, logp: torch.Tensor, times, *,
                  generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Solve the augmented ODE from ``(z, logp)`` at ``times[0]``; return states ``(len(times), n, D)``
        and ``ℓ`` values ``(len(times), n)`` at every time (``times`` increasing or decreasing)."""
        check_points(z, self.dim)
        t = torch.as_tensor(times, dtype=z.dtype, device=z.device)
        if self.func.trace == "hutchinson":
            self.func.noise = sample_noise(tuple(z.shape), self.noise, dtype=z.dtype, device=z.device,
                                           generator=generator)
        ys = self._solve(torch.cat([z, logp[:, None]], 1), t)
        return ys[..., :self.dim], ys[..., self.dim]

    def _solve(self, state: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The augmented state at every time in ``t`` (through the adjoint when asked and grad is on);
        sets ``last_nfe``."""
        if self.adjoint and torch.is_grad_enabled():
            ys = odeint_adjoint(self.func, state, t, stats=self._adjoint_stats, **self.solver)
            self.last_nfe = self._adjoint_stats.forward.nfe
            return ys
        sol = solve(self.func, state, t, **self.solver)
        self.last_nfe = sol.stats.nfe
        return sol.ys

    def inverse(self, x: torch.Tensor, *, t: float | None = None,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Data ``x`` at time ``t`` (default ``T``) back to the base: ``z₀``: ``(n, D)`` and ``log p_t(x)``."""
        check_points(x, self.dim)
        t = self.t1 if t is None else float(t)
        if t == 0.0:
            return x, self.base_log_prob(x)
        zs, ls = self.integrate(x, x.new_zeros(len(x)), [t, 0.0], generator=generator)
        return zs[-1], self.base_log_prob(zs[-1]) - ls[-1]

    def log_prob(self, x: torch.Tensor, *, t: float | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """``log p_t(x)``: ``(n, D)`` → ``(n,)``, the density of the flow at time ``t`` (default ``T``)."""
        return self.inverse(x, t=t, generator=generator)[1]

    def forward(self, z0: torch.Tensor, *, generator: torch.Generator | None = None,
                times=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Base points ``z0`` to data: ``x = z(T)`` and ``log p(x)``. With ``times`` (from 0 to ``T``),
        the states ``(len(times), n, D)`` and log-densities ``(len(times), n)`` at every one of them."""
        check_points(z0, self.dim)
        ts = [0.0, self.t1] if times is None else times
        zs, ls = self.integrate(z0, self.base_log_prob(z0), ts, generator=generator)
        return (zs[-1], ls[-1]) if times is None else (zs, ls)

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` samples ``x`` and their log-densities ``log p(x)``."""
        p = next(self.parameters())
        z0 = self.base_std * torch.randn(_validate.positive_int("n", n), self.dim, generator=generator,
                                         dtype=p.dtype, device="cpu" if generator is not None else p.device)
        return self(z0.to(p.device), generator=generator)
