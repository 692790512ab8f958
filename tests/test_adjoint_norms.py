"""The adjoint's backward error norms: mixed (default, as torchdiffeq), rms (cheaper), seminorm (Kidger et al.)."""

from __future__ import annotations

import pytest
import torch

import nodebook as nb
from nodebook._adjoint_settings import NORMS
from nodebook._adjoint_settings import backward_norm as _norm
from nodebook.experiments.ch7 import MLPField, norm_accuracy


def test_norms_measure_the_parts_they_should():
    n, sizes = 4, [100, 2]  # z, a: 4 entries each; g: a 100-entry weight and a 2-entry bias
    x = torch.zeros(2 * n + sum(sizes), dtype=torch.float64)
    x[-2:] = 1.0  # only the bias gradient is off, by one tolerance unit
    assert _norm("mixed", n, sizes)(x) == pytest.approx(1.0)  # each block on its own: the bias counts fully
    assert _norm("rms", n, sizes)(x) == pytest.approx((2 / 110) ** 0.5)  # drowned by the other 108 entries
    assert _norm("seminorm", n, sizes)(x) == 0.0  # g is not controlled at all
    x[n:2 * n] = 3.0
    assert _norm("seminorm", n, sizes)(x) == pytest.approx(3.0)
    assert _norm("mixed", n, sizes)(x) == pytest.approx(3.0)


def _grads(norm, tol=1e-6, dtype=torch.float64):
    with nb.config.seeded(0):
        field = MLPField(3, 16, gain=2.0).to(dtype)
        y0 = torch.randn(8, 3).to(dtype)
    stats = nb.AdjointStats()
    opts = None if norm is None else {"norm": norm}
    ys = nb.odeint_adjoint(field, y0, torch.tensor([0.0, 2.0], dtype=dtype), rtol=tol, atol=tol,
                           adjoint_options=opts, stats=stats)
    ys[-1].pow(2).sum().backward()
    return torch.cat([p.grad.reshape(-1) for p in field.parameters()]), stats.backward.nfe


def test_seminorm_gradients_agree_with_the_full_norm_within_tolerance():
    ref, _ = _grads("mixed", tol=1e-9)
    full, nfe_full = _grads(None)
    semi, nfe_semi = _grads("seminorm")
    for g in (full, semi):
        assert float((g - ref).norm() / ref.norm()) < 1e-4
    assert float((semi - full).norm() / full.norm()) < 1e-4
    assert nfe_semi <= nfe_full


def test_default_norm_is_mixed_and_costs_at_least_rms():
    default, nfe_default = _grads(None)
    mixed, nfe_mixed = _grads("mixed")
    _, nfe_rms = _grads("rms")
    assert torch.equal(default, mixed) and nfe_default == nfe_mixed
    assert nfe_default >= nfe_rms


def test_default_parameter_gradient_at_least_as_accurate_as_torchdiffeq():
    # Issue 16: float32 at rtol = atol = 1e-5 against a float64 reference, nodebook's default vs torchdiffeq's.
    pytest.importorskip("torchdiffeq")
    rows = norm_accuracy(16, 64, 32, tol=1e-5, gain=1.0, t1=10.0, norms=("mixed",))
    err = {r["library"]: r["rel_error"] for r in rows}
    assert err["nodebook"] <= err["torchdiffeq"], err


def test_unknown_norm_and_norm_for_a_fixed_step_method_are_errors():
    field = MLPField(2, 4)
    y0, t = torch.zeros(1, 2), torch.tensor([0.0, 1.0])
    with pytest.raises(ValueError, match=r"must be one of 'mixed', 'rms', 'seminorm'; got 'l1'"):
        nb.odeint_adjoint(field, y0, t, adjoint_options={"norm": "l1"})
    with pytest.raises(ValueError, match="fixed steps and no error norm"):
        nb.odeint_adjoint(field, y0, t, method="rk4", adjoint_options={"norm": "seminorm"})
    assert set(NORMS) == {"mixed", "rms", "seminorm"}


def test_dopri5_norm_option_must_be_callable():
    with pytest.raises(TypeError, match=r"options\['norm'\] must be callable"):
        nb.odeint(lambda t, y: -y, torch.ones(1), torch.tensor([0.0, 1.0]), options={"norm": "seminorm"})
