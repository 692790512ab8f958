"""Rubanova et al.'s RNN-VAE (``latent_ode``'s ``lib/rnn_baselines.py``: ``RNN_VAE`` and ``run_rnn``), rewritten.

What ``run_models.py --rnn-vae`` builds (``concat_mask=True``, ``n_units=--units``, GRU cells), step by step:

* the batch's grid keeps only the times at which some series observed something (their ``get_next_batch``
  tests the sum of the observed values, the same unless they sum to exactly 0);
* **encoder**: ``GRUCell(2D + 1 -> rec_dims)`` over ``[x·mask, mask, Δt]``, read **backwards** when the first
  predicted time lies before the last observed one (interpolation), **forwards** otherwise (extrapolation);
  ``Δt`` is the gap to the next time read (0 for the last). A step where a series observes nothing keeps
  its state, except the very first step, which always updates from the zero state;
* ``q(z0)``: ``z0_net = Linear(rec, units)-Tanh-Linear(units, 2 latent)``, std ``|raw|``; **one** draw of
  ``z0`` whatever the number of samples asked for (their ``get_reconstruction`` ignores ``n_traj_samples``);
* **decoder**: ``GRUCell(2D + 1 -> latent)`` started at ``z0``. Its first input is the first row of the data
  *as read* (reversed in interpolation: the last grid time; forwards: the first), then each next input is
  the read-out of its previous state: it feeds back its own outputs. The mask input is all ones and ``Δt``
  is ``[0, diff(t_pred)]`` taken one step late (the step that leaves state ``h_k`` uses ``t_k - t_{k-1}``);
* **read-out**: ``Linear(latent, units)-Tanh-Linear(units, D)``; outputs are the read-out of
  ``[z0, h_1, ...]`` shifted by one: the prediction at ``t_pred[0]`` is that first data row (so in
  interpolation the window's first time is "predicted" by the row observed at its last time, zeros where
  that series saw nothing), the one at ``t_pred[k]`` is ``readout(h_{k-1})``. The last state their loop
  computes is dropped by the shift, so it is not computed here.

``z0_net`` and the read-out start ``N(0, 0.1²)`` with zero biases; the GRU cells keep PyTorch's init.
The loss is :func:`~nodebook.latent.published_loss` on that one draw.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _validate
from ._published import init_published, z0_head
from .encoders import check_series
from .model import LatentVariableModel


class PublishedRNNVAE(LatentVariableModel):
    """Their ``RNN_VAE``. ``forward`` returns ``pred`` shaped ``(1, batch, T', D)`` (one draw of ``z0``).

    Args:
        obs_dim: features ``D``.
        latent_dim: their ``--latents`` (decoder GRU state).
        rec_dims: their ``--rec-dims`` (encoder GRU state).
        n_units: their ``--units`` (``z0_net`` and read-out hidden width).
        obs_std: ``σ`` of the Gaussian observation model (theirs: 1e-3 for Hopper).
    """

    def __init__(self, obs_dim: int, latent_dim: int = 15, rec_dims: int = 30, *, n_units: int = 300,
                 obs_std: float = 1e-3):
        super().__init__(latent_dim, obs_std)
        self.obs_dim = _validate.positive_int("obs_dim", obs_dim)
        rec_dims = _validate.positive_int("rec_dims", rec_dims)
        n_units = _validate.positive_int("n_units", n_units)
        self.enc_cell = nn.GRUCell(2 * obs_dim + 1, rec_dims)
        self.dec_cell = nn.GRUCell(2 * obs_dim + 1, latent_dim)
        self.to_z0 = z0_head(rec_dims, n_units, latent_dim)
        self.readout = init_published(nn.Sequential(nn.Linear(latent_dim, n_units), nn.Tanh(),
                                                    nn.Linear(n_units, obs_dim)))
        self.published = True
        self.solve_from_pred = True

    def _read(self, t_obs, x_obs, m_obs, t_pred):
        """The grid they read: times nobody observed dropped, ``x·mask``, reversed for interpolation."""
        check_series(t_obs, x_obs, m_obs, self.obs_dim)
        if not isinstance(t_pred, torch.Tensor) or t_pred.dim() != 1 or len(t_pred) < 1 \
                or not t_pred.is_floating_point():
            raise ValueError(f"t_pred must be a 1-D floating tensor of >= 1 times; got {_validate.describe(t_pred)}")
        keep = m_obs.amax(dim=(0, 2)) > 0
        if not bool(keep.any()):
            raise ValueError("the RNN-VAE needs at least one observed value in the batch; the mask selects none")
        t, x, m = t_obs[keep], x_obs[:, keep], m_obs[:, keep]
        data = x * m
        backwards = bool(t_pred[0] < t[-1])
        gaps = torch.diff(t)
        if backwards:
            data, m, gaps = data.flip(1), m.flip(1), gaps.flip(0)
        return data, m, torch.cat([gaps, gaps.new_zeros(1)])

    def encoder_states(self, data: torch.Tensor, mask: torch.Tensor, gaps: torch.Tensor) -> torch.Tensor:
        """The encoder's state after each step ``(batch, T, rec_dims)``, for data already in reading order."""
        h, states = None, []
        for i in range(data.shape[1]):
            dt = gaps[i].reshape(1, 1).expand(data.shape[0], 1).to(data)
            new = self.enc_cell(torch.cat([data[:, i], mask[:, i], dt], -1), h)
            if h is not None:  # their masked update skips the first step (no previous state yet)
                seen = (mask[:, i].sum(-1, keepdim=True) > 0).to(new)
                new = seen * new + (1 - seen) * h
            h = new
            states.append(h)
        return torch.stack(states, dim=1)

    def decoder_states(self, z0: torch.Tensor, first: torch.Tensor, t_pred: torch.Tensor) -> torch.Tensor:
        """``[z0, h_1, ..., h_{T'-2}]`` ``(n, T'-1, latent)`` (just ``z0`` when ``T' <= 2``): ``h_1`` reads
        ``first`` with ``Δt = 0``, each later ``h_k`` reads ``readout(h_{k-1})`` with ``t_{k-1} - t_{k-2}``."""
        gaps = torch.cat([t_pred.new_zeros(1), torch.diff(t_pred)]).to(z0)
        ones = z0.new_ones(z0.shape[0], self.obs_dim)
        h, states = z0, [z0]
        for i in range(len(t_pred) - 2):
            inp = first if i == 0 else self.readout(h)
            h = self.dec_cell(torch.cat([inp, ones, gaps[i].expand(z0.shape[0], 1)], -1), h)
            states.append(h)
        return torch.stack(states, dim=1)

    def posterior(self, t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor,
                  t_pred: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of ``q(z0 | x)`` (std ``|raw|``), read in the direction ``t_pred`` implies."""
        mu, raw = self._q_z0(*self._read(t, x, mask, t if t_pred is None else t_pred))
        return mu, 2 * raw.abs().clamp_min(1e-8).log()

    def _q_z0(self, data, m, gaps) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and raw std of ``q(z0)`` from the encoder's last state."""
        return self.to_z0(self.encoder_states(data, m, gaps)[:, -1]).chunk(2, dim=-1)

    def forward(self, t_obs: torch.Tensor, x_obs: torch.Tensor, m_obs: torch.Tensor,
                t_pred: torch.Tensor | None = None, *, n_samples: int = 1,
                sample: bool = True) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``pred (1, batch, T', D)``, ``mu`` and ``logvar`` ``(batch, latent)``.

        ``n_samples`` is checked and otherwise ignored, as theirs: one draw of ``z0`` (``sample=False``: its
        mean). ``t_pred`` defaults to ``t_obs``.
        """
        _validate.positive_int("n_samples", n_samples)
        t_pred = t_obs if t_pred is None else t_pred
        data, m, gaps = self._read(t_obs, x_obs, m_obs, t_pred)
        mu, raw = self._q_z0(data, m, gaps)
        std = raw.abs()
        z0 = mu + std * torch.randn_like(mu) if sample else mu
        first = data[:, 0]
        pred = first.unsqueeze(1)
        if len(t_pred) > 1:
            pred = torch.cat([pred, self.readout(self.decoder_states(z0, first, t_pred))], dim=1)
        return pred.unsqueeze(0), mu, 2 * std.clamp_min(1e-8).log()


__all__ = ["PublishedRNNVAE"]
