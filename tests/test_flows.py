"""nodebook.flows: toy densities, planar flows, traces, CNFs — checked against the mathematics."""

import math

import numpy as np
import pytest
import torch

from nodebook import flows as F


def _f64(module):
    return module.to(torch.float64)


# ------------------------------------------------------------------------------------------- densities
@pytest.mark.parametrize("name", F.TOY_DENSITIES)
def test_toy_samplers_are_seeded_2d_and_bounded(name):
    x = F.sample_toy(name, 500, seed=3)
    assert x.shape == (500, 2) and x.dtype == torch.float32
    assert torch.equal(x, F.sample_toy(name, 500, seed=3))
    assert not torch.equal(x, F.sample_toy(name, 500, seed=4))
    assert x.abs().max() < 6 and x.std(0).min() > 0.5


def test_eight_gaussians_lie_near_their_centres():
    x = F.sample_toy("8gaussians", 4000).double()
    r = x.norm(dim=1)  # centres at radius 4 / 1.414, spread 0.5 / 1.414
    assert r.mean() == pytest.approx(4 / 1.414, abs=0.1)
    assert ((r - 4 / 1.414).abs() < 4 * 0.5 / 1.414).float().mean() > 0.99


def test_circles_have_two_radii_and_noise_scaled_with_them():
    r = F.sample_toy("circles", 4000).double().norm(dim=1)
    inner, outer = r[r < 2.25], r[r >= 2.25]
    assert inner.mean() == pytest.approx(1.5, abs=0.05) and outer.mean() == pytest.approx(3.0, abs=0.05)
    assert len(inner) == 2000  # FFJORD (scikit-learn's make_circles): exactly half on each circle
    # FFJORD adds noise 0.08 *before* scaling by 3: a radial spread of 0.24 (0.08 if added after)
    assert outer.std() == pytest.approx(0.24, rel=0.1)


def test_rings_have_ffjords_four_radii():
    r = F.sample_toy("rings", 8000).double().norm(dim=1)
    for radius in (0.75, 1.5, 2.25, 3.0):  # 3 x (0.25, 0.5, 0.75, 1), noise 0.08 after scaling
        ring = r[(r - radius).abs() < 0.3]
        assert len(ring) == pytest.approx(2000, abs=20)
        assert ring.mean() == pytest.approx(radius, abs=0.02) and ring.std() == pytest.approx(0.08, rel=0.15)


def test_pinwheel_arms_turn_clockwise_outwards_as_in_ffjord():
    # FFJORD turns each point (f0, f1) by -(arm angle + 0.25 exp(f0)), |x| ~ 2 f0: adding the turn back
    # lines the points up on five directions; the mirror image (turning by +angle) does not.
    x = F.sample_toy("pinwheel", 5000).double()
    psi, r = torch.atan2(x[:, 1], x[:, 0]), x.norm(dim=1)

    def alignment(sign):
        return float(torch.exp(5j * (psi + sign * 0.25 * torch.exp(r / 2))).mean().abs())
    assert alignment(+1) > 0.8 and alignment(-1) < 0.5


# First two points of FFJORD's lib/toy_data.py inf_train_gen(name, np.random.RandomState(3), 10) after
# np.random.seed(3), printed by running that file (rtqichen/ffjord, scikit-learn 1.9.1).
FFJORD_SEED3 = {
    "8gaussians": [[3.461325, 0.154353], [0.065109, -3.184567]],
    "pinwheel": [[-1.164236, -0.379509], [-0.628896, -1.723802]],
    "checkerboard": [[0.406383, -3.940248], [1.665183, 0.913666]],
    "2spirals": [[-1.651255, 1.534021], [0.061832, 2.751769]],
    "moons": [[-1.092008, 0.788416], [-2.584485, -0.320262]],
    "circles": [[1.38959, -0.013901], [1.425669, -2.997485]],
    "rings": [[-1.536803, -0.004634], [1.666206, -0.048105]],
    "swissroll": [[-1.561538, -0.687673], [0.647593, -2.131859]],
}


@pytest.mark.parametrize("name", F.TOY_DENSITIES)
def test_toy_samplers_give_ffjords_points_for_the_same_numpy_seed(name):
    x = F.sample_toy(name, 10, seed=3, dtype=torch.float64)[:2]
    assert torch.allclose(x, torch.tensor(FFJORD_SEED3[name], dtype=torch.float64), atol=2e-6)


def test_pinwheel_and_spirals_return_exactly_n_points():
    # FFJORD returns 5 floor(n/5) and 2 floor(n/2) points; here the next size up is drawn and cut to n
    assert F.sample_toy("pinwheel", 1001).shape == (1001, 2)
    assert F.sample_toy("2spirals", 1001).shape == (1001, 2)


def test_toy_entropy_is_exact_for_checkerboard_and_close_for_eight_gaussians():
    assert F.toy_entropy("checkerboard") == pytest.approx(math.log(32))
    assert F.toy_entropy("pinwheel") is None
    # modes six standard deviations apart: at most log 8 plus a 2-D Gaussian's entropy, sd = 0.5 / 1.414
    closed = math.log(8) + 1 + math.log(2 * math.pi) + 2 * math.log(0.5 / 1.414)
    assert closed - 0.01 < F.toy_entropy("8gaussians") <= closed


def _mc_entropy(name, logpdf, n=200_000):
    """Monte Carlo of the exact density: -mean log p over n samples (standard error about 0.002 nats)."""
    x = F.sample_toy(name, n, seed=123).double().numpy()
    return float(-logpdf(x).mean())


def _rings_logpdf(radii, sd):
    from scipy.special import i0e

    def logpdf(x):  # a circle of radius R blurred by N(0, sd^2 I): exp(-(rho^2+R^2)/2sd^2) I0(rho R/sd^2)/(2 pi sd^2)
        rho = np.hypot(x[:, 0], x[:, 1])
        terms = [-(rho - r) ** 2 / (2 * sd**2) + np.log(i0e(rho * r / sd**2)) for r in radii]
        return np.logaddexp.reduce(terms, axis=0) - math.log(len(radii)) - math.log(2 * math.pi * sd**2)
    return logpdf


@pytest.mark.parametrize("name, radii, sd", [("circles", (3.0, 1.5), 0.24), ("rings", (3.0, 2.25, 1.5, 0.75), 0.08)])
def test_toy_entropy_by_quadrature_matches_the_exact_density_within_monte_carlo_error(name, radii, sd):
    assert F.toy_entropy(name) == pytest.approx(_mc_entropy(name, _rings_logpdf(radii, sd)), abs=0.01)


def test_eight_gaussians_quadrature_matches_the_exact_mixture():
    centres, sd = F.toys._EIGHT / 1.414, 0.5 / 1.414

    def logpdf(x):
        d2 = ((x[:, None, :] - centres[None]) ** 2).sum(-1)
        return np.logaddexp.reduce(-d2 / (2 * sd**2), axis=1) - math.log(8 * 2 * math.pi * sd**2)
    assert F.toy_entropy("8gaussians") == pytest.approx(_mc_entropy("8gaussians", logpdf), abs=0.01)


def test_quadrature_converges_with_the_grid():
    from nodebook.flows.entropy import quadrature_entropy

    for name in ("moons", "swissroll"):
        assert quadrature_entropy(name, cells_per_sd=6) == pytest.approx(quadrature_entropy(name), abs=2e-3)
    with pytest.raises(ValueError, match="no noise-free form"):
        quadrature_entropy("pinwheel")


def test_four_modes_normaliser_matches_closed_form():
    # four Gaussians of std 0.5 without their normalising constants: Z = 4 · 2π · 0.25
    assert F.log_normaliser("four_modes") == pytest.approx(math.log(2 * math.pi), abs=1e-6)


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ValueError, match="unknown toy density 'spiral'; valid names: 8gaussians, pinwheel"):
        F.sample_toy("spiral", 10)
    with pytest.raises(ValueError, match="unknown target density 'banana'; valid names: ring, wave"):
        F.target_log_density("banana", torch.zeros(3, 2))
    with pytest.raises(ValueError, match="n must be an int >= 1; got 0"):
        F.sample_toy("moons", 0)


def test_wrong_dimension_is_refused():
    with pytest.raises(ValueError, match=r"points must be shaped \(n, 2\); got shape \(5, 3\)"):
        F.target_log_density("ring", torch.zeros(5, 3))
    with pytest.raises(TypeError, match="points must be a floating-point tensor"):
        F.target_log_density("ring", [[0.0, 0.0]])
    cnf = F.CNF(F.HyperDynamics(2, 4), trace="analytic", method="rk4", options={"step_size": 0.5})
    with pytest.raises(ValueError, match=r"points must be shaped \(n, 2\); got shape \(4, 3\)"):
        cnf.log_prob(torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"points must be shaped \(n, 2\); got shape \(4,\)"):
        F.PlanarFlow(2, 3)(torch.zeros(4))


def test_bad_cnf_settings_are_refused():
    with pytest.raises(ValueError, match="unknown trace 'hutch'; valid names: exact, hutchinson, analytic"):
        F.CNF(F.HyperDynamics(), trace="hutch")
    with pytest.raises(ValueError, match="unknown noise 'uniform'; valid names: gaussian, rademacher"):
        F.CNF(F.HyperDynamics(), trace="hutchinson", noise="uniform")
    with pytest.raises(ValueError, match="trace='analytic' needs dynamics with a with_divergence"):
        F.CNF(F.ConcatSquashDynamics(), trace="analytic")


# ---------------------------------------------------------------------------------------------- planar
def test_planar_logdet_matches_brute_force_jacobian():
    torch.manual_seed(0)
    flow = _f64(F.PlanarFlow(2, 5))
    z = torch.randn(6, 2, dtype=torch.float64)
    _, logdet = flow(z)
    for i in range(len(z)):
        jac = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], z[i])
        assert logdet[i].item() == pytest.approx(torch.linalg.det(jac).abs().log().item(), abs=1e-9)


def test_planar_layer_is_invertible_after_reparametrisation():
    torch.manual_seed(1)
    layer = _f64(F.PlanarLayer(2))
    with torch.no_grad():  # a raw u with wᵀu far below -1 would fold the plane
        layer.w.copy_(torch.tensor([1.0, 0.0]))
        layer.u.copy_(torch.tensor([-5.0, 0.3]))
    assert float((layer.w @ layer.u_hat()).detach()) >= -1
    z = torch.randn(2000, 2, dtype=torch.float64)
    _, logdet = layer(z)
    assert torch.isfinite(logdet).all() and (1 + logdet.exp() > 0).all()


# ----------------------------------------------------------------------------------------------- trace
def test_exact_trace_matches_jacobian_trace():
    torch.manual_seed(0)
    net = _f64(F.ConcatSquashDynamics(5, (16,)))
    z = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    tr = F.exact_trace(net(0.3, z), z)
    for i in range(4):
        jac = torch.autograd.functional.jacobian(lambda v: net(0.3, v[None])[0], z[i].detach())
        assert tr[i].item() == pytest.approx(torch.trace(jac).item(), abs=1e-10)


@pytest.mark.parametrize("kind", F.NOISES)
def test_hutchinson_is_unbiased_with_the_predicted_variance(kind):
    g = torch.Generator().manual_seed(0)
    a = torch.randn(6, 6, generator=g, dtype=torch.float64)
    n = 40_000
    e = F.sample_noise((n, 6), kind, dtype=torch.float64, generator=g)
    est = torch.einsum("ni,ij,nj->n", e, a, e)
    var = F.hutchinson_variance(a, kind)
    assert est.mean().item() == pytest.approx(torch.trace(a).item(), abs=4 * math.sqrt(var / n))
    assert est.var().item() == pytest.approx(var, rel=0.05)


def test_hutchinson_through_autograd_averages_to_the_exact_trace():
    torch.manual_seed(0)
    net = _f64(F.ConcatSquashDynamics(3, (16,)))
    z = torch.randn(1, 3, dtype=torch.float64).repeat(20_000, 1).requires_grad_(True)
    f = net(0.0, z)
    est = F.hutchinson_trace(f, z, F.sample_noise(tuple(z.shape), "rademacher", dtype=torch.float64))
    exact = F.exact_trace(f, z)[0].item()
    assert est.mean().item() == pytest.approx(exact, abs=4 * est.std().item() / math.sqrt(len(est)))


def test_rademacher_has_no_variance_on_a_diagonal_matrix():
    a = torch.diag(torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64))
    assert F.hutchinson_variance(a, "rademacher") == 0.0
    assert F.hutchinson_variance(a, "gaussian") == pytest.approx(2 * 14)


def test_trace_input_errors():
    z = torch.zeros(3, 2)
    with pytest.raises(ValueError, match="z must require grad"):
        F.exact_trace(z * 2, z)
    with pytest.raises(ValueError, match="unknown noise 'normal'"):
        F.sample_noise((2, 2), "normal")


# ------------------------------------------------------------------------------------------------- CNF
def _small_cnf(**kw):
    torch.manual_seed(0)
    dyn = _f64(F.HyperDynamics(2, 4, hidden=8))
    with torch.no_grad():
        dyn.hyper[-1].weight.mul_(4)
        dyn.hyper[-1].bias.mul_(4)  # a field strong enough to bend the density visibly
    return F.CNF(dyn, **{"t1": 2.0, "trace": "exact", "rtol": 1e-9, "atol": 1e-9, **kw})


def test_analytic_divergence_matches_autograd():
    dyn = _f64(F.HyperDynamics(3, 5))
    z = torch.randn(7, 3, dtype=torch.float64, requires_grad=True)
    f, div = dyn.with_divergence(0.4, z)
    assert torch.allclose(f, dyn(0.4, z))
    assert torch.allclose(div, F.exact_trace(f, z), atol=1e-12)


def test_cnf_log_density_matches_log_det_of_the_integrated_jacobian():
    cnf = _small_cnf()
    z0 = torch.randn(3, 2, dtype=torch.float64)
    x, logp = cnf(z0)
    for i in range(3):
        jac = torch.autograd.functional.jacobian(lambda v: cnf(v[None])[0][0], z0[i])
        brute = cnf.base_log_prob(z0[i:i + 1])[0] - torch.linalg.det(jac).abs().log()
        assert logp[i].item() == pytest.approx(brute.item(), abs=1e-6)
    assert (logp - cnf.base_log_prob(z0)).abs().max() > 0.05  # the flow did change the density


def test_sampling_then_density_round_trips():
    cnf = _small_cnf()
    with torch.no_grad():
        x, logp = cnf.sample(50, torch.Generator().manual_seed(1))
        z0, logp_back = cnf.inverse(x)
        x_again, _ = cnf(z0)
    assert torch.allclose(logp, logp_back, atol=1e-6)
    assert torch.allclose(x, x_again, atol=1e-6)


def test_cnf_density_integrates_to_one():
    cnf = _small_cnf(rtol=1e-6, atol=1e-6)
    _, pts, cell = F.grid(6.0, 90, dtype=torch.float64)
    with torch.no_grad():
        mass = cnf.log_prob(pts).exp().sum().item() * cell
    assert mass == pytest.approx(1.0, abs=0.01)


def test_hutchinson_cnf_is_unbiased_for_the_log_density():
    cnf = _small_cnf(trace="hutchinson", rtol=1e-7, atol=1e-7)
    x = torch.tensor([[0.5, -0.3]], dtype=torch.float64).repeat(4000, 1)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        est = cnf.log_prob(x, generator=g)
        exact = _small_cnf(rtol=1e-7, atol=1e-7).log_prob(x[:1]).item()
    assert est.mean().item() == pytest.approx(exact, abs=4 * est.std().item() / math.sqrt(len(est)) + 1e-6)


def test_adjoint_gradients_match_backprop():
    x = torch.randn(8, 2, dtype=torch.float64)
    grads = []
    for adjoint in (False, True):
        cnf = _small_cnf(adjoint=adjoint)
        cnf.log_prob(x).mean().backward()
        grads.append(torch.cat([p.grad.reshape(-1) for p in cnf.parameters()]))
    assert torch.allclose(grads[0], grads[1], atol=1e-6, rtol=1e-5)


def test_fit_flow_lowers_the_kl_of_a_planar_flow():
    torch.manual_seed(0)
    flow = F.PlanarFlow(2, 4)
    hist = F.fit_flow(flow, lambda s: F.kl_loss(flow, "four_modes", 256), steps=150, lr=1e-2)
    assert sum(hist["loss"][-10:]) / 10 < sum(hist["loss"][:10]) / 10 - 1.0


# --------------------------------------------------------------------------------------------- figures
def test_density_frames_figure_stores_every_frame():
    axis = torch.linspace(-1, 1, 4).numpy()
    dens = [torch.full((4, 4), float(k)).numpy() for k in range(3)]
    pts = [torch.full((5, 2), float(k)).numpy() for k in range(3)]
    fig = F.density_frames_figure(axis, dens, pts, [0.0, 0.5, 1.0], title="t = {t}")
    steps = fig.layout.sliders[0].steps
    assert len(steps) == 3 and steps[2].args[0]["z"][0][0][0] == 2.0 and steps[1].args[0]["x"][1][0] == 1.0
    assert steps[1].args[1] == {"title.text": "t = 0.50"}
    with pytest.raises(ValueError, match="one density and one sample set per time"):
        F.density_frames_figure(axis, dens, pts[:2], [0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match=r"densities\[0\] must be shaped \(4, 4\)"):
        F.density_frames_figure(axis, [d[:2] for d in dens], pts, [0.0, 0.5, 1.0])


def test_fit_flow_cosine_schedule_ends_at_lr_final():
    torch.manual_seed(0)
    flow = F.PlanarFlow(2, 1)
    hist = F.fit_flow(flow, lambda s: F.kl_loss(flow, "ring", 8), steps=20, lr=1e-2, lr_final=1e-4)
    assert hist["lr"][0] == pytest.approx(1e-2)
    assert all(a >= b for a, b in zip(hist["lr"], hist["lr"][1:], strict=False))
    assert hist["lr"][-1] == pytest.approx(1e-4, rel=0.1, abs=1e-4)
    with pytest.raises(ValueError, match="steps must be an int >= 1; got 0"):
        F.fit_flow(flow, lambda s: F.kl_loss(flow, "ring", 8), steps=0)
