"""Tuple states y0 = (a, b, ...) with torchdiffeq's semantics, for odeint and odeint_adjoint."""

from __future__ import annotations

import pytest
import torch
import torchdiffeq

import nodebook as nb

F64 = torch.float64


class Coupled(torch.nn.Module):
    """z' = tanh(W z), log p' = -trace-like term: a (state, log-density) pair as in Chapter 5."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.w = torch.nn.Parameter(torch.randn(3, 3, dtype=F64) / 2)

    def forward(self, t, state):
        z, logp = state
        dz = torch.tanh(z @ self.w.T) * torch.cos(t)
        return dz, -(z * dz).sum(-1, keepdim=True)


def pair():
    torch.manual_seed(1)
    return torch.randn(5, 3, dtype=F64), torch.zeros(5, 1, dtype=F64)


def flat(func):
    def f(t, y):
        dz, dl = func(t, (y[:, :3], y[:, 3:]))
        return torch.cat([dz, dl], dim=-1)
    return f


KW = {"rk4": {"method": "rk4", "options": {"step_size": 0.05}}, "dopri5": {"rtol": 1e-9, "atol": 1e-9}}


@pytest.mark.parametrize("method", KW)
def test_output_is_a_tuple_of_stacked_tensors_equal_to_the_concatenated_solve(method):
    func, (z0, l0) = Coupled(), pair()
    t = torch.linspace(0, 1, 4, dtype=F64)
    zs, ls = nb.odeint(func, (z0, l0), t, **KW[method])
    assert zs.shape == (4, 5, 3) and ls.shape == (4, 5, 1)
    together = nb.odeint(flat(func), torch.cat([z0, l0], -1), t, **KW[method])
    if method == "rk4":
        torch.testing.assert_close(torch.cat([zs, ls], -1), together, rtol=1e-14, atol=1e-14)
    else:  # the mixed norm (largest RMS of the parts) picks other steps: equal within tolerance
        torch.testing.assert_close(torch.cat([zs, ls], -1), together, rtol=0, atol=1e-7)


def test_matches_torchdiffeq_on_tuples():
    func, y0 = Coupled(), pair()
    t = torch.linspace(0, 1, 4, dtype=F64)
    for ours, theirs, kw in (("rk38", "rk4", {}), ("dopri5", "dopri5", {"rtol": 1e-9, "atol": 1e-9})):
        got = nb.odeint(func, y0, t, method=ours, **kw)
        want = torchdiffeq.odeint(func, y0, t, method=theirs, **kw)
        for g, w in zip(got, want, strict=True):
            torch.testing.assert_close(g, w, rtol=0, atol=1e-12 if ours == "rk38" else 1e-7)


@pytest.mark.parametrize("solver", [nb.odeint, nb.odeint_adjoint])
def test_gradients_reach_every_part_the_times_and_the_parameters(solver):
    func = Coupled()
    z0, l0 = (x.requires_grad_(True) for x in pair())
    t = torch.tensor([0.0, 0.4, 1.0], dtype=F64, requires_grad=True)
    zs, ls = solver(func, (z0, l0), t, rtol=1e-10, atol=1e-10)
    loss = zs[-1].pow(2).sum() + ls[1].sum() + 2 * ls[-1].sum()
    got = torch.autograd.grad(loss, (z0, l0, t, func.w))
    # the same loss on the concatenated state, by backprop
    y0 = torch.cat([z0, l0], -1).detach().requires_grad_(True)
    t2 = t.detach().requires_grad_(True)
    ys = nb.odeint(flat(func), y0, t2, rtol=1e-10, atol=1e-10)
    loss2 = ys[-1, :, :3].pow(2).sum() + ys[1, :, 3:].sum() + 2 * ys[-1, :, 3:].sum()
    gy0, gt, gw = torch.autograd.grad(loss2, (y0, t2, func.w))
    want = (gy0[:, :3], gy0[:, 3:], gt, gw)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=1e-6, atol=1e-8)


def test_gradcheck_through_the_adjoint():
    func = Coupled()
    z0, l0 = (x[:2].clone().requires_grad_(True) for x in pair())
    t = torch.tensor([0.0, 0.5], dtype=F64)
    kw = {"method": "rk4", "options": {"step_size": 0.025}, "adjoint_params": (func.w,)}
    assert torch.autograd.gradcheck(lambda z, l, w: nb.odeint_adjoint(func, (z, l), t, **kw), (z0, l0, func.w))


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("func", "exc", "match"), [
    (lambda t, y: y[0], TypeError, r"func\(t, y\) must return a tuple of 2 tensors shaped like y; got Tensor"),
    (lambda t, y: (y[0],), TypeError, r"must return a tuple of 2 tensors shaped like y; got a tuple of length 1"),
    (lambda t, y: (y[0], y[0]), ValueError, r"func\(t, y\)\[1\] must be a tensor of shape \(5, 1\) like y\[1\]; "
                                            r"got shape \(5, 3\)"),
])
def test_bad_tuple_func(func, exc, match):
    with pytest.raises(exc, match=match):
        nb.odeint(func, pair(), torch.tensor([0.0, 1.0], dtype=F64))


def test_single_time_point_returns_y0_like_torchdiffeq():
    y0 = pair()
    t = torch.tensor([0.3], dtype=F64)
    for solver in (nb.odeint, torchdiffeq.odeint):
        zs, ls = solver(Coupled(), y0, t)
        assert torch.equal(zs[0], y0[0]) and torch.equal(ls[0], y0[1])
    assert torch.equal(nb.odeint(lambda t, y: -y, y0[0], t), y0[0][None])
