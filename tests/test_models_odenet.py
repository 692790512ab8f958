"""Chapter 4's Table 1 models: shapes, parameter counts by formula, training, NFE, and adjoint gradients."""

import pytest
import torch
import torch.nn.functional as F

from nodebook.models import TABLE1, ConvDynamics, ODEBlock, build_table1_model, count_parameters, nfe, tolerance


def _model(name, shape=(40,), channels=4, **kw):
    torch.manual_seed(0)
    kw.setdefault("pool", False)
    return build_table1_model(name, in_shape=shape, channels=channels, hidden=20, resnet_blocks=3, **kw)


@pytest.mark.parametrize("name", TABLE1)
def test_every_model_maps_samples_to_logits(name):
    assert _model(name)(torch.randn(5, 40)).shape == (5, 10)
    assert _model(name, (8, 8))(torch.randn(5, 8, 8)).shape == (5, 10)  # images: 2-D convolutions


@pytest.mark.parametrize("c, k, td", [(4, 3, True), (8, 5, False), (16, 3, True)])
def test_dynamics_parameter_count_matches_the_formula(c, k, td):
    f = ConvDynamics(c, kernel_size=k, time_dependent=td)
    assert count_parameters(f) == 2 * ((c + td) * c * k + c) + 3 * 2 * c
    f2 = ConvDynamics(c, kernel_size=k, time_dependent=td, spatial_dims=2)
    assert count_parameters(f2) == 2 * ((c + td) * c * k * k + c) + 3 * 2 * c


def test_model_parameter_counts():
    c, blocks = 4, 3
    dyn = lambda td: 2 * ((c + td) * c * 3 + c) + 6 * c  # noqa: E731
    stem = (1 * c * 3 + c) + 2 * c + 2 * (c * c * 4 + c) + 2 * c
    head = 2 * c + c * 10 * 10 + 10  # norm, then a linear layer on the flattened (C, 40 / 4) features
    assert count_parameters(_model("mlp")) == 40 * 20 + 20 + 20 * 10 + 10
    assert count_parameters(_model("resnet")) == stem + blocks * dyn(False) + head
    assert count_parameters(_model("odenet")) == stem + dyn(True) + head
    assert count_parameters(_model("rknet")) == count_parameters(_model("odenet"))
    pooled = count_parameters(_model("odenet", pool=True))
    assert pooled == stem + dyn(True) + 2 * c + c * 10 + 10


@pytest.mark.parametrize("name", TABLE1)
def test_one_training_step_decreases_the_loss(name):
    model = _model(name)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(32, 40, generator=g), torch.randint(0, 10, (32,), generator=g)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    before = F.cross_entropy(model(x), y)
    before.backward()
    opt.step()
    with torch.no_grad():
        after = F.cross_entropy(model(x), y)
    assert float(after) < float(before.detach())


def _grads(func, h, adjoint, tol):
    block = ODEBlock(func, rtol=tol, atol=tol, adjoint=adjoint)
    func.zero_grad()
    (block(h) ** 2).sum().backward()
    return torch.cat([p.grad.flatten() for p in func.parameters()])


def test_adjoint_and_backprop_give_the_same_gradients_for_the_ode_block():
    # Smooth dynamics: both are accurate to about the tolerance, so they agree far below it.
    torch.manual_seed(0)
    func = ConvDynamics(4, activation="softplus").double()
    h = torch.randn(3, 4, 10, dtype=torch.float64)
    backprop, adjoint = _grads(func, h, False, 1e-8), _grads(func, h, True, 1e-8)
    assert float((adjoint - backprop).abs().max() / backprop.abs().max()) < 1e-5


def test_nfe_counts_forward_and_backward():
    x, y = torch.randn(8, 40), torch.randint(0, 10, (8,))
    rk = _model("rknet", rk_steps=3)
    F.cross_entropy(rk(x), y).backward()
    assert nfe(rk) == (12, 0)  # 3 RK4 steps, 4 stages each; backprop replays the graph: no new calls
    ode = _model("odenet")
    F.cross_entropy(ode(x), y).backward()
    f, b = nfe(ode)
    assert f >= 8 and f % 6 == 2 and b > 0  # dopri5: 2 evaluations to start, 6 per step (FSAL); adjoint
    assert nfe(_model("resnet")) == (0, 0)


def test_tolerance_is_set_at_test_time_and_restored():
    model, x = _model("odenet"), torch.randn(8, 40)
    with torch.no_grad():
        counts = []
        for tol in (1e-1, 1e-4, 1e-7):
            with tolerance(model, tol):
                assert model.body.rtol == model.body.atol == tol
                model(x)
            counts.append(nfe(model)[0])
    assert counts[0] < counts[1] < counts[2]
    assert model.body.rtol == model.body.atol == 1e-3
    with pytest.raises(ValueError, match="rtol must be finite and > 0; got -1"):
        with tolerance(model, -1.0):
            pass


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown model 'cnn'; expected one of mlp, resnet, rknet, odenet"):
        build_table1_model("cnn", in_shape=(40,))
    with pytest.raises(ValueError, match="spatial_dims must be 1 .* or 2 .*; got 3"):
        ConvDynamics(4, spatial_dims=3)
    with pytest.raises(ValueError, match="kernel_size must be an odd positive int .*; got 4"):
        ConvDynamics(4, kernel_size=4)
    with pytest.raises(ValueError, match=r"expects h shaped \(batch, C, L\) with C=4; got \(2, 5, 10\)"):
        ConvDynamics(4)(0.0, torch.randn(2, 5, 10))
    with pytest.raises(ValueError, match=r"x must be shaped \(batch, 40\); got \(2, 41\)"):
        _model("odenet")(torch.randn(2, 41))
    with pytest.raises(ValueError, match=r"in_shape must be \(length,\) or \(height, width\)"):
        build_table1_model("resnet", in_shape=(2,))
