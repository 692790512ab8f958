"""Two ways to carry a hidden state ``h`` through depth: a continuous ODE block and discrete residual blocks.

* :class:`ODEBlock` integrates ``dh/dt = f(t, h)`` from ``t = 0`` to ``t1`` with :func:`nodebook.odeint`
  (or the adjoint method): depth is continuous and the solver decides how many evaluations it needs.
* :class:`ResNetBlocks` applies ``h ← h + step·f(t_k, h)``, ``t_k = k·step``, ``N`` times. With one shared
  ``f`` (``tied=True``) and ``step = t1/N`` that is *exactly* explicit Euler on the same ODE, so as ``N``
  grows it converges to the ODE block, with an error that shrinks like ``1/N``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from .. import _validate
from ..measure import NFECounter
from ..solvers import SOLVERS, odeint


def _odeint_adjoint():
    """Chapter 3's adjoint solver, imported only when asked for (it is a separate, later module)."""
    try:
        from nodebook.adjoint import odeint_adjoint
    except ModuleNotFoundError as err:
        if err.name != "nodebook.adjoint":
            raise
        raise ImportError(
            "ODEBlock(adjoint=True) needs nodebook.adjoint (the adjoint method of Chapter 3), which this "
            "installation does not have; use adjoint=False (backpropagation through the solver)") from err
    return odeint_adjoint


class ODEBlock(nn.Module):
    """``h(0) ↦ h(t1)`` for ``dh/dt = func(t, h)``: a continuous-depth layer.

    Args:
        func: the dynamics, an ``nn.Module`` called as ``func(t, h)``, e.g. :class:`MLPDynamics`.
        t1: end time (the block's "depth"), ``> 0``.
        method: a key of :data:`nodebook.SOLVERS`.
        rtol, atol: tolerances, used by adaptive methods only (fixed-step ones take
            ``options={"step_size": ...}``).
        options: solver options passed to ``odeint``.
        adjoint: compute gradients with ``nodebook.adjoint.odeint_adjoint`` (memory flat in the number of
            steps, one extra solve backwards) instead of backpropagating through the solver's operations.

    Attributes:
        nfe_forward: evaluations of ``func`` in the last forward solve (``forward`` or ``trajectory``).
        nfe_backward: evaluations since then, i.e. those of the backward pass: the adjoint's backward
            solve, or 0 for backpropagation through the solver (which replays the recorded graph).

    Shapes:
        ``forward``: ``h (batch, dim) → (batch, dim)``; ``trajectory``: ``→ (len(ts), batch, dim)``.
    """

    def __init__(self, func: nn.Module, *, t1: float = 1.0, method: str = "dopri5", rtol: float = 1e-3,
                 atol: float = 1e-3, options: dict | None = None, adjoint: bool = False):
        super().__init__()
        if not isinstance(func, nn.Module):
            raise TypeError(f"func must be an nn.Module called as func(t, h) (its parameters are trained); "
                            f"got {_validate.describe(func)}")
        if method not in SOLVERS:
            raise ValueError(f"unknown method {method!r}; known methods: {', '.join(sorted(SOLVERS))}")
        self.func = func
        self.t1 = _validate.positive_float("t1", t1)
        self.method, self.rtol, self.atol = method, rtol, atol
        self.options = dict(options) if options else None
        self.adjoint = bool(adjoint)
        # The counting wrapper is kept out of the module tree: it shares func's parameters, and as a
        # registered child it would list them a second time in state_dict().
        object.__setattr__(self, "_counter", NFECounter(func))
        self.nfe_forward = 0

    @property
    def nfe_backward(self) -> int:
        return self._counter.nfe - self.nfe_forward

    def _solve(self, h: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        kwargs: dict = {"method": self.method, "options": self.options}
        if SOLVERS[self.method].adaptive:
            kwargs.update(rtol=self.rtol, atol=self.atol)
        solver = _odeint_adjoint() if self.adjoint else odeint
        self._counter.reset()
        ys = solver(self._counter, h, t, **kwargs)
        self.nfe_forward = self._counter.nfe
        return ys

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        t = torch.tensor([0.0, self.t1], dtype=h.dtype, device=h.device)
        return self._solve(h, t)[-1]

    def trajectory(self, h: torch.Tensor, ts: torch.Tensor | Sequence[float]) -> torch.Tensor:
        """States at the times ``ts`` (increasing, ``>= 0``, and free to go past ``t1``).

        Args:
            h: ``(batch, dim)`` state at ``t = 0``.
            ts: ``(T,)`` output times.

        Returns:
            ``(T, batch, dim)``.
        """
        ts = torch.as_tensor(ts, dtype=h.dtype, device=h.device)
        if ts.dim() != 1 or len(ts) == 0 or float(ts[0]) < 0:
            start = f" starting at {float(ts[0]):g}" if ts.dim() == 1 and len(ts) else ""
            raise ValueError(f"ts must be a non-empty 1-D sequence of times >= 0; got "
                             f"{_validate.describe(ts)}{start}")
        if float(ts[0]) == 0:
            return h[None] if len(ts) == 1 else self._solve(h, ts)
        return self._solve(h, torch.cat([ts.new_zeros(1), ts]))[1:]

    def extra_repr(self) -> str:
        tol = f", rtol={self.rtol:g}, atol={self.atol:g}" if SOLVERS[self.method].adaptive else ""
        return f"t1={self.t1:g}, method={self.method!r}{tol}, options={self.options}, adjoint={self.adjoint}"


class ResNetBlocks(nn.Module):
    """``n_blocks`` residual blocks ``h ← h + step·f_k(t_k, h)``, ``t_k = k·step``.

    Args:
        func: the residual branch. An ``nn.Module`` instance is shared by every block (``tied=True``
            only); a zero-argument factory (``lambda: MLPDynamics(2, 16)``) is called once if tied, once
            per block if not.
        n_blocks: number of blocks ``N``.
        tied: share one ``f`` across blocks — explicit Euler on ``dh/dt = f(t, h)`` with ``N`` steps.
            Untied blocks are a standard ResNet (each block its own weights).
        t1: total "time"; the step is ``t1 / N`` unless ``step`` is given.
        step: the step size; overrides ``t1`` (then ``t1 = N·step``). ``step=1.0`` with ``tied=False`` is
            the textbook ResNet ``h ← h + f(h)``.

    Shapes:
        ``forward``: ``h (batch, dim) → (batch, dim)``; ``trajectory``: ``→ (N + 1, batch, dim)``.
    """

    def __init__(self, func: nn.Module | Callable[[], nn.Module], n_blocks: int, *, tied: bool = True,
                 t1: float = 1.0, step: float | None = None):
        super().__init__()
        self.n_blocks = _validate.positive_int("n_blocks", n_blocks)
        self.tied = bool(tied)
        if isinstance(func, nn.Module):
            if not self.tied:
                raise TypeError("untied blocks need a factory that builds a fresh module per block, e.g. "
                                "lambda: MLPDynamics(2, 16); got one nn.Module instance")
            funcs = [func]
        elif callable(func):
            funcs = [func() for _ in range(1 if self.tied else self.n_blocks)]
            if not isinstance(funcs[0], nn.Module):
                raise TypeError(f"the factory must return an nn.Module; got {_validate.describe(funcs[0])}")
        else:
            raise TypeError(f"func must be an nn.Module or a factory returning one; "
                            f"got {_validate.describe(func)}")
        self.funcs = nn.ModuleList(funcs)
        if step is None:
            self.step = _validate.positive_float("t1", t1) / self.n_blocks
        else:
            self.step = _validate.positive_float("step", step)
        self.t1 = self.step * self.n_blocks

    @property
    def times(self) -> torch.Tensor:
        """``(N + 1,)`` float64 times ``t_k = k·step`` of the states :meth:`trajectory` returns."""
        return torch.arange(self.n_blocks + 1, dtype=torch.float64) * self.step

    def _block(self, k: int, h: torch.Tensor) -> torch.Tensor:
        f = self.funcs[0 if self.tied else k]
        t = torch.tensor(k * self.step, dtype=h.dtype, device=h.device)
        # Written as the Euler solver writes its update, so a tied ResNet matches it bit for bit.
        return h + self.step * f(t, h)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        for k in range(self.n_blocks):
            h = self._block(k, h)
        return h

    def trajectory(self, h: torch.Tensor) -> torch.Tensor:
        """``(N + 1, batch, dim)``: the input and the state after each block, at :attr:`times`."""
        states = [h]
        for k in range(self.n_blocks):
            states.append(self._block(k, states[-1]))
        return torch.stack(states)

    def extra_repr(self) -> str:
        return f"n_blocks={self.n_blocks}, tied={self.tied}, step={self.step:g}"
