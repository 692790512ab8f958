"""nodebook.problems: each exact solution satisfies its ODE and its initial condition.

The solver tests trust these closed forms, so they are checked independently of any solver: the time
derivative of ``exact`` (by autograd) must equal ``func(t, exact(t))``.
"""

import math

import pytest
import torch

from nodebook import problems

F64 = torch.float64

CASES = {
    "exponential growth": problems.exponential(),
    "exponential decay": problems.exponential(rate=-0.8, y0=2.0, t1=4.0),
    "logistic": problems.logistic(),
    "logistic from above capacity": problems.logistic(rate=0.5, capacity=2.0, y0=5.0, t1=6.0),
    "harmonic": problems.harmonic(),
    "harmonic, omega=3": problems.harmonic(omega=3.0, t1=2.0),
    "blowup": problems.blowup(),
    "stiff relaxation": problems.stiff_relaxation(),
    "very stiff relaxation": problems.stiff_relaxation(1e6),
}


def sample_times(p, n=9):
    t1 = min(p.t1, 0.95) if p.name == "blowup" else p.t1  # the exact solution escapes at t = 1
    return torch.linspace(p.t0, t1, n, dtype=F64)


@pytest.mark.parametrize("name", CASES)
def test_exact_solution_starts_at_y0(name):
    p = CASES[name]
    torch.testing.assert_close(p.exact(torch.tensor(p.t0, dtype=F64)), p.initial(), rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("name", CASES)
def test_exact_solution_satisfies_the_ode(name):
    p = CASES[name]
    for s in sample_times(p):
        t = s.clone().requires_grad_(True)
        y = p.exact(t)
        dydt = torch.stack([torch.autograd.grad(y[i], t, retain_graph=True)[0] for i in range(len(y))])
        f = p.func(t.detach(), y.detach())
        assert f.shape == y.shape == (len(p.y0),)
        torch.testing.assert_close(dydt, f, rtol=1e-10, atol=1e-10 * (1 + float(f.abs().max())),
                                   msg=f"{name} at t={float(s):g}")


def test_exact_is_vectorised_over_times():
    for p in CASES.values():
        t = sample_times(p, 5)
        assert p.exact(t).shape == (5, len(p.y0))


def test_closed_forms_by_value():
    # a few values worked out by hand, so the formulas above are not only self-consistent
    t = torch.tensor(2.0, dtype=F64)
    assert float(problems.exponential(rate=0.5).exact(t)) == pytest.approx(math.e)
    # logistic from y0 = 2 with K = 10: half the capacity when e^{rt} = K/y0 - 1 = 4
    half = torch.tensor(math.log(4.0), dtype=F64)
    assert float(problems.logistic(rate=1.0, capacity=10.0, y0=2.0).exact(half)) == pytest.approx(5.0)
    assert float(problems.logistic(rate=1.0, capacity=10.0, y0=10.0).exact(t)) == pytest.approx(10.0)
    x, v = problems.harmonic(omega=2.0).exact(torch.tensor(math.pi / 4, dtype=F64)).tolist()
    assert (x, v) == (pytest.approx(0.0, abs=1e-15), pytest.approx(-2.0))
    assert float(problems.blowup().exact(torch.tensor(0.5, dtype=F64))) == pytest.approx(2.0)


def test_stiff_relaxation_follows_cos_after_the_transient():
    p = problems.stiff_relaxation(1e4)
    t = torch.tensor([0.5, 1.0, 2.0], dtype=F64)
    torch.testing.assert_close(p.exact(t)[:, 0], torch.cos(t), rtol=0, atol=2e-4)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_initial_and_times_helpers(dtype):
    p = problems.harmonic(t1=3.0)
    y0 = p.initial(dtype)
    assert y0.dtype == dtype and y0.tolist() == [1.0, 0.0]
    t = p.times(7, dtype)
    assert t.dtype == dtype and t.shape == (7,) and float(t[0]) == 0.0 and float(t[-1]) == 3.0


def test_registry_builds_every_problem():
    for name, make in problems.PROBLEMS.items():
        p = make()
        assert p.name == name and p.exact is not None and p.t1 > p.t0
