"""Chapter 6: latent ODEs for irregularly-sampled time series.

* :mod:`.losses`: masked MSE/RMSE and Gaussian log-likelihood (missing values never count), Gaussian KL.
* :mod:`.encoders`: recognition networks read backwards in time: ``GRUEncoder`` (time gaps as input)
  and ``ODERNNEncoder`` (Rubanova et al.'s ODE-RNN: the state flows by an ODE between observations).
* :mod:`.model`: ``LatentODE`` (and ``LatentVariableModel``, what any VAE for series shares: ELBO,
  sampling, prediction).
* :mod:`.baselines`: ``RNNBaseline`` (Chen et al.'s spiral baseline) and ``RNNVAE`` (Rubanova et al.'s).
* :mod:`.training`: ``fit_series``, one training loop for all of them (Adam or Adamax, a learning rate with
  a floor, the book's or Rubanova et al.'s KL schedule).
* :mod:`.naive`: baselines that learn nothing (linear interpolation, constant velocity, last value).
* :mod:`._published`: Rubanova et al.'s published networks (their GRU unit, encoders, ``create_net``),
  :mod:`._published_rnn_vae` (their RNN-VAE) and :func:`published_loss` in :mod:`.losses`: what
  ``--set recipe=published`` builds in chapter 6.

A batch is ``(t, x, mask)``: ``t: (T,)`` the sorted union of the batch's observation times,
``x: (batch, T, D)`` (anything where missing) and ``mask: (batch, T, D)`` (1 observed, 0 missing).
"""

from .baselines import RNNVAE, RNNBaseline, RNNDecoder
from .encoders import GRUEncoder, ODERNNEncoder, check_series, data_spacing
from .losses import (
    gaussian_kl,
    masked_gaussian_log_likelihood,
    masked_mse,
    masked_rmse,
    masked_sse,
    per_series_mse,
    published_loss,
)
from .model import LatentODE, LatentVariableModel, align_start
from .training import SeriesHistory, fit_series, kl_schedule, learning_rate

__all__ = [
    "GRUEncoder", "LatentODE", "LatentVariableModel", "ODERNNEncoder", "RNNBaseline", "RNNDecoder", "RNNVAE",
    "SeriesHistory", "align_start", "check_series", "data_spacing", "fit_series", "gaussian_kl", "kl_schedule",
    "learning_rate", "published_loss",
    "masked_gaussian_log_likelihood", "masked_mse", "masked_rmse", "masked_sse", "per_series_mse",
]
