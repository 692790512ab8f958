"""``--set recipe=published``: Rubanova et al.'s Hopper model and training recipe (``latent_ode``'s
``run_models.py`` with the README's Hopper command: ``-l 15 --rec-dims 30 --gen-layers 3 --rec-layers 3
--units 300 --gru-units 100``), beside the book's default (``recipe: "book"``).

What the overlay sets, each exactly as their code does it: ODE functions ``create_net(n_layers=3, 300)``
(decoder and ODE-RNN encoder), their GRU unit with MLP gates carrying mean and std, their plain-GRU RNN
encoder, MLP heads to ``q(z0)`` with std ``|raw|``, N(0, 0.1²) initialisation, a linear decoder, observation
std 1e-3, the per-(series, feature) likelihood averaged over the batch with a logsumexp over 3 draws, the KL
weight 0 for 10 epochs then ``1 - 0.99^(epoch - 10)``, Adamax lr 1e-2 ×0.999 per iteration with floor 1e-3,
no gradient clipping, batch 50, 300 epochs, the extrapolation solve from the first predicted time, and their
RNN-VAE (a decoder GRU of the latent size fed its own outputs, one draw of ``z0``:
:mod:`nodebook.latent._published_rnn_vae`).
A budget's ``shrink`` block (e.g. ``{"epochs": 20}``) is applied after the overlay and the protocol table
says what it changed.

The decoder is solved with dopri5 (rtol 1e-3, atol 1e-4) and the ODE-RNN encoder with their Euler rule, as
theirs. Not as theirs (listed in the chapter's protocol table): the data are regenerated with today's MuJoCo.
"""

from __future__ import annotations

from ...latent import LatentODE
from ...latent._published import PublishedODERNNEncoder, PublishedRNNEncoder, init_published, z0_head
from ...latent._published_rnn_vae import PublishedRNNVAE

PUBLISHED = {"latent_dim": 15, "hidden": 30, "width": 300, "n_layers": 3, "gru_units": 100, "decoder_width": 0,
             "obs_std": 1e-3, "n_samples": 3, "method": "dopri5", "rtol": 1e-3, "atol": 1e-4, "kl_kind": "published",
             "optimizer": "adamax", "lr": 1e-2, "lr_decay": 0.999, "lr_floor": 1e-3, "clip": None, "batch_size": 50,
             "epochs": 300}


def hopper_budget(budget: dict) -> dict:
    """The Hopper block a run uses: the budget's, overlaid with :data:`PUBLISHED` when ``recipe`` says so,
    then with the budget's ``shrink`` block."""
    recipe = budget.get("recipe", "book")
    if recipe not in ("book", "published"):
        raise ValueError(f"ch6 recipe must be 'book' or 'published'; got {recipe!r}")
    b = dict(budget["hopper"])
    if recipe == "published":
        b.update(PUBLISHED)
        b.update(budget.get("shrink") or {})
    b["recipe"] = recipe
    return b


def published_latent_ode(name: str, b: dict, obs_dim: int, solver: dict, spacing: float) -> LatentODE:
    """A latent ODE of :data:`PUBLISHED` sizes: ``name`` ``"latent_ode_odernn"`` or ``"latent_ode_rnn"``."""
    latent, rec = b["latent_dim"], b["hidden"]
    if name == "latent_ode_odernn":
        enc = PublishedODERNNEncoder(obs_dim, rec, width=b["width"], n_layers=b["n_layers"],
                                     gru_units=b["gru_units"], step_size=None)
        head = z0_head(2 * rec, 100, latent)
    else:
        enc = PublishedRNNEncoder(obs_dim, rec)
        head = z0_head(rec, 50, latent)
    model = LatentODE(obs_dim, latent, enc, width=b["width"], depth=b["n_layers"] + 2, decoder_width=0,
                      obs_std=b["obs_std"], **solver)
    init_published(model.dynamics)
    init_published(model.decoder)
    model.to_z0 = head
    model.published = True
    model.solve_from_pred = True
    return model


def published_rnn_vae(b: dict, obs_dim: int) -> PublishedRNNVAE:
    """Their ``RNN_VAE`` as ``run_models.py --rnn-vae`` builds it with the Hopper flags: encoder GRU of
    ``rec_dims`` (``hidden``), decoder GRU of the latent size fed its own outputs, ``z0_net`` and read-out
    ``units`` (``width``) wide (:class:`~nodebook.latent._published_rnn_vae.PublishedRNNVAE`)."""
    return PublishedRNNVAE(obs_dim, b["latent_dim"], b["hidden"], n_units=b["width"], obs_std=b["obs_std"])
