"""The latent ODE's solves: no step longer than the data spacing, the same steps in training and
testing, and an encoder whose output does not depend on the batch a series is in."""

import dataclasses
import math

import pytest
import torch

import nodebook as nb
from nodebook.data import hopper_times
from nodebook.experiments.ch6 import hopper, spirals
from nodebook.latent import GRUEncoder, LatentODE, LatentVariableModel, ODERNNEncoder, gaussian_kl


def _record_times(module: torch.nn.Module) -> list[float]:
    """Every time at which ``module`` (a dynamics ``f(t, z)``) is evaluated, in call order."""
    times: list[float] = []
    module.register_forward_pre_hook(lambda mod, args: times.append(float(args[0])))
    return times


def _longest_step(times: list[float]) -> float:
    distinct = sorted(set(round(t, 12) for t in times))
    return max(b - a for a, b in zip(distinct[:-1], distinct[1:], strict=True))


@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_no_prediction_time_is_reached_by_a_step_longer_than_the_data_spacing(method):
    """Extrapolation: observed on [0, 0.45], predicted on [0.5, 0.9] from z0 at 0. The old solve stepped
    from 0 to 0.5 at once (a step five times the data spacing)."""
    spacing = 0.05
    torch.manual_seed(0)
    model = LatentODE(2, 3, GRUEncoder(2, 5), width=8, method=method).double()
    times = _record_times(model.dynamics)
    t_obs = torch.arange(10, dtype=torch.float64) * spacing
    x = torch.randn(2, 10, 2, dtype=torch.float64)
    t_pred = 0.5 + torch.arange(9, dtype=torch.float64) * spacing
    model.predict(t_obs, x, torch.ones_like(x), t_pred)
    assert min(times) == pytest.approx(0.0) and max(times) >= 0.9 - spacing - 1e-9
    assert _longest_step(times) <= spacing * (1 + 1e-6)


def test_the_chapters_hopper_models_step_on_the_data_spacing_in_encoder_and_decoder():
    cfg = nb.setup("ch6", mode="quick", device="cpu", plots=False, verbose=False)
    model = hopper.build_model("latent_ode_odernn", cfg)
    dec, enc = _record_times(model.dynamics), _record_times(model.encoder.dynamics)
    t = hopper_times(60)
    x = torch.rand(3, 60, 14)
    mask = torch.zeros_like(x)
    mask[:, [0, 7, 19]] = 1.0  # gaps of 7 and 12 data steps inside the observed third
    model.predict(t[:20], x[:, :20] * mask[:, :20], mask[:, :20], t[20:])
    assert _longest_step(dec) <= hopper.SPACING * (1 + 1e-4)
    assert _longest_step(enc) <= hopper.SPACING * (1 + 1e-4)


@pytest.mark.parametrize("kind", ["hopper", "spirals"])
def test_encoded_alone_equals_encoded_in_a_batch_with_the_chapters_settings(kind):
    """Series A alone (its own times) and inside a batch with B (the union grid splits A's gaps) get the
    same posterior. With one solver step per gap, as before, the two differed by about 4e-3."""
    cfg = nb.setup("ch6", mode="quick", device="cpu", plots=False, verbose=False)
    if kind == "hopper":
        model, t, d = hopper.build_model("latent_ode_odernn", cfg), hopper_times(60)[:20], 14
    else:
        sp = spirals.spiral_data(dataclasses.replace(cfg, budget={**cfg.budget, "spirals": {
            **cfg.budget["spirals"], "n_train": 4, "n_test": 2}}))
        model = spirals.build_model("latent_ode", cfg, nb.latent.data_spacing(sp["t"]))
        t, d = sp["t"][:20], 2
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, len(t), d, generator=g)
    mask = torch.zeros_like(x)
    mask[0, [0, 9, 16]] = 1.0  # A (z0 lives at the first time of the grid: A starts it)
    mask[1, [4, 5, 12, 18]] = 1.0  # B: its times fall inside A's gaps
    with torch.no_grad():
        mu_batch, lv_batch = model.posterior(t, x * mask, mask)
        a = mask[0, :, 0] > 0
        mu_alone, lv_alone = model.posterior(t[a], (x * mask)[:1, a], mask[:1, a])
    torch.testing.assert_close(mu_alone[0], mu_batch[0], rtol=0, atol=2e-5)
    torch.testing.assert_close(lv_alone[0], lv_batch[0], rtol=0, atol=2e-5)


def test_odernn_default_step_is_the_smallest_gap_of_the_grid():
    torch.manual_seed(0)
    enc = ODERNNEncoder(1, 3, width=4, method="euler").double()
    times = _record_times(enc.dynamics)
    t = torch.tensor([0.0, 0.1, 0.5, 0.6], dtype=torch.float64)
    x = torch.ones(1, 4, 1, dtype=torch.float64)
    enc(t, x, torch.ones_like(x))
    assert _longest_step(times) == pytest.approx(0.1)


class _LinearGaussian(LatentVariableModel):
    """x(t) = W z0 + c at every time, z0 ~ N(0, I), with a posterior set by hand."""

    def __init__(self, W, c, std, mu, logvar):
        super().__init__(W.shape[1], std)
        self.W, self.c, self.mu, self.logvar = W, c, mu, logvar

    def posterior(self, t, x, mask):
        return self.mu.expand(len(x), -1), self.logvar.expand(len(x), -1)

    def decode(self, z0, t0, t_pred):
        return (z0 @ self.W.T + self.c).unsqueeze(1).expand(-1, len(t_pred), -1)


def _exact(W, c, std, x, mask):
    """log p(x_obs) and the exact posterior of the linear-Gaussian model (one series)."""
    rows = mask[0].reshape(-1) > 0
    M = W.unsqueeze(0).expand(x.shape[1], -1, -1).reshape(-1, W.shape[1])[rows]
    r = (x[0] - c).reshape(-1)[rows]
    cov = M @ M.T + std**2 * torch.eye(len(r), dtype=x.dtype)
    logp = torch.distributions.MultivariateNormal(torch.zeros_like(r), cov).log_prob(r)
    prec = torch.eye(W.shape[1], dtype=x.dtype) + M.T @ M / std**2
    post_cov = torch.linalg.inv(prec)
    return logp, post_cov @ M.T @ r / std**2, post_cov


def test_elbo_is_a_bound_that_is_tight_at_the_true_posterior():
    """A linear-Gaussian latent model, where log p(x) and the posterior are known in closed form. The
    model's Monte Carlo ELBO must agree with the closed-form ELBO E_q[log p(x|z)] - KL(q || p), which equals
    log p(x) at the exact posterior and is lower for any other. A wrong likelihood, a KL with the wrong sign
    or scale, or a missing value that counts breaks one of these."""
    dt = torch.float64
    W = torch.tensor([[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]], dtype=dt)  # orthogonal columns: diagonal posterior
    c, std = torch.tensor([0.5, -1.0, 0.2], dtype=dt), 0.5
    t = torch.linspace(0, 1, 4, dtype=dt)
    x = torch.randn(1, 4, 3, generator=torch.Generator().manual_seed(0), dtype=dt)
    mask = torch.ones_like(x)
    mask[0, 2, 2] = 0.0  # a missing entry (feature 2 does not depend on z0, so the posterior stays diagonal)
    logp, mu, cov = _exact(W, c, std, x, mask)
    assert torch.allclose(cov, torch.diag(torch.diagonal(cov)))
    n_obs = float(mask.sum())

    def closed_form(m, lv):
        resid = (x[0] - c - m @ W.T) ** 2 + (W**2 @ lv.exp().T).T
        return float(-(resid * mask[0]).sum() / (2 * std**2) - n_obs * (math.log(std) + 0.5 * math.log(2 * math.pi))
                     - gaussian_kl(m, lv)[0])

    exact = (mu.unsqueeze(0), torch.diagonal(cov).log().unsqueeze(0))
    other = (exact[0] + 0.3, exact[1] + 0.5)
    assert closed_form(*exact) == pytest.approx(float(logp), abs=1e-9)  # tight at the true posterior
    assert closed_form(*other) < float(logp) - 0.1
    for m, lv in (exact, other):
        torch.manual_seed(1)
        mc, info = _LinearGaussian(W, c, std, m, lv).elbo(t, x * mask, mask, n_samples=20000)
        assert float(mc[0]) == pytest.approx(closed_form(m, lv), abs=0.03)
        assert info["kl"] == pytest.approx(float(gaussian_kl(m, lv)[0]))
