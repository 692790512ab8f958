"""The latent ODE: a variational autoencoder whose decoder is an ODE in latent space.

Generative model (Chen et al. 2018, Rubanova et al. 2019)::

    z0 ~ p(z0) = N(0, I)
    z(t_1), ..., z(t_N) = ODESolve(z0, f_θ, t0, t_1 ... t_N)
    x_i ~ N(decoder(z(t_i)), σ²)   independently for every observed entry

Inference: ``q(z0 | x) = N(μ, diag e^{logvar})`` from a recognition network run backwards over the
observations (:mod:`.encoders`). Training maximises the evidence lower bound, estimated with the
reparameterisation ``z0 = μ + e^{logvar/2} ε``::

    ELBO = E_q[ Σ_observed log N(x_i | decoder(z(t_i)), σ²) ] - KL(q(z0 | x) || p(z0))

:class:`LatentVariableModel` holds what any such VAE for series shares (sampling, ELBO, loss,
prediction); :class:`LatentODE` supplies the ODE decoder, :class:`~nodebook.latent.RNNVAE` an RNN one.
"""

from __future__ import annotations

import torch
from torch import nn

from .. import _validate
from ..adjoint import odeint_adjoint
from ..models import MLPDynamics
from ..solvers import odeint
from .encoders import check_series, fixed_step_options
from .losses import gaussian_kl, masked_gaussian_log_likelihood, published_loss


def align_start(t_obs: torch.Tensor, x_obs: torch.Tensor, m_obs: torch.Tensor, t_pred: torch.Tensor | None
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Make the observation grid start where the predictions do: ``z0`` lives at ``t_obs[0]``.

    When ``t_pred`` (default ``t_obs``) starts before ``t_obs[0]``, its first time is prepended to the
    observation grid as a time with nothing observed, so the encoder carries its state back to it.

    Returns:
        ``(t_obs, x_obs, m_obs, t_pred)``, with ``t_pred[0] >= t_obs[0]``.
    """
    if t_pred is None:
        return t_obs, x_obs, m_obs, t_obs
    if not isinstance(t_pred, torch.Tensor) or t_pred.dim() != 1 or len(t_pred) < 1:
        raise ValueError(f"t_pred must be a 1-D tensor of times; got {_validate.describe(t_pred)}")
    if float(t_pred[0]) < float(t_obs[0]):
        pad = x_obs.new_zeros(x_obs.shape[0], 1, x_obs.shape[2])
        t_obs = torch.cat([t_pred[:1].to(t_obs), t_obs])
        x_obs, m_obs = torch.cat([pad, x_obs], dim=1), torch.cat([pad, m_obs], dim=1)
    return t_obs, x_obs, m_obs, t_pred


class LatentVariableModel(nn.Module):
    """A VAE for series: subclasses define ``encoder``, ``to_z0`` and :meth:`decode`.

    Args:
        latent_dim: size of ``z0``.
        obs_std: ``σ`` of the Gaussian observation model.
    """

    def __init__(self, latent_dim: int, obs_std: float):
        super().__init__()
        self.latent_dim = _validate.positive_int("latent_dim", latent_dim)
        self.obs_std = _validate.positive_float("obs_std", obs_std)
        # Rubanova et al.'s recipe (set by nodebook.latent.published_recipe): ``to_z0`` gives [mean, raw std]
        # (std = |raw|), the loss is :func:`published_loss`, and a prediction solves from ``t_pred[0]``.
        self.published = False
        self.solve_from_pred = False

    def decode(self, z0: torch.Tensor, t0: torch.Tensor, t_pred: torch.Tensor) -> torch.Tensor:
        """``z0: (n, latent_dim)`` at time ``t0`` → observation means ``(n, len(t_pred), D)``."""
        raise NotImplementedError

    def posterior(self, t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance of ``q(z0 | x)``, each ``(batch, latent_dim)``."""
        mu, raw = self.to_z0(self.encoder(t, x, mask)).chunk(2, dim=-1)
        if self.published:
            return mu, 2 * raw.abs().clamp_min(1e-8).log()
        return mu, raw

    def forward(self, t_obs: torch.Tensor, x_obs: torch.Tensor, m_obs: torch.Tensor,
                t_pred: torch.Tensor | None = None, *, n_samples: int = 1,
                sample: bool = True) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Encode the observations, draw ``z0`` and decode at ``t_pred``.

        Args:
            t_obs: ``(T,)``; x_obs, m_obs: ``(batch, T, D)`` the observed part.
            t_pred: ``(T',)`` increasing times to predict at (default ``t_obs``); ``z0`` lives at the
                earlier of ``t_obs[0]`` and ``t_pred[0]``.
            n_samples: posterior samples ``S``.
            sample: ``False`` decodes the posterior mean (``S`` copies of it).

        Returns:
            ``pred: (S, batch, T', D)``, ``mu`` and ``logvar``: ``(batch, latent_dim)``.
        """
        check_series(t_obs, x_obs, m_obs)
        # Rubanova et al. solve from the first predicted time whatever was observed (for extrapolation,
        # z0 is then the state at the first predicted time); the book's default: from the earlier start.
        from_pred = self.solve_from_pred and t_pred is not None
        if not from_pred:
            t_obs, x_obs, m_obs, t_pred = align_start(t_obs, x_obs, m_obs, t_pred)
        n_samples = _validate.positive_int("n_samples", n_samples)
        mu, logvar = self.posterior(t_obs, x_obs, m_obs)
        eps = torch.randn(n_samples, *mu.shape, dtype=mu.dtype, device=mu.device) if sample else 0.0
        z0 = (mu + (0.5 * logvar).exp() * eps).expand(n_samples, *mu.shape)
        pred = self.decode(z0.reshape(-1, self.latent_dim), t_pred[0] if from_pred else t_obs[0], t_pred)
        return pred.reshape(n_samples, mu.shape[0], len(t_pred), -1), mu, logvar

    def elbo(self, t_obs: torch.Tensor, x_obs: torch.Tensor, m_obs: torch.Tensor,
             t_pred: torch.Tensor | None = None, x_pred: torch.Tensor | None = None,
             m_pred: torch.Tensor | None = None, *, n_samples: int = 1,
             kl_weight: float = 1.0) -> tuple[torch.Tensor, dict]:
        """The ELBO of each series, scoring the decoder at ``(t_pred, x_pred, m_pred)`` (default: the
        observations themselves).

        Returns:
            ``(batch,)`` ELBO (a Monte Carlo estimate with ``n_samples`` draws; ``kl_weight`` < 1 gives the
            annealed bound used early in training) and a dict with the batch means of ``log_lik`` and ``kl``.
        """
        t_pred, x_pred, m_pred = self._targets(t_obs, x_obs, m_obs, t_pred, x_pred, m_pred)
        pred, mu, logvar = self(t_obs, x_obs, m_obs, t_pred, n_samples=n_samples)
        log_lik = masked_gaussian_log_likelihood(pred, x_pred, m_pred, self.obs_std).mean(dim=0)
        kl = gaussian_kl(mu, logvar)
        return log_lik - kl_weight * kl, {"log_lik": float(log_lik.detach().mean()), "kl": float(kl.detach().mean())}

    @staticmethod
    def _targets(t_obs, x_obs, m_obs, t_pred, x_pred, m_pred):
        if t_pred is None:
            return t_obs, x_obs, m_obs
        if x_pred is None or m_pred is None:
            raise ValueError("pass x_pred and m_pred together with t_pred (the values to score there)")
        return t_pred, x_pred, m_pred

    def loss(self, t_obs, x_obs, m_obs, t_pred=None, x_pred=None, m_pred=None, *, kl_weight: float = 1.0,
             n_samples: int = 1) -> tuple[torch.Tensor, dict]:
        """What training minimises: the negative ELBO averaged over the batch (arguments as :meth:`elbo`), or
        with :attr:`published` Rubanova et al.'s loss (:func:`~nodebook.latent.published_loss`)."""
        if self.published:
            t_p, x_p, m_p = self._targets(t_obs, x_obs, m_obs, t_pred, x_pred, m_pred)
            pred, mu, logvar = self(t_obs, x_obs, m_obs, t_p, n_samples=n_samples)
            return published_loss(pred, x_p, m_p, self.obs_std, mu, logvar, kl_weight=kl_weight)
        elbo, info = self.elbo(t_obs, x_obs, m_obs, t_pred, x_pred, m_pred, kl_weight=kl_weight, n_samples=n_samples)
        return -elbo.mean(), info

    @torch.no_grad()
    def predict(self, t_obs: torch.Tensor, x_obs: torch.Tensor, m_obs: torch.Tensor,
                t_pred: torch.Tensor | None = None, *, n_samples: int = 1) -> torch.Tensor:
        """Posterior-mean prediction ``(batch, T', D)`` (``n_samples == 1``), or the average over
        ``n_samples`` posterior draws."""
        if n_samples == 1:
            return self(t_obs, x_obs, m_obs, t_pred, sample=False)[0][0]
        return self(t_obs, x_obs, m_obs, t_pred, n_samples=n_samples)[0].mean(dim=0)


class LatentODE(LatentVariableModel):
    """Latent ODE: ``q(z0 | x)`` from ``encoder``, ``dz/dt = f(z)`` by an ODE solver, an MLP decoder.

    Args:
        obs_dim: features ``D``.
        latent_dim: size of ``z``.
        encoder: a module mapping ``(t, x, mask)`` to ``(batch, encoder.hidden_dim)``, e.g.
            :class:`~nodebook.latent.GRUEncoder` or :class:`~nodebook.latent.ODERNNEncoder`.
        width, depth: the MLP of the latent dynamics ``f`` (tanh, autonomous).
        decoder_width: hidden width of the decoder MLP ``z → x``; ``0`` makes the decoder one linear
            layer (Rubanova et al.'s).
        obs_std: ``σ`` of the observation model.
        method, rtol, atol, options: the solver (:func:`nodebook.odeint`).
        step_size: the longest step of a fixed-step method. ``None``: the smallest gap between the times
            of the solve, so no step is longer than the data spacing, whichever times are asked for (a
            prediction far from ``t0`` is reached by many steps, never by one long one). Pass the data
            spacing to make the steps the same whatever times a batch holds. Ignored by dopri5.
        adjoint: solve with :func:`nodebook.odeint_adjoint` (memory flat in the number of steps).
    """

    def __init__(self, obs_dim: int, latent_dim: int, encoder: nn.Module, *, width: int = 20, depth: int = 2,
                 decoder_width: int = 20, obs_std: float = 0.3, method: str = "rk4", rtol: float | None = None,
                 atol: float | None = None, options: dict | None = None, step_size: float | None = None,
                 adjoint: bool = False):
        super().__init__(latent_dim, obs_std)
        self.obs_dim = _validate.positive_int("obs_dim", obs_dim)
        self.encoder = encoder
        self.to_z0 = nn.Linear(encoder.hidden_dim, 2 * latent_dim)
        self.dynamics = MLPDynamics(latent_dim, width, depth=depth)
        if decoder_width:
            self.decoder = nn.Sequential(nn.Linear(latent_dim, decoder_width), nn.ReLU(),
                                         nn.Linear(decoder_width, obs_dim))
        else:
            self.decoder = nn.Sequential(nn.Linear(latent_dim, obs_dim))
        self.solver = {"method": method, "rtol": rtol, "atol": atol, "options": options}
        self.step_size = None if step_size is None else _validate.positive_float("step_size", step_size)
        self.adjoint = bool(adjoint)

    def latent_path(self, z0: torch.Tensor, t0: torch.Tensor, t_pred: torch.Tensor) -> torch.Tensor:
        """``z(t)`` for ``t`` in ``t_pred``: ``(n, len(t_pred), latent_dim)``, solved from ``z0`` at ``t0``."""
        t0 = t0.reshape(1).to(t_pred)
        prepend = bool(t_pred[0] > t0[0])
        times = torch.cat([t0, t_pred]) if prepend else t_pred
        if len(times) == 1:  # a single time equal to t0: nothing to solve
            return z0.unsqueeze(1)
        solve = odeint_adjoint if self.adjoint else odeint
        solver = {**self.solver, "options": fixed_step_options(self.solver, times, self.step_size)}
        zs = solve(self.dynamics, z0, times, **solver)
        return (zs[1:] if prepend else zs).transpose(0, 1)

    def decode(self, z0: torch.Tensor, t0: torch.Tensor, t_pred: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.latent_path(z0, t0, t_pred))


__all__ = ["LatentODE", "LatentVariableModel", "align_start"]
