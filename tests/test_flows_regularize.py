"""Finlay et al.'s penalties integrated along a CNF's trajectories, checked on a linear field in closed form."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from nodebook import flows

F64 = torch.float64
A = torch.tensor([[-0.5, 1.0], [-1.0, 0.2]], dtype=F64)


class Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Parameter(A.clone())

    def forward(self, t, z):
        return z @ self.a.T


def _kinetic_exact(z0: torch.Tensor, t0: float, t1: float, n: int = 4001) -> torch.Tensor:
    """∫ |A z(t)|² dt along z(t) = exp(A (t - t0)) z0, by Simpson's rule on a fine grid."""
    ts = torch.linspace(t0, t1, n, dtype=F64)
    vals = torch.stack([((z0 @ torch.linalg.matrix_exp(A * (s - t0)).T) @ A.T).pow(2).sum(1) for s in ts])
    w = torch.ones(n, dtype=F64)
    w[1:-1:2], w[2:-1:2] = 4, 2
    return (w[:, None] * vals).sum(0) * (ts[1] - ts[0]) / 3


def test_penalties_match_closed_form_in_both_directions():
    model = flows.RegularisedCNF(Linear(), t1=1.5, rtol=1e-9, atol=1e-9).double()
    z0 = torch.tensor([[1.0, 0.0], [0.3, -2.0]], dtype=F64)
    with torch.no_grad():
        x, _ = model(z0)  # sampling: 0 -> T
    k_fwd, b_fwd = model.last_kinetic.clone(), model.last_frobenius.clone()
    assert torch.allclose(k_fwd, _kinetic_exact(z0, 0.0, 1.5), rtol=1e-6)
    assert torch.allclose(b_fwd, torch.full((2,), 1.5 * float(A.pow(2).sum()), dtype=F64), rtol=1e-8)
    with torch.no_grad():
        model.log_prob(x)  # density: T -> 0, the same paths backwards; the integrals are still positive
    assert torch.allclose(model.last_kinetic, k_fwd, rtol=1e-6)
    assert torch.allclose(model.last_frobenius, b_fwd, rtol=1e-8)


def test_log_density_is_that_of_the_plain_cnf_and_the_loss_adds_the_penalties():
    dyn = flows.ConcatSquashDynamics(2, (8,)).double()
    x = flows.sample_toy("moons", 16, seed=0, dtype=F64)
    reg = flows.RegularisedCNF(dyn, rtol=1e-8, atol=1e-8)
    plain = flows.CNF(dyn, rtol=1e-8, atol=1e-8)
    assert torch.allclose(reg.log_prob(x), plain.log_prob(x), atol=1e-6)
    nll = flows.regularised_nll_loss(reg, x)
    loss = flows.regularised_nll_loss(reg, x, kinetic=0.3, frobenius=0.7)
    expected = nll + 0.3 * reg.last_kinetic.mean() + 0.7 * reg.last_frobenius.mean()
    assert float(loss.detach()) == pytest.approx(float(expected.detach()), rel=1e-6)
    loss.backward()
    assert all(p.grad is not None for p in dyn.parameters())


def test_loss_rejects_a_plain_cnf():
    with pytest.raises(TypeError, match="model must be a RegularisedCNF; got CNF"):
        flows.regularised_nll_loss(flows.CNF(flows.ConcatSquashDynamics(2, (4,))), torch.zeros(2, 2))


# ------------------------------------------------------------------ tolerances and weights (issue 21)
def _exact_log_prob(x: torch.Tensor, t1: float) -> torch.Tensor:
    """log p(x) of the linear flow: z₀ = exp(-A T) x, log p(x) = log N(z₀; 0, I) - T tr A."""
    z0 = x @ torch.linalg.matrix_exp(-A * t1).T
    return flows.standard_normal_log_prob(z0, 1.0) - t1 * float(torch.trace(A))


@pytest.mark.parametrize("cls", [flows.CNF, flows.RegularisedCNF])
@pytest.mark.parametrize("method", ["dopri5", "sdirk2"])
def test_tolerances_reach_every_adaptive_method(cls, method):
    x = torch.tensor([[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8]], dtype=F64)
    exact = _exact_log_prob(x, 1.0)
    nfe, err = {}, {}
    for tol in (1e-2, 1e-6):
        model = cls(Linear(), method=method, rtol=tol, atol=tol).double()
        with torch.no_grad():
            err[tol] = float((model.log_prob(x) - exact).abs().max())
        nfe[tol] = model.last_nfe
    assert nfe[1e-6] > 2 * nfe[1e-2], nfe  # a tighter tolerance costs more steps...
    assert err[1e-6] < 1e-4 and err[1e-6] < err[1e-2], err  # ...and buys accuracy


def test_tolerances_with_a_fixed_step_method_are_refused():
    with pytest.raises(ValueError, match="rtol/atol control adaptive methods only; 'rk4' is fixed-step"):
        flows.CNF(Linear(), method="rk4", rtol=1e-3, options={"step_size": 0.1})
    flows.CNF(Linear(), method="rk4", options={"step_size": 0.1})  # no tolerances: fine
    with pytest.raises(ValueError, match="unknown method 'rk5'"):
        flows.CNF(Linear(), method="rk5")


@pytest.mark.parametrize("weight", [-0.1, float("nan"), float("inf"), "0.1", True, torch.tensor(float("nan"))])
@pytest.mark.parametrize("name", ["kinetic", "frobenius"])
def test_bad_regulariser_weights_are_refused(name, weight):
    model = flows.RegularisedCNF(Linear(), rtol=1e-4, atol=1e-4).double()
    x = torch.zeros(2, 2, dtype=F64)
    error = TypeError if isinstance(weight, (str, bool)) else ValueError
    with pytest.raises(error, match=f"{name} must be"):
        flows.regularised_nll_loss(model, x, **{name: weight})


def test_weights_given_as_numpy_scalars_or_tensors_are_read_as_numbers():
    import numpy as np

    model = flows.RegularisedCNF(Linear(), rtol=1e-6, atol=1e-6).double()
    x = torch.tensor([[0.5, -1.0]], dtype=F64)
    ref = flows.regularised_nll_loss(model, x, kinetic=0.25, frobenius=0.5)
    for k, f in [(np.float32(0.25), np.float64(0.5)), (torch.tensor(0.25), torch.tensor([0.5]))]:
        loss = flows.regularised_nll_loss(model, x, kinetic=k, frobenius=f)
        assert float(loss.detach()) == pytest.approx(float(ref.detach()), rel=1e-6)
