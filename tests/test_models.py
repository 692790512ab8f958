"""nodebook.models: dynamics, ODE and residual blocks, the classifier — tested against the mathematics."""

import copy
import importlib.util
import math
import sys
import types

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import nodebook
from nodebook.models import Classifier, MLPDynamics, ODEBlock, ResNetBlocks, count_parameters, ode_blocks

HAS_ADJOINT = importlib.util.find_spec("nodebook.adjoint") is not None
HAS_TORCHDIFFEQ = importlib.util.find_spec("torchdiffeq") is not None
F64 = torch.float64


class Decay(nn.Module):
    """``dh/dt = -k h``: ``h(t) = h(0) exp(-k t)``."""

    def __init__(self, k: float = 1.0):
        super().__init__()
        self.k = nn.Parameter(torch.tensor(k, dtype=F64))

    def forward(self, t, h):
        return -self.k * h


def _mlp(dim=2, width=8, seed=0, **kw):
    torch.manual_seed(seed)
    return MLPDynamics(dim, width, **kw).double()


# ---------------------------------------------------------------------------------------------- dynamics
def test_mlp_dynamics_shapes_time_dependence_and_parameter_count():
    f = MLPDynamics(3, 16)
    h = torch.randn(5, 3)
    assert f(torch.tensor(0.0), h).shape == (5, 3)
    assert torch.equal(f(torch.tensor(0.0), h), f(torch.tensor(0.7), h))  # autonomous: t is ignored
    assert count_parameters(f) == (3 * 16 + 16) + (16 * 3 + 3)
    g = MLPDynamics(3, 16, depth=3, activation="softplus", time_dependent=True)
    assert count_parameters(g) == (4 * 16 + 16) + (16 * 16 + 16) + (16 * 3 + 3)
    assert not torch.equal(g(torch.tensor(0.0), h), g(0.7, h))  # a float t works too
    assert count_parameters(MLPDynamics(3, 16, depth=1)) == 3 * 3 + 3  # a linear field


def test_mlp_dynamics_errors():
    with pytest.raises(ValueError, match=r"unknown activation 'sigmoid'; known: elu, relu, silu, softplus, tanh"):
        MLPDynamics(2, 8, activation="sigmoid")
    with pytest.raises(ValueError, match=r"depth must be an int >= 1; got 0"):
        MLPDynamics(2, 8, depth=0)
    with pytest.raises(ValueError, match=r"dim must be an int >= 1; got 2.0"):
        MLPDynamics(2.0, 8)
    with pytest.raises(ValueError, match=r"expects h shaped \(..., 2\); got \(4, 3\)"):
        MLPDynamics(2, 8)(0.0, torch.zeros(4, 3))


# ------------------------------------------------------------------------------ a ResNet is an Euler step
@pytest.mark.parametrize("time_dependent", [False, True])
def test_tied_resnet_is_exactly_euler(time_dependent):
    f = _mlp(time_dependent=time_dependent)
    h = torch.randn(16, 2, dtype=F64)
    t = torch.tensor([0.0, 1.0], dtype=F64)
    for n in (1, 4, 16, 64):  # step 1/N is a power of two: both compute the same floats
        euler = nodebook.odeint(f, h, t, method="euler", options={"step_size": 1 / n})[-1]
        assert torch.equal(ResNetBlocks(f, n)(h), euler)
    # other steps agree up to the round-off in the solver's grid times
    euler = nodebook.odeint(f, h, t * 0.7, method="euler", options={"step_size": 0.07})[-1]
    torch.testing.assert_close(ResNetBlocks(f, 10, t1=0.7)(h), euler, rtol=0, atol=1e-14)


def test_resnet_gap_to_the_ode_flow_shrinks_like_one_over_n():
    f = _mlp(width=16, seed=1)
    h = torch.randn(32, 2, dtype=F64)
    ns = [4, 8, 16, 32, 64]
    with torch.no_grad():
        flow = ODEBlock(f, rtol=1e-10, atol=1e-12)(h)
        gaps = [float((ResNetBlocks(f, n)(h) - flow).abs().max()) for n in ns]
    slope = np.polyfit(np.log(ns), np.log(gaps), 1)[0]
    assert slope == pytest.approx(-1.0, abs=0.1), gaps  # first order: the error of Euler's method


def test_resnet_trajectory_times_and_untied_blocks():
    f = _mlp()
    res = ResNetBlocks(f, 4, t1=2.0)
    h = torch.randn(3, 2, dtype=F64)
    traj = res.trajectory(h)
    assert traj.shape == (5, 3, 2) and torch.equal(traj[0], h) and torch.equal(traj[-1], res(h))
    assert res.times.tolist() == [0.0, 0.5, 1.0, 1.5, 2.0] and res.step == 0.5
    untied = ResNetBlocks(lambda: MLPDynamics(2, 8), 3, tied=False, step=1.0)
    assert len(untied.funcs) == 3 and untied.t1 == 3.0
    assert not torch.equal(untied.funcs[0].net[0].weight, untied.funcs[1].net[0].weight)
    x = torch.randn(4, 2)
    by_hand = x
    for k, g in enumerate(untied.funcs):  # the textbook ResNet h <- h + f_k(h)
        by_hand = by_hand + g(torch.tensor(float(k)), by_hand)
    torch.testing.assert_close(untied(x), by_hand)
    assert count_parameters(untied) == 3 * count_parameters(untied.funcs[0])
    assert count_parameters(ResNetBlocks(lambda: MLPDynamics(2, 8), 3)) == count_parameters(untied.funcs[0])


def test_resnet_errors():
    with pytest.raises(TypeError, match=r"untied blocks need a factory .*; got one nn.Module instance"):
        ResNetBlocks(MLPDynamics(2, 8), 3, tied=False)
    with pytest.raises(TypeError, match=r"the factory must return an nn.Module; got 3 \(int\)"):
        ResNetBlocks(lambda: 3, 2)
    with pytest.raises(TypeError, match=r"func must be an nn.Module or a factory returning one; got 'mlp' \(str\)"):
        ResNetBlocks("mlp", 2)
    with pytest.raises(ValueError, match=r"n_blocks must be an int >= 1; got 0"):
        ResNetBlocks(MLPDynamics(2, 8), 0)
    with pytest.raises(ValueError, match=r"step must be finite and > 0; got -0.1"):
        ResNetBlocks(MLPDynamics(2, 8), 2, step=-0.1)


# -------------------------------------------------------------------------------------------- ODE block
def test_ode_block_matches_the_closed_form_and_counts_evaluations():
    block = ODEBlock(Decay(0.8), t1=2.0, rtol=1e-9, atol=1e-12)
    h = torch.randn(4, 3, dtype=F64)
    out = block(h)
    assert out.shape == (4, 3)
    torch.testing.assert_close(out, h * math.exp(-1.6), rtol=1e-7, atol=1e-10)
    expected = nodebook.solve(block.func, h, torch.tensor([0.0, 2.0], dtype=F64), rtol=1e-9, atol=1e-12)
    assert block.nfe_forward == expected.stats.nfe > 10
    out.sum().backward()  # backpropagation through the solver replays the graph: no new evaluations
    assert block.nfe_backward == 0
    rk4 = ODEBlock(Decay(), method="rk4", options={"step_size": 0.25})  # rtol/atol are not passed to rk4
    assert rk4(torch.ones(2, 1, dtype=F64)).shape == (2, 1) and rk4.nfe_forward == 4 * 4
    loose = ODEBlock(_mlp(), rtol=1e-2, atol=1e-2)
    tight = ODEBlock(loose.func, rtol=1e-6, atol=1e-6)
    loose(h[:, :2]), tight(h[:, :2])
    assert tight.nfe_forward > loose.nfe_forward  # adaptive cost: tighter tolerance, more evaluations


def test_ode_block_float32_trajectory_and_state_dict():
    torch.manual_seed(0)
    block = ODEBlock(MLPDynamics(2, 8))
    h = torch.randn(6, 2)
    ys = block.trajectory(h, torch.linspace(0, 2, 5))  # past t1: any-time evaluation
    assert ys.shape == (5, 6, 2) and ys.dtype == torch.float32 and torch.equal(ys[0], h)
    torch.testing.assert_close(ys[2], block(h), rtol=1e-3, atol=1e-4)
    torch.testing.assert_close(block.trajectory(h, [0.5, 1.0]), ys[1:3], rtol=1e-3, atol=1e-4)
    assert torch.equal(block.trajectory(h, [0.0]), h[None])
    # the counting wrapper shares func's parameters and is not listed a second time
    assert list(block.state_dict()) == [f"func.{k}" for k in block.func.state_dict()]
    assert count_parameters(block) == count_parameters(block.func)


def test_ode_block_copy_counts_its_own_evaluations():
    block = ODEBlock(_mlp())
    twin = copy.deepcopy(block)
    twin.func.net[0].weight.data.zero_()
    twin(torch.randn(2, 2, dtype=F64))
    assert twin.nfe_forward > 0 and block.nfe_forward == 0
    assert not torch.equal(block.func.net[0].weight, twin.func.net[0].weight)


def test_ode_block_errors():
    with pytest.raises(TypeError, match=r"func must be an nn.Module called as func\(t, h\).*; got function"):
        ODEBlock(lambda t, h: -h)
    with pytest.raises(ValueError, match=r"unknown method 'rk45'; known methods: dopri5, euler"):
        ODEBlock(Decay(), method="rk45")
    with pytest.raises(ValueError, match=r"t1 must be finite and > 0; got 0"):
        ODEBlock(Decay(), t1=0)
    with pytest.raises(ValueError, match=r"ts must be a non-empty 1-D sequence of times >= 0; got .* starting at -1"):
        ODEBlock(Decay()).trajectory(torch.ones(1, 1, dtype=F64), [-1.0, 1.0])


def test_ode_block_without_the_adjoint_module_says_what_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "nodebook.adjoint", None)  # makes the import fail as if absent
    with pytest.raises(ImportError, match=r"ODEBlock\(adjoint=True\) needs nodebook.adjoint .* use adjoint=False"):
        ODEBlock(Decay(), adjoint=True)(torch.ones(1, 1, dtype=F64))


def _gradients(adjoint: bool):
    f = _mlp(time_dependent=True, seed=2)
    block = ODEBlock(f, rtol=1e-9, atol=1e-9, adjoint=adjoint)
    h = torch.randn(5, 2, dtype=F64, requires_grad=True)
    (block(h) ** 2).sum().backward()
    return [h.grad, *(p.grad for p in f.parameters())], block


@pytest.mark.skipif(not HAS_TORCHDIFFEQ, reason="torchdiffeq (the 'compare' extra) is not installed")
def test_ode_block_adjoint_plumbing_with_torchdiffeq_standing_in(monkeypatch):
    # Checks ODEBlock's side of adjoint=True (import, arguments, parameters reached through the counter)
    # with torchdiffeq's odeint_adjoint, which has the signature nodebook.adjoint promises.
    import torchdiffeq

    monkeypatch.setitem(sys.modules, "nodebook.adjoint",
                        types.SimpleNamespace(odeint_adjoint=torchdiffeq.odeint_adjoint))
    expected, _ = _gradients(adjoint=False)
    got, block = _gradients(adjoint=True)
    for g, e in zip(got, expected, strict=True):
        torch.testing.assert_close(g, e, rtol=1e-5, atol=1e-7)
    assert block.nfe_backward > 0  # the adjoint solves backwards in time


@pytest.mark.skipif(not HAS_ADJOINT, reason="nodebook.adjoint (Chapter 3's adjoint method) has not landed yet")
def test_ode_block_adjoint_gives_the_gradients_of_backprop():
    expected, _ = _gradients(adjoint=False)
    got, block = _gradients(adjoint=True)
    for g, e in zip(got, expected, strict=True):
        torch.testing.assert_close(g, e, rtol=1e-5, atol=1e-7)
    assert block.nfe_backward > 0


# ------------------------------------------------------------------------------------------- classifier
def test_classifier_shapes_lifts_and_parameter_counts_by_hand():
    mlp = (4 * 16 + 16) + (16 * 4 + 4)  # 148
    head = 4 * 2 + 2
    aug = Classifier(ODEBlock(MLPDynamics(4, 16)), hidden_dim=4)
    assert aug.augment_dim == 2 and count_parameters(aug) == mlp + head
    x = torch.randn(7, 2)
    assert aug(x).shape == (7, 2)
    assert torch.equal(aug.encode(x), torch.cat([x, torch.zeros(7, 2)], 1))
    lin = Classifier(ResNetBlocks(lambda: MLPDynamics(4, 16), 3, tied=False), hidden_dim=4, n_classes=3,
                     lift="linear")
    assert lin.augment_dim == 0 and lin(x).shape == (7, 3)
    assert count_parameters(lin) == (2 * 4 + 4) + 3 * mlp + (4 * 3 + 3)
    plain = Classifier(ODEBlock(MLPDynamics(2, 16)))
    assert plain.augment_dim == 0 and torch.equal(plain.encode(x), x)
    frozen = count_parameters(plain) - count_parameters(plain.head)
    plain.head.requires_grad_(False)
    assert count_parameters(plain) == frozen
    assert count_parameters(plain, trainable_only=False) == frozen + 2 * 2 + 2
    assert ode_blocks(aug) == [aug.body] and ode_blocks(lin) == []


def test_classifier_trajectories():
    x = torch.randn(5, 2)
    ode = Classifier(ODEBlock(MLPDynamics(3, 8), t1=2.0), hidden_dim=3)
    assert ode.trajectory(x).shape == (21, 5, 3)
    assert ode.trajectory(x, torch.tensor([0.0, 1.0, 2.0])).shape == (3, 5, 3)
    res = Classifier(ResNetBlocks(MLPDynamics(3, 8), 6), hidden_dim=3)
    traj = res.trajectory(x)
    assert traj.shape == (7, 5, 3)
    torch.testing.assert_close(res.head(traj[-1]), res(x))


def test_classifier_errors():
    body = ODEBlock(MLPDynamics(2, 8))
    with pytest.raises(ValueError, match=r"lift must be one of augment, linear; got 'pad'"):
        Classifier(body, lift="pad")
    with pytest.raises(ValueError, match=r"hidden_dim must be >= in_dim=3; got hidden_dim=2"):
        Classifier(body, in_dim=3, hidden_dim=2)
    with pytest.raises(ValueError, match=r"n_classes must be an int >= 2; got 1"):
        Classifier(body, n_classes=1)
    with pytest.raises(TypeError, match=r"body must be an nn.Module; got function"):
        Classifier(lambda h: h)
    with pytest.raises(ValueError, match=r"x must be shaped \(batch, 2\); got \(5, 3\)"):
        Classifier(body)(torch.zeros(5, 3))
    res = Classifier(ResNetBlocks(MLPDynamics(2, 8), 2))
    with pytest.raises(ValueError, match=r"states only after each block .* got ts="):
        res.trajectory(torch.zeros(1, 2), [0.0, 1.0])
    with pytest.raises(TypeError, match=r"trajectory needs an ODEBlock or ResNetBlocks body; got Linear"):
        Classifier(nn.Linear(2, 2)).trajectory(torch.zeros(1, 2))
    with pytest.raises(TypeError, match=r"model must be an nn.Module; got 3 \(int\)"):
        count_parameters(3)


@pytest.mark.parametrize("body", ["ode", "resnet"])
def test_one_training_step_decreases_the_loss(body):
    from nodebook.data import concentric_circles

    torch.manual_seed(0)
    x, y = concentric_circles(128)
    make = (lambda: MLPDynamics(3, 16))  # noqa: E731
    core = (ODEBlock(make(), method="rk4", options={"step_size": 0.25}) if body == "ode"
            else ResNetBlocks(make, 4, tied=False))
    model = Classifier(core, hidden_dim=3)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    before = F.cross_entropy(model(x), y)
    opt.zero_grad()
    before.backward()
    opt.step()
    with torch.no_grad():
        assert F.cross_entropy(model(x), y) < before.detach()
