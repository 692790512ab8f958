"""nodebook.flows: toy densities, planar flows, traces, CNFs — checked against the mathematics."""

import math

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


def test_circles_have_two_radii():
    r = F.sample_toy("circles", 4000).double().norm(dim=1)
    inner, outer = r[r < 2.25], r[r >= 2.25]
    assert inner.mean() == pytest.approx(1.5, abs=0.05) and outer.mean() == pytest.approx(3.0, abs=0.05)
    assert len(inner) == pytest.approx(2000, rel=0.1)


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
