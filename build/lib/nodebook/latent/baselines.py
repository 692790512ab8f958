"""The baselines of the latent-ODE papers: RNNs that are told the time gaps but have no ODE.

* :class:`RNNBaseline` (Chen et al. 2018's spiral baseline): a GRU encoder reads the observations
  backwards with the time gaps as an input, and a GRU decoder, started from the encoder's state, steps
  through the prediction times with each gap ``Δt`` as its input and reads out ``x``. Trained on the
  masked mean squared error; deterministic.
* :class:`RNNVAE` (Rubanova et al. 2019's baseline): the same encoder and decoder around a Gaussian
  latent ``z0``, trained on the ELBO exactly like the latent ODE, so the two differ only in the decoder:
  an ODE in latent space against a GRU fed with time gaps.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _validate
from .encoders import GRUEncoder, check_series
from .losses import masked_mse
from .model import LatentVariableModel, align_start


class RNNDecoder(nn.Module):
    """A GRU that steps from ``t0`` through ``t_pred`` with the gap ``Δt`` as input and reads out ``x``.

    Args:
        hidden_dim: GRU state size.
        obs_dim: features ``D`` read out at each time.
        width: hidden width of the read-out MLP (0: one linear layer).
    """

    def __init__(self, hidden_dim: int, obs_dim: int, width: int = 20):
        super().__init__()
        self.hidden_dim = _validate.positive_int("hidden_dim", hidden_dim)
        self.gru = nn.GRUCell(1, hidden_dim)
        self.readout = (nn.Sequential(nn.Linear(hidden_dim, width), nn.ReLU(), nn.Linear(width, obs_dim)) if width
                        else nn.Linear(hidden_dim, obs_dim))

    def forward(self, h: torch.Tensor, t0: torch.Tensor, t_pred: torch.Tensor) -> torch.Tensor:
        """``h: (n, hidden_dim)`` at ``t0`` → ``(n, len(t_pred), obs_dim)``."""
        gaps = torch.diff(t_pred, prepend=t0.reshape(1).to(t_pred))
        states = []
        for dt in gaps:
            h = self.gru(dt.expand(h.shape[0], 1), h)
            states.append(h)
        return self.readout(torch.stack(states, dim=1))


class RNNBaseline(nn.Module):
    """Encoder-decoder GRU with time gaps as inputs, trained on the masked MSE (no latent variable).

    Args:
        obs_dim: features ``D``.
        hidden_dim: GRU state size of encoder and decoder.
        decoder_width: hidden width of the read-out MLP.
    """

    def __init__(self, obs_dim: int, hidden_dim: int = 25, *, decoder_width: int = 20):
        super().__init__()
        self.encoder = GRUEncoder(obs_dim, hidden_dim)
        self.bridge = nn.Linear(hidden_dim, hidden_dim)
        self.decoder = RNNDecoder(hidden_dim, obs_dim, decoder_width)

    def forward(self, t_obs: torch.Tensor, x_obs: torch.Tensor, m_obs: torch.Tensor,
                t_pred: torch.Tensor | None = None) -> torch.Tensor:
        """Predictions ``(batch, T', D)`` at ``t_pred`` (default ``t_obs``)."""
        check_series(t_obs, x_obs, m_obs)
        t_obs, x_obs, m_obs, t_pred = align_start(t_obs, x_obs, m_obs, t_pred)
        h = torch.tanh(self.bridge(self.encoder(t_obs, x_obs, m_obs)))
        return self.decoder(h, t_obs[0], t_pred)

    def loss(self, t_obs, x_obs, m_obs, t_pred=None, x_pred=None, m_pred=None, *, kl_weight: float = 1.0,
             n_samples: int = 1) -> tuple[torch.Tensor, dict]:
        """Masked MSE at ``(t_pred, x_pred, m_pred)`` (default: the observations); ``kl_weight`` and
        ``n_samples`` are accepted, and ignored, so that every model trains through one loop."""
        if t_pred is None:
            t_pred, x_pred, m_pred = t_obs, x_obs, m_obs
        mse = masked_mse(self(t_obs, x_obs, m_obs, t_pred), x_pred, m_pred)
        return mse, {"mse": float(mse.detach())}

    @torch.no_grad()
    def predict(self, t_obs, x_obs, m_obs, t_pred=None, *, n_samples: int = 1) -> torch.Tensor:
        return self(t_obs, x_obs, m_obs, t_pred)


class RNNVAE(LatentVariableModel):
    """RNN-VAE: ``q(z0 | x)`` from a backwards GRU with time gaps, a GRU decoder fed with time gaps.

    Args:
        obs_dim: features ``D``.
        latent_dim: size of ``z0``.
        hidden_dim: GRU state size of encoder and decoder.
        decoder_width: hidden width of the read-out MLP.
        obs_std: ``σ`` of the Gaussian observation model.
    """

    def __init__(self, obs_dim: int, latent_dim: int, hidden_dim: int = 25, *, decoder_width: int = 20,
                 obs_std: float = 0.3):
        super().__init__(latent_dim, obs_std)
        self.encoder = GRUEncoder(obs_dim, hidden_dim)
        self.to_z0 = nn.Linear(hidden_dim, 2 * latent_dim)
        self.from_z0 = nn.Linear(latent_dim, hidden_dim)
        self.decoder = RNNDecoder(hidden_dim, obs_dim, decoder_width)

    def decode(self, z0: torch.Tensor, t0: torch.Tensor, t_pred: torch.Tensor) -> torch.Tensor:
        return self.decoder(torch.tanh(self.from_z0(z0)), t0, t_pred)


__all__ = ["RNNBaseline", "RNNDecoder", "RNNVAE"]
