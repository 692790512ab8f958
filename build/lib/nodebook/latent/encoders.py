"""Recognition networks: read an irregularly-sampled series backwards in time into one hidden state.

Both encoders walk the batch's time grid ``t: (T,)`` from the last time to the first and update a GRU
state with each observation ``(x_i, mask_i)``; a series with nothing observed at ``t_i`` keeps its state.
They differ in what happens to the state *between* observations:

* :class:`GRUEncoder` (Chen et al. 2018's recognition RNN) leaves it alone and instead feeds the GRU
  the time gap since the series' previous update, ``Δt``, as one more input;
* :class:`ODERNNEncoder` (Rubanova et al. 2019's ODE-RNN) lets it *flow*: between ``t_{i+1}`` and
  ``t_i`` the state follows ``dh/dt = f(h)``, solved with :func:`nodebook.odeint`, so the time gap acts
  through learned continuous dynamics rather than as a number the GRU must learn to interpret.

The state at ``t[0]`` summarises the whole series; a :class:`~nodebook.latent.LatentODE` maps it to the
mean and log-variance of ``q(z0 | x)``.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _validate
from ..models import MLPDynamics
from ..solvers import odeint


def check_series(t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor, dim: int | None = None) -> None:
    """``t: (T,)`` strictly increasing, ``x`` and ``mask``: ``(batch, T, D)``; ``D == dim`` when given."""
    if not isinstance(t, torch.Tensor) or t.dim() != 1 or len(t) < 1:
        raise ValueError(f"t must be a 1-D tensor of T >= 1 times; got {_validate.describe(t)}")
    if len(t) > 1 and not bool((t[1:] > t[:-1]).all()):
        raise ValueError("t must be strictly increasing (the sorted union of the batch's observation times)")
    if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[1] != len(t):
        raise ValueError(f"x must be shaped (batch, T={len(t)}, D); got {_validate.describe(x)}")
    if not isinstance(mask, torch.Tensor) or mask.shape != x.shape:
        raise ValueError(f"mask must have x's shape {tuple(x.shape)}; got {_validate.describe(mask)}")
    if dim is not None and x.shape[-1] != dim:
        raise ValueError(f"expected {dim} features per time point; got x shaped {tuple(x.shape)}")


def data_spacing(t: torch.Tensor) -> float:
    """The smallest gap between consecutive times of ``t (T,)`` (``inf`` for a single time)."""
    if len(t) < 2:
        return float("inf")
    return float(torch.diff(t.detach().double()).min())


def fixed_step_options(solver: dict, times: torch.Tensor, step_size: float | None) -> dict | None:
    """The ``options`` of a solve on ``times``: for a fixed-step method, ``step_size`` (default: the
    smallest gap of ``times``) so that no step is longer than the data spacing; dopri5's unchanged."""
    options = dict(solver.get("options") or {})
    if solver.get("method", "rk4") == "dopri5" or "step_size" in options:
        return options or None
    options["step_size"] = step_size if step_size is not None else data_spacing(times)
    return options


class _BackwardEncoder(nn.Module):
    """The shared backwards loop; subclasses say how the state moves between two times."""

    time_input = False

    def __init__(self, input_dim: int, hidden_dim: int):
        super().__init__()
        self.input_dim = _validate.positive_int("input_dim", input_dim)
        self.hidden_dim = _validate.positive_int("hidden_dim", hidden_dim)
        self.gru = nn.GRUCell(2 * input_dim + int(self.time_input), hidden_dim)

    def evolve(self, h: torch.Tensor, t_from: torch.Tensor, t_to: torch.Tensor) -> torch.Tensor:
        return h

    def forward(self, t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The state at ``t[0]`` after reading the series backwards.

        Args:
            t: ``(T,)`` increasing times; x, mask: ``(batch, T, input_dim)``.

        Returns:
            ``(batch, hidden_dim)``.
        """
        check_series(t, x, mask, self.input_dim)
        batch, n_times, _ = x.shape
        h = x.new_zeros(batch, self.hidden_dim)
        observed = mask.amax(dim=-1) > 0  # (batch, T): anything seen at t_i?
        # time of each series' previous update going backwards (before its first one: its own first time)
        last = t[-1].expand(batch)
        started = torch.zeros(batch, dtype=torch.bool, device=x.device)
        for i in range(n_times - 1, -1, -1):
            if i < n_times - 1:  # a series' state starts moving at its own last observation
                h = torch.where(started.unsqueeze(-1), self.evolve(h, t[i + 1], t[i]), h)
            inputs = [x[:, i] * mask[:, i], mask[:, i]]
            if self.time_input:
                inputs.append(torch.where(started, last - t[i], 0.0).unsqueeze(-1))
            h_new = self.gru(torch.cat(inputs, dim=-1), h)
            obs = observed[:, i].unsqueeze(-1)
            h = torch.where(obs, h_new, h)
            if self.time_input:
                last = torch.where(observed[:, i], t[i], last)
            started = started | observed[:, i]
        if self.time_input:  # one last input: how far the series' first observation is from t[0], where z0 is
            gap = torch.where(started, last - t[0], 0.0).unsqueeze(-1)
            zeros = x.new_zeros(batch, 2 * self.input_dim)
            h = self.gru(torch.cat([zeros, gap], dim=-1), h)
        return h


class GRUEncoder(_BackwardEncoder):
    """A GRU run backwards in time whose input is ``[x_i · mask_i, mask_i, Δt_i]``.

    ``Δt_i`` is the time from ``t_i`` to the series' previous update (the next observation in forward
    time; 0 at the series' last observation), so the GRU sees how far apart the observations are. A last
    update with nothing observed feeds the gap from the first observation back to ``t[0]``, where the
    latent state ``z0`` will live.

    Args:
        input_dim: features ``D`` per time point.
        hidden_dim: GRU state size.
    """

    time_input = True


class ODERNNEncoder(_BackwardEncoder):
    """ODE-RNN run backwards (Rubanova et al. 2019): a GRU update at each observation, an ODE between.

    Args:
        input_dim: features ``D`` per time point.
        hidden_dim: GRU state size (the ODE's state too).
        width, depth: the MLP of the hidden dynamics ``f(h)`` (tanh).
        method, rtol, atol, options: passed to :func:`nodebook.odeint` for each gap between times.
        step_size: the longest step of a fixed-step method inside a gap. ``None``: the smallest gap of
            the grid being read, so no step is longer than the data spacing. Pass the data spacing when
            the times lie on a lattice (spirals, Hopper, quantised PhysioNet): a gap is then always cut
            into the same steps, so a series encoded alone and inside a batch (whose union grid splits
            its gaps) get the same state, and training and testing use the same steps.
    """

    def __init__(self, input_dim: int, hidden_dim: int, *, width: int = 50, depth: int = 2,
                 method: str = "euler", rtol: float | None = None, atol: float | None = None,
                 options: dict | None = None, step_size: float | None = None):
        super().__init__(input_dim, hidden_dim)
        self.dynamics = MLPDynamics(hidden_dim, width, depth=depth)
        self.solver = {"method": method, "rtol": rtol, "atol": atol, "options": options}
        self.step_size = None if step_size is None else _validate.positive_float("step_size", step_size)
        self._grid_step: float | None = None

    def forward(self, t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        self._grid_step = self.step_size if self.step_size is not None else data_spacing(t)
        return super().forward(t, x, mask)

    def evolve(self, h: torch.Tensor, t_from: torch.Tensor, t_to: torch.Tensor) -> torch.Tensor:
        times = torch.stack([t_from, t_to])
        options = fixed_step_options(self.solver, times, self._grid_step)
        return odeint(self.dynamics, h, times, **{**self.solver, "options": options})[-1]


__all__ = ["GRUEncoder", "ODERNNEncoder", "check_series", "data_spacing", "fixed_step_options"]
