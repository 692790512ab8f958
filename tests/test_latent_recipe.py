"""Rubanova et al.'s published training recipe (``latent_ode``'s ``run_models.py`` and ``lib/``): the
learning-rate floor, the KL schedule, the IWAE-style loss and the published architecture sizes."""

import dataclasses

import pytest
import torch

import nodebook as nb
from nodebook.latent import kl_schedule, learning_rate, published_loss
from nodebook.latent.losses import gaussian_kl


def test_published_learning_rate_never_falls_below_its_floor_over_300_epochs():
    steps_per_epoch = 8000 // 50  # Hopper: 8 000 training series, batch 50
    rates = [learning_rate(s, 1e-2, 0.999, 1e-3) for s in range(300 * steps_per_epoch)]
    assert min(rates) == pytest.approx(1e-3) and rates[0] == pytest.approx(1e-2 * 0.999)
    assert rates[1000] == pytest.approx(max(1e-2 * 0.999 ** 1001, 1e-3))


def test_the_book_schedule_keeps_a_floor_at_300_hopper_epochs():
    # The book's full budget, asked for 300 epochs (--set hopper.epochs=300), must not decay to ~1e-23.
    b = nb.config.BUDGETS["ch6"]["full"]["hopper"]
    steps = 300 * (8000 // b["batch_size"])
    last = learning_rate(steps - 1, b["lr"], b.get("lr_decay", 1.0), b.get("lr_floor"))
    assert last >= b["lr"] / 10 * (1 - 1e-9)


def test_fit_series_applies_the_floor_to_the_optimiser():
    torch.manual_seed(0)
    model = nb.latent.RNNBaseline(2, 4, decoder_width=0)
    t = torch.linspace(0, 1, 5)
    x = torch.randn(3, 5, 2)
    m = torch.ones_like(x)
    seen = []

    class Spy(torch.optim.Adamax):
        def step(self, closure=None):
            seen.append(self.param_groups[0]["lr"])
            return super().step(closure)

    nb.latent.fit_series(model, lambda g: (t, x, m), steps=30, lr=1e-2, lr_decay=0.5, lr_floor=1e-3,
                         optimizer=Spy)
    assert min(seen) == pytest.approx(1e-3) and seen[0] == pytest.approx(1e-2 * 0.5)


def test_published_kl_weight_is_zero_for_ten_epochs_then_geometric():
    spe = 160
    assert kl_schedule(9 * spe + 159, 0, steps_per_epoch=spe, kind="published") == 0.0
    assert kl_schedule(10 * spe, 0, steps_per_epoch=spe, kind="published") == 0.0  # 1 - 0.99**0
    assert kl_schedule(12 * spe + 5, 0, steps_per_epoch=spe, kind="published") == pytest.approx(1 - 0.99 ** 2)
    with pytest.raises(ValueError, match="kind"):
        kl_schedule(0, 0, kind="cosine")


def test_published_loss_is_the_logsumexp_over_draws_of_the_batch_mean_likelihood_minus_mean_kl():
    # VAE_Baseline.get_gaussian_likelihood averages over the series (dim 1 after the permute): one number per
    # draw, shape [n_traj_samples]; the logsumexp runs over the draws, not over the series of the batch.
    gen = torch.Generator().manual_seed(0)
    S, B, T, D, L = 3, 4, 5, 2, 3
    pred, x = torch.randn(S, B, T, D, generator=gen), torch.randn(B, T, D, generator=gen)
    mask = (torch.rand(B, T, D, generator=gen) > 0.3).float()
    mask[0, :, 1] = 0  # a feature never observed in one series counts as 0 in the mean over features
    mu, logvar = torch.randn(B, L, generator=gen), torch.randn(B, L, generator=gen)
    std = 0.1
    ll = torch.zeros(S, B, D)
    for s in range(S):
        for b in range(B):
            for d in range(D):
                keep = mask[b, :, d] > 0
                if keep.any():
                    dist = torch.distributions.Normal(pred[s, b, keep, d], std)
                    ll[s, b, d] = dist.log_prob(x[b, keep, d]).mean()
    rec = ll.mean(-1).mean(1)  # (S,): mean over features, then over the series
    kl = (gaussian_kl(mu, logvar) / L).mean()
    want = -torch.logsumexp(rec - 0.7 * kl, 0)
    got, info = published_loss(pred, x, mask, std, mu, logvar, kl_weight=0.7)
    torch.testing.assert_close(got, want)
    assert info["kl"] == pytest.approx(float(kl))
    # one draw (their RNN-VAE): minus the batch-mean likelihood plus the weighted KL, no logsumexp over series
    one, _ = published_loss(pred[:1], x, mask, std, mu, logvar, kl_weight=0.7)
    torch.testing.assert_close(one, -(ll[0].mean(-1).mean() - 0.7 * kl))


def test_published_recipe_decoder_ode_has_the_published_parameter_count():
    # create_net(15, 15, n_layers=3, n_units=300): 15*300+300 + 3*(300*300+300) + 300*15+15
    published = 15 * 300 + 300 + 3 * (300 * 300 + 300) + 300 * 15 + 15
    assert published == 280_215
    base = nb.setup("ch6", mode="full", device="cpu", plots=False, verbose=False)
    cfg = dataclasses.replace(base, budget={**base.budget, "recipe": "published"})
    from nodebook.experiments.ch6 import hopper
    for name in ("latent_ode_odernn", "latent_ode_rnn"):
        model = hopper.build_model(name, cfg)
        assert sum(p.numel() for p in model.dynamics.parameters()) == published, name
    enc = hopper.build_model("latent_ode_odernn", cfg).encoder
    # the encoder's ODE: create_net(30, 30, n_layers=3, n_units=300)
    assert sum(p.numel() for p in enc.dynamics.parameters()) == 30 * 300 + 300 + 3 * 90_300 + 300 * 30 + 30
    assert dataclasses.is_dataclass(cfg)


def test_published_latent_ode_solves_extrapolation_from_the_first_predicted_time():
    from nodebook.latent import GRUEncoder, LatentODE
    torch.manual_seed(0)
    model = LatentODE(2, 3, GRUEncoder(2, 5), width=8, decoder_width=0, method="euler")
    t_obs, t_pred = torch.linspace(0, 1, 6), torch.linspace(1.5, 2.5, 5)
    x = torch.randn(4, 6, 2)
    m = torch.ones_like(x)
    mu, _ = model.posterior(t_obs, x, m)
    book = model.predict(t_obs, x, m, t_pred)
    model.solve_from_pred = True  # theirs: z0 is the state at t_pred[0], whatever was observed
    theirs = model.predict(t_obs, x, m, t_pred)
    torch.testing.assert_close(theirs[:, 0], model.decoder(mu))
    assert not torch.allclose(book[:, 0], model.decoder(mu))


def test_the_recipe_and_physionet_protocol_are_set_from_the_command_line():
    from nodebook import __main__ as cli
    quick, full = nb.config.BUDGETS["ch6"]["quick"], nb.config.BUDGETS["ch6"]["full"]
    out = cli.apply_overrides(quick, {"recipe": "published", "physionet.protocol": "published"}, "ch6", [full])
    assert out["recipe"] == "published" and out["physionet"]["protocol"] == "published"
    from nodebook.experiments.ch6 import _recipe
    assert _recipe.hopper_budget(out)["optimizer"] == "adamax"
