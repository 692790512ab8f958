"""Rubanova et al.'s RNN-VAE under ``recipe: "published"`` (``latent_ode``'s ``lib/rnn_baselines.py``):
sizes, a step-by-step transcription of their ``get_reconstruction``, the decoder's feedback, the masked
encoder, one draw of ``z0``, and bad input."""

import dataclasses

import pytest
import torch

import nodebook as nb
from nodebook.experiments import ch6
from nodebook.experiments.ch6 import hopper
from nodebook.latent import RNNVAE, published_loss

SMALL = {"latent_dim": 3, "hidden": 5, "width": 8, "obs_std": 0.1}


def small_model(seed=0):
    torch.manual_seed(seed)
    return ch6._recipe.published_rnn_vae(SMALL, 2)


def batch(seed=0):
    """3 series, 7 times, 2 features; the last time is observed by no series (their grid drops it), the
    second-to-last only by series 0, series 1 sees nothing at the first time."""
    gen = torch.Generator().manual_seed(seed)
    t = torch.linspace(0.0, 0.6, 7)
    x = torch.rand(3, 7, 2, generator=gen) + 0.1
    m = (torch.rand(3, 7, 2, generator=gen) > 0.4).float()
    m[:, 2, 0] = 1.0
    m[:, -1] = 0.0
    m[1:, -2] = 0.0
    m[0, -2, 1] = 1.0
    m[1, 0] = 0.0
    return t, x, m


def transcription(model, t_obs, x, m, t_pred):
    """Their get_reconstruction with z0 = its mean, written out one step at a time."""
    keep = (x * m).sum(dim=(0, 2)) != 0  # get_next_batch: times whose observed values sum to 0 are dropped
    t, x, m = t_obs[keep], x[:, keep], m[:, keep]
    data = x * m
    order = list(range(len(t)))
    if t_pred[0] < t[-1]:
        order.reverse()
    h = torch.zeros(x.shape[0], model.enc_cell.hidden_size)
    for p, j in enumerate(order):
        gap = abs(float(t[order[p + 1]] - t[j])) if p + 1 < len(order) else 0.0
        new = model.enc_cell(torch.cat([data[:, j], m[:, j], torch.full((x.shape[0], 1), gap)], -1), h)
        seen = m[:, j].sum(-1, keepdim=True) > 0
        h = new if p == 0 else torch.where(seen, new, h)
    z0 = model.to_z0(h)[:, :model.latent_dim]
    first = data[:, order[0]]
    ones = torch.ones_like(first)
    preds, hidden = [first], z0
    for k in range(1, len(t_pred)):
        preds.append(model.readout(hidden))  # prediction k reads out state k - 1 (state 0 is z0)
        gap = 0.0 if k == 1 else float(t_pred[k - 1] - t_pred[k - 2])
        inp = first if k == 1 else preds[k]  # state k reads prediction k: the read-out of state k - 1
        hidden = model.dec_cell(torch.cat([inp, ones, torch.full((x.shape[0], 1), gap)], -1), hidden)
    return torch.stack(preds, dim=1)


def test_published_rnn_vae_has_the_published_parameter_count_at_hopper_sizes():
    base = nb.setup("ch6", mode="full", device="cpu", plots=False, verbose=False)
    cfg = dataclasses.replace(base, budget={**base.budget, "recipe": "published"})
    model = hopper.build_model("rnn_vae", cfg)
    d, rec, lat, units = 14, 30, 15, 300  # run_models.py --rnn-vae -l 15 --rec-dims 30 --units 300, concat_mask

    def gru(n_in, n_h):  # GRUCell: weight_ih (3h, in), weight_hh (3h, h), two biases (3h)
        return 3 * n_h * n_in + 3 * n_h * n_h + 2 * 3 * n_h
    enc, dec = gru(2 * d + 1, rec), gru(2 * d + 1, lat)
    z0_net = rec * units + units + units * 2 * lat + 2 * lat
    readout = lat * units + units + units * d + d
    assert (enc, dec, z0_net, readout) == (5490, 2070, 18330, 9014)
    assert sum(p.numel() for p in model.parameters()) == enc + dec + z0_net + readout == 34_904
    assert sum(p.numel() for p in model.readout.parameters()) == readout


@pytest.mark.parametrize("task", ["interp", "extrap"])
def test_published_rnn_vae_is_their_get_reconstruction_step_by_step(task):
    model = small_model()
    t, x, m = batch()
    if task == "interp":
        t_obs, x_obs, m_obs, t_pred = t, x, m, t
    else:  # the first 5 times seen, 4 later ones predicted
        t_obs, x_obs, m_obs, t_pred = t[:5], x[:, :5], m[:, :5], torch.linspace(0.7, 1.0, 4)
    with torch.no_grad():
        got = model(t_obs, x_obs * m_obs, m_obs, t_pred, sample=False)[0]
        want = transcription(model, t_obs, x_obs, m_obs, t_pred)
    assert got.shape == (1, 3, len(t_pred), 2)
    torch.testing.assert_close(got[0], want)


def test_the_first_prediction_is_the_data_row_their_code_reads_first():
    model = small_model()
    t, x, m = batch()
    with torch.no_grad():
        interp = model.predict(t, x, m, t)
        extrap = model.predict(t[:5], x[:, :5], m[:, :5], torch.linspace(0.7, 1.0, 4))
    # interpolation reads backwards: the window's first time is "predicted" by the row of the last time that
    # any series observed (t[-2]; t[-1] is dropped), zeros where a series saw nothing there
    torch.testing.assert_close(interp[:, 0], x[:, -2] * m[:, -2])
    assert float(interp[1, 0].abs().sum()) == 0.0
    # extrapolation reads forwards: the first predicted time gets the row observed at the first time
    torch.testing.assert_close(extrap[:, 0], x[:, 0] * m[:, 0])


def test_the_decoder_feeds_back_its_own_read_out():
    model = small_model()
    t, x, m = batch()
    with torch.no_grad():
        mu, _ = model.posterior(t, x, m)
        first = (x * m)[:, -2]
        before = model.decoder_states(mu, first, t)
        model.readout[2].bias.add_(0.5)  # change only the read-out
        after = model.decoder_states(mu, first, t)
    assert before.shape == (3, len(t) - 1, SMALL["latent_dim"])
    torch.testing.assert_close(after[:, :2], before[:, :2])  # z0 and h_1 (fed the data row) unchanged
    assert (after[:, 2:] - before[:, 2:]).abs().amax() > 1e-4  # every later state reads the read-out
    out = model(t, x, m, t, sample=False)[0][0, :, 3].sum()
    out.backward()
    assert model.dec_cell.weight_ih.grad[:, :2].abs().sum() > 0  # gradient through the fed-back outputs


def test_the_encoder_keeps_its_state_where_a_series_observes_nothing_except_at_the_first_step():
    model = small_model()
    gen = torch.Generator().manual_seed(1)
    data = torch.rand(2, 5, 2, generator=gen)
    mask = torch.ones(2, 5, 2)
    mask[0, 0] = 0.0  # series 0: nothing at the first step read
    mask[1, 2] = 0.0  # series 1: nothing at step 2
    data = data * mask
    with torch.no_grad():
        states = model.encoder_states(data, mask, torch.full((5,), 0.1))
    assert states.shape == (2, 5, SMALL["hidden"])
    assert states[0, 0].abs().sum() > 0  # their first step updates from zero whatever was seen
    torch.testing.assert_close(states[1, 2], states[1, 1])  # masked update: state kept
    assert (states[1, 3] - states[1, 2]).abs().sum() > 0 and (states[0, 2] - states[0, 1]).abs().sum() > 0


def test_one_draw_of_z0_whatever_the_number_of_samples_asked_for():
    model = small_model()
    t, x, m = batch()
    pred, mu, logvar = model(t, x, m, t, n_samples=3)
    assert pred.shape == (1, 3, 7, 2) and mu.shape == logvar.shape == (3, SMALL["latent_dim"])
    torch.manual_seed(5)
    got, _ = model.loss(t, x, m, t, x, m, kl_weight=0.3, n_samples=3)
    torch.manual_seed(5)
    one, mu, logvar = model(t, x, m, t, n_samples=1)
    torch.testing.assert_close(got, published_loss(one, x, m, SMALL["obs_std"], mu, logvar, kl_weight=0.3)[0])
    assert model.predict(t, x, m, t, n_samples=3).shape == (3, 7, 2)


def test_bad_input_is_refused_naming_what_was_expected():
    model = small_model()
    t, x, m = batch()
    with pytest.raises(ValueError, match="expected 2 features"):
        model(t, torch.zeros(3, 7, 3), torch.ones(3, 7, 3))
    with pytest.raises(ValueError, match="t_pred must be a 1-D"):
        model(t, x, m, t.reshape(7, 1))
    with pytest.raises(ValueError, match="mask selects none"):
        model(t, x, torch.zeros_like(m))
    with pytest.raises(ValueError, match="n_samples"):
        model(t, x, m, n_samples=0)
    with pytest.raises(ValueError, match="obs_dim"):
        ch6._recipe.published_rnn_vae(SMALL, 0)


def test_only_the_published_recipe_builds_their_rnn_vae():
    base = nb.setup("ch6", mode="quick", device="cpu", plots=False, verbose=False)
    assert type(hopper.build_model("rnn_vae", base)) is RNNVAE  # the book's, unchanged
    pub = dataclasses.replace(base, budget={**base.budget, "recipe": "published"})
    model = hopper.build_model("rnn_vae", pub)
    assert type(model).__name__ == "PublishedRNNVAE" and model.published
    row = next(r for r in ch6.report.protocol_table(nb.config.BUDGETS["ch6"]["full"], base.budget).splitlines()
               if r.startswith("| RNN-VAE |"))
    ref, quick = row.split("|")[3], row.split("|")[4]
    assert "theirs" in ref and "book" not in ref and "book" in quick and "own read-out" in row.split("|")[2]
