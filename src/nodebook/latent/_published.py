"""Rubanova et al.'s published networks (``latent_ode``'s ``lib/encoder_decoder.py``), rewritten.

* :class:`GRUUnit`: a GRU update whose gates are MLPs (``n_units`` tanh units) and which carries a mean
  and a standard deviation of the hidden state;
* :class:`PublishedODERNNEncoder`: their ``Encoder_z0_ODE_RNN``: read backwards, the mean flows by an ODE
  between observations (Euler, the std unchanged), a :class:`GRUUnit` update at each time with anything
  observed; returns ``[mean, std]`` for an MLP ``2h -> 100 -> 2 latent`` (:func:`z0_head`);
* :class:`PublishedRNNEncoder`: their ``Encoder_z0_RNN``: a plain ``nn.GRU`` over every time of the
  batch's grid, backwards, with ``[Δt, x, mask]`` as input (no masked update), for an MLP
  ``h -> 50 -> 2 latent``.

Every linear layer they create is initialised ``N(0, 0.1²)`` with zero biases (:func:`init_published`),
except ``nn.GRU``'s.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _validate
from ..models import MLPDynamics
from ..solvers import odeint
from .encoders import check_series, fixed_step_options


def init_published(module: nn.Module, std: float = 0.1) -> nn.Module:
    """``init_network_weights``: every ``nn.Linear`` of ``module`` to ``N(0, std²)`` weights, zero biases."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, mean=0.0, std=std)
            nn.init.zeros_(m.bias)
    return module


def create_net(n_in: int, n_out: int, n_layers: int = 3, n_units: int = 300) -> MLPDynamics:
    """``create_net(n_in, n_out, n_layers, n_units)`` as an ODE function (``n_in == n_out``): ``n_layers + 2``
    linear layers with tanh between them (``n_layers + 1`` hidden layers of ``n_units``)."""
    if n_in != n_out:
        raise ValueError(f"an ODE function maps a state to its derivative: n_in == n_out; got {n_in} and {n_out}")
    return init_published(MLPDynamics(n_in, n_units, depth=n_layers + 2))


def z0_head(n_in: int, n_hidden: int, latent_dim: int) -> nn.Sequential:
    """The MLP from the encoder's output to ``[mean, raw std]`` of ``q(z0)`` (std = ``|raw|``)."""
    return init_published(nn.Sequential(nn.Linear(n_in, n_hidden), nn.Tanh(), nn.Linear(n_hidden, 2 * latent_dim)))


class GRUUnit(nn.Module):
    """Their ``GRU_unit``: gates are MLPs of ``[mean, std, x, mask]``; the new state carries a std too."""

    def __init__(self, hidden_dim: int, input_dim: int, n_units: int = 100):
        super().__init__()
        n_in = 2 * hidden_dim + input_dim

        def mlp(n_out: int, gate: bool) -> nn.Sequential:
            layers = [nn.Linear(n_in, n_units), nn.Tanh(), nn.Linear(n_units, n_out)]
            return init_published(nn.Sequential(*layers, *([nn.Sigmoid()] if gate else [])))
        self.update_gate, self.reset_gate = mlp(hidden_dim, True), mlp(hidden_dim, True)
        self.new_state_net = mlp(2 * hidden_dim, False)

    def forward(self, mean: torch.Tensor, std: torch.Tensor, xm: torch.Tensor, observed: torch.Tensor):
        """``xm = [x, mask]``; rows with ``observed`` False keep their state."""
        both = torch.cat([mean, std, xm], -1)
        u, r = self.update_gate(both), self.reset_gate(both)
        new_mean, new_std = self.new_state_net(torch.cat([mean * r, std * r, xm], -1)).chunk(2, dim=-1)
        new_mean = (1 - u) * new_mean + u * mean
        new_std = (1 - u) * new_std.abs() + u * std
        keep = observed.unsqueeze(-1)
        return torch.where(keep, new_mean, mean), torch.where(keep, new_std, std).abs()


class PublishedODERNNEncoder(nn.Module):
    """Their ODE-RNN encoder. ``hidden_dim`` is their ``rec_dims``; output ``(batch, 2 * hidden_dim)``.

    Between two times the mean follows ``create_net(hidden, hidden, n_layers, width)`` by Euler: with
    ``step_size=None`` as theirs (one step for a gap under 1/50 of the grid's span, else
    ``max(2, int(gap / (span/50))) - 1`` equal steps; they start 0.01 after the last time), else steps of at
    most ``step_size``.
    """

    def __init__(self, input_dim: int, hidden_dim: int = 30, *, width: int = 300, n_layers: int = 3,
                 gru_units: int = 100, step_size: float | None = None):
        super().__init__()
        self.input_dim = _validate.positive_int("input_dim", input_dim)
        self.state_dim = _validate.positive_int("hidden_dim", hidden_dim)
        self.hidden_dim = 2 * hidden_dim  # what the z0 head reads: [mean, std]
        self.dynamics = create_net(hidden_dim, hidden_dim, n_layers, width)
        self.gru = GRUUnit(hidden_dim, 2 * input_dim, gru_units)
        self.solver = {"method": "euler"}
        self.step_size = step_size

    def forward(self, t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        check_series(t, x, mask, self.input_dim)
        batch = x.shape[0]
        mean = x.new_zeros(batch, self.state_dim)
        std = x.new_zeros(batch, self.state_dim)
        observed = mask.amax(dim=-1) > 0
        prev = t[-1] + 0.01  # they start 0.01 after the last time
        min_step = float(t[-1] - t[0]) / 50 if len(t) > 1 else 1.0
        for i in range(len(t) - 1, -1, -1):
            times = torch.stack([prev.reshape(()), t[i]])
            if self.step_size is None:  # theirs: one Euler step under span/50, else max(2, gap // (span/50)) points
                gap = float(prev - t[i])
                n = 1 if gap < min_step else max(2, int(gap / min_step)) - 1
                opts = {"step_size": gap / n}
            else:
                opts = fixed_step_options(self.solver, times, self.step_size)
            mean = odeint(self.dynamics, mean, times, method="euler", options=opts)[-1]
            mean, std = self.gru(mean, std, torch.cat([x[:, i] * mask[:, i], mask[:, i]], -1), observed[:, i])
            prev = t[i]
        return torch.cat([mean, std], -1)


class PublishedRNNEncoder(nn.Module):
    """Their RNN encoder: ``nn.GRU`` backwards over the whole grid, input ``[Δt, x·mask, mask]``."""

    def __init__(self, input_dim: int, hidden_dim: int = 30):
        super().__init__()
        self.input_dim = _validate.positive_int("input_dim", input_dim)
        self.hidden_dim = _validate.positive_int("hidden_dim", hidden_dim)
        self.gru = nn.GRU(2 * input_dim + 1, hidden_dim)

    def forward(self, t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        check_series(t, x, mask, self.input_dim)
        data = torch.cat([x * mask, mask], -1).transpose(0, 1).flip(0)  # (T, batch, 2D), last time first
        gaps = torch.cat([torch.diff(t).flip(0), t.new_zeros(1)])  # their delta_t, reversed, 0 appended
        data = torch.cat([gaps.reshape(-1, 1, 1).expand(-1, x.shape[0], 1), data], -1)
        return self.gru(data)[0][-1]


__all__ = ["GRUUnit", "PublishedODERNNEncoder", "PublishedRNNEncoder", "create_net", "init_published", "z0_head"]
