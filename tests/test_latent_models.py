"""Encoders, latent ODE and baselines: shapes, masks, the flow property, and an ELBO that improves."""

import pytest
import torch

import nodebook as nb
from nodebook.latent import RNNVAE, GRUEncoder, LatentODE, ODERNNEncoder, RNNBaseline, fit_series, kl_schedule

D = 2


def _series(seed=0, batch=4, n_times=7, p=0.6, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    t = torch.sort(torch.rand(n_times, generator=g, dtype=dtype)).values * 3
    x = torch.randn(batch, n_times, D, generator=g, dtype=dtype)
    mask = (torch.rand(batch, n_times, 1, generator=g) < p).to(dtype).expand(-1, -1, D).clone()
    mask[:, 0] = 1.0  # every series seen at t[0]
    return t, x * mask, mask


def _tight_odernn(seed=0):
    torch.manual_seed(seed)
    return ODERNNEncoder(D, 6, width=8, method="dopri5", rtol=1e-10, atol=1e-10).double()


@pytest.mark.parametrize("make", [lambda: GRUEncoder(D, 6).double(), _tight_odernn])
def test_encoders_ignore_missing_values_and_unobserved_times(make):
    torch.manual_seed(0)
    enc = make()
    t, x, mask = _series()
    h = enc(t, x, mask)
    assert h.shape == (4, 6)
    # garbage where the mask is 0 changes nothing
    torch.testing.assert_close(enc(t, torch.where(mask.bool(), x, 1e3 * torch.ones_like(x)), mask), h)
    # each series encoded alone, on its own observation times, gives the same state as in the batch:
    # the GRU skips unobserved times (its time input counts from the last update), the ODE-RNN's flow composes
    for b in range(4):
        keep = mask[b, :, 0].bool()  # t[0] is observed by every series, so both grids start there
        alone = enc(t[keep], x[b:b + 1, keep], mask[b:b + 1, keep])
        torch.testing.assert_close(alone[0], h[b], rtol=1e-7, atol=1e-8)


def test_gru_encoder_feels_the_time_gaps():
    torch.manual_seed(0)
    enc = GRUEncoder(D, 6).double()
    t, x, mask = _series(p=1.0)
    assert not torch.allclose(enc(t, x, mask), enc(t * 2, x, mask))


def test_series_checks_say_what_was_expected():
    enc = GRUEncoder(D, 6).double()
    t, x, mask = _series()
    with pytest.raises(ValueError, match="strictly increasing"):
        enc(t.flip(0), x, mask)
    with pytest.raises(ValueError, match="x must be shaped"):
        enc(t[:-1], x, mask)
    with pytest.raises(ValueError, match="mask must have x's shape"):
        enc(t, x, mask[..., :1])
    with pytest.raises(ValueError, match="expected 2 features"):
        enc(t, torch.cat([x, x], -1), torch.cat([mask, mask], -1))
    with pytest.raises(ValueError, match="hidden_dim must be an int"):
        GRUEncoder(D, 0)


def _latent_ode(**kw):
    torch.manual_seed(0)
    kw = {"method": "dopri5", "rtol": 1e-9, "atol": 1e-9, **kw}
    return LatentODE(D, 3, GRUEncoder(D, 6), width=8, decoder_width=8, **kw).double()


def test_latent_ode_shapes_and_posterior_mean_prediction():
    model = _latent_ode()
    t, x, mask = _series()
    pred, mu, logvar = model(t, x, mask, n_samples=5)
    assert pred.shape == (5, 4, len(t), D) and mu.shape == logvar.shape == (4, 3)
    mean_pred = model.predict(t, x, mask)
    torch.testing.assert_close(mean_pred, model.decoder(model.latent_path(mu, t[0], t)))
    t_later = torch.linspace(float(t[0]) + 0.1, 5.0, 9, dtype=torch.float64)  # extrapolation times
    assert model.predict(t, x, mask, t_later, n_samples=3).shape == (4, 9, D)
    # predicting before the first observation: z0 moves back to t_pred[0], as if that time were on the
    # observation grid with nothing observed
    early = torch.cat([t[:1] - 0.5, t])
    pad = torch.zeros(4, 1, D, dtype=torch.float64)
    torch.testing.assert_close(model.predict(t, x, mask, early),
                               model.predict(early, torch.cat([pad, x], 1), torch.cat([pad, mask], 1), early))
    with pytest.raises(ValueError, match="t_pred must be a 1-D tensor"):
        model(t, x, mask, t.view(1, -1))
    with pytest.raises(ValueError, match="pass x_pred and m_pred"):
        model.elbo(t, x, mask, t)


def test_latent_path_is_the_flow_of_the_learned_dynamics():
    model = _latent_ode()
    z0 = torch.randn(4, 3, dtype=torch.float64)
    t = torch.tensor([0.0, 0.4, 1.1, 2.0], dtype=torch.float64)
    path = model.latent_path(z0, t[0], t)
    torch.testing.assert_close(path[:, 0], z0)  # the first time is t0 itself
    # the state at 2.0 is the same whether or not the solver stops at 0.4 and 1.1 (flows compose)
    direct = model.latent_path(z0, t[0], t[-1:])[:, 0]
    torch.testing.assert_close(direct, path[:, -1], rtol=1e-7, atol=1e-8)
    # and it matches an independent solver (torchdiffeq) on the same field
    import torchdiffeq
    ref = torchdiffeq.odeint(model.dynamics, z0, t, rtol=1e-10, atol=1e-10).transpose(0, 1)
    torch.testing.assert_close(path, ref, rtol=1e-6, atol=1e-7)


def test_adjoint_gives_the_same_elbo_gradients():
    """(That the ELBO is the right bound is tested in test_latent_solves.py on a model with a known
    posterior.)"""
    t, x, mask = _series()
    grads = []
    for adjoint in (False, True):
        m = _latent_ode(adjoint=adjoint)
        torch.manual_seed(5)
        m.loss(t, x, mask)[0].backward()
        grads.append(torch.cat([p.grad.flatten() for p in m.dynamics.parameters()]))
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["latent_ode_rnn", "latent_ode_odernn", "rnn", "rnn_vae"])
def test_training_lowers_the_loss_and_is_seeded(name):
    g = torch.Generator().manual_seed(3)
    t = torch.linspace(0, 2, 12)
    phase = torch.rand(32, 1, 1, generator=g) * 6
    x = torch.cat([torch.sin(t.view(1, -1, 1) + phase), torch.cos(t.view(1, -1, 1) + phase)], -1)
    mask = torch.ones_like(x)

    def build():
        torch.manual_seed(0)
        if name == "latent_ode_rnn":
            return LatentODE(D, 4, GRUEncoder(D, 12), width=16, decoder_width=16, obs_std=0.1)
        if name == "latent_ode_odernn":
            return LatentODE(D, 4, ODERNNEncoder(D, 12, width=16, method="euler"), width=16, decoder_width=16,
                             obs_std=0.1)
        return RNNBaseline(D, 12) if name == "rnn" else RNNVAE(D, 4, 12, obs_std=0.1)

    runs = []
    for _ in range(2):
        model = build()
        hist = fit_series(model, lambda gen: (t, x, mask), steps=25, lr=2e-2, kl_warmup=10, seed=1)
        runs.append(hist.loss)
    assert runs[0] == runs[1]  # same seed, same run
    first, last = sum(runs[0][:3]) / 3, sum(runs[0][-3:]) / 3
    assert last < 0.7 * first, (first, last)


def test_kl_schedule_and_fit_series_errors():
    assert [kl_schedule(s, 4) for s in (0, 2, 4, 9)] == [0.0, 0.5, 1.0, 1.0]
    assert kl_schedule(0, 0) == 1.0
    model = RNNBaseline(D, 4)
    with pytest.raises(ValueError, match="steps must be an int"):
        fit_series(model, lambda g: None, steps=0)
    t, x, mask = _series(dtype=torch.float32)
    bad = x.clone()
    bad[0, 0, 0] = float("nan")
    with pytest.raises(FloatingPointError, match="at step 0"):
        fit_series(model, lambda g: (t, bad, mask), steps=2)


def test_package_exports():
    assert nb.odeint is not None
    from nodebook import latent
    assert set(latent.__all__) >= {"LatentODE", "GRUEncoder", "ODERNNEncoder", "RNNVAE", "RNNBaseline"}
