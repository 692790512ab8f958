"""Hidden checks of Assignment 6 (latent ODEs).

Values on fixed and per-run random inputs; shipped only in the autograder zip, never installed.
"""

from __future__ import annotations

import math
import os

import torch
from torch.distributions import Normal, kl_divergence

from nodebook.grading._public import require_solver, solver_calls
from nodebook.grading._verdict import CheckFailed, as_tensor, call, close_number, close_tensor

F64 = torch.float64


def _rng() -> torch.Generator:
    """A generator seeded afresh on every run: the hidden inputs are never the same twice."""
    return torch.Generator().manual_seed(int.from_bytes(os.urandom(4), "little"))


def check_gaussian_loglik(value: float) -> float:
    """Exercise 6.1: log N(x | μ, σ²) for x = 1.2, μ = 1.0, σ = 0.1."""
    return close_number(value, float(Normal(1.0, 0.1).log_prob(torch.tensor(1.2, dtype=F64))),
                        what="log N(1.2 | 1.0, 0.1²)", rel_tol=1e-4,
                        hint="-(x - μ)²/(2σ²) - log σ - ½ log 2π; a density can exceed 1, so its log can be > 0.")


def check_masked_mse(masked_mse) -> float:
    """Exercise 6.2: ``masked_mse(pred, x, mask)``, mean squared error over observed entries (x NaN elsewhere)."""
    for gen in (torch.Generator().manual_seed(6), _rng()):  # a fixed case, a new one each run
        out = _check_masked_mse(masked_mse, gen)
    return out


def _check_masked_mse(masked_mse, gen):
    pred = torch.randn(4, 7, 2, generator=gen, dtype=F64)
    x = torch.randn(4, 7, 2, generator=gen, dtype=F64)
    mask = (torch.rand(4, 7, 2, generator=gen) < 0.4).to(F64)
    want = float(((pred - x) ** 2 * mask).sum() / mask.sum())
    x_nan = torch.where(mask.bool(), x, torch.tensor(float("nan"), dtype=F64))
    got = call(masked_mse, pred.clone(), x_nan, mask.clone(), what="masked_mse(pred, x, mask)")
    return close_number(got, want, what="masked_mse", rel_tol=1e-8,
                        hint="sum the squared errors of observed entries only (0 · NaN is NaN: select, don't "
                             "multiply) and divide by the number of observed entries.")


def check_kl_gaussians(kl) -> torch.Tensor:
    """Exercise 6.3: ``kl(mu_q, logvar_q, mu_p, logvar_p)``, KL(q ‖ p) of diagonal Gaussians, summed."""
    for gen in (torch.Generator().manual_seed(7), _rng()):  # a fixed case, a new one each run
        out = _check_kl_gaussians(kl, gen)
    return out


def _check_kl_gaussians(kl, gen):
    mq, lq, mp, lp = (torch.randn(5, 3, generator=gen, dtype=F64) for _ in range(4))
    want = kl_divergence(Normal(mq, (0.5 * lq).exp()), Normal(mp, (0.5 * lp).exp())).sum(-1)
    got = call(kl, mq, lq, mp, lp, what="kl(mu_q, logvar_q, mu_p, logvar_p)")
    return close_tensor(got, want, what="KL(q ‖ p) for five pairs", rel_tol=1e-8,
                        hint="per dimension: ½[log σ_p²/σ_q² + (σ_q² + (μ_q - μ_p)²)/σ_p² - 1]; it must be 0 "
                             "when q = p.")


def _random_union_case(union_grid) -> None:
    """A new batch of series each run (times drawn from a small grid so that they overlap), checked entry by entry."""
    gen = _rng()
    grid = torch.arange(8, dtype=torch.float32) / 4
    series = []
    for _ in range(3):
        keep = torch.rand(8, generator=gen) < 0.5
        keep[int(torch.randint(8, (1,), generator=gen))] = True
        t = grid[keep]
        series.append((t, torch.randn(len(t), 2, generator=gen)))
    times = sorted({float(v) for t, _ in series for v in t})
    out = call(union_grid, series, what="union_grid(series)")
    if not (isinstance(out, tuple) and len(out) == 3):
        raise CheckFailed(f"union_grid(series): wrong type: expected a tuple (t, x, mask), got {type(out).__name__}")
    t = as_tensor(out[0], (len(times),), "t (the union of the times) for a second batch")
    x = as_tensor(out[1], (3, len(times), 2), "x for a second batch")
    mask = as_tensor(out[2], (3, len(times), 2), "mask for a second batch")
    want_x, want_m = torch.zeros(3, len(times), 2, dtype=F64), torch.zeros(3, len(times), 2, dtype=F64)
    for i, (ti, xi) in enumerate(series):
        for v, row in zip(ti.tolist(), xi, strict=True):
            want_x[i, times.index(v)], want_m[i, times.index(v)] = row.double(), 1.0
    close_tensor(t, torch.tensor(times, dtype=F64), what="t for a second batch", rel_tol=1e-6,
                 hint="the union of all times.")
    close_tensor(mask, want_m, what="mask for a second batch", rel_tol=0.0, hint="1 where a series has a value.")
    close_tensor(x * mask, want_x, what="x for a second batch", rel_tol=1e-6,
                 hint="place each value at its time's index.")


def check_union_grid(union_grid) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Exercise 6.4: ``union_grid(series)`` turns a list of ``(t_i, x_i)`` into one grid ``(t, x, mask)``."""
    _random_union_case(union_grid)
    series = [
        (torch.tensor([0.0, 0.5, 2.0]), torch.tensor([[1.0], [2.0], [3.0]])),
        (torch.tensor([0.5, 1.0]), torch.tensor([[4.0], [5.0]])),
        (torch.tensor([2.0]), torch.tensor([[6.0]])),
    ]
    out = call(union_grid, series, what="union_grid(series)")
    if not (isinstance(out, tuple) and len(out) == 3):
        raise CheckFailed(f"union_grid(series): wrong type: expected a tuple (t, x, mask), got {type(out).__name__}")
    t, x, mask = out
    t = as_tensor(t, (4,), "t (the union of the times)")
    x = as_tensor(x, (3, 4, 1), "x (series, times, features)")
    mask = as_tensor(mask, (3, 4, 1), "mask")
    if not bool((t[1:] > t[:-1]).all()):
        raise CheckFailed("t must be sorted and without repeats. Hint: torch.unique sorts.")
    close_tensor(t, torch.tensor([0.0, 0.5, 1.0, 2.0]), what="t", rel_tol=1e-12, hint="the union of all times.")
    want_mask = torch.tensor([[1, 1, 0, 1], [0, 1, 1, 0], [0, 0, 0, 1]], dtype=F64)[..., None]
    close_tensor(mask, want_mask, what="mask", rel_tol=0.0, hint="1 where a series has a value at that time, else 0.")
    want_x = torch.tensor([[1, 2, 0, 3], [0, 4, 5, 0], [0, 0, 0, 6]], dtype=F64)[..., None]
    close_tensor(x * mask, want_x, what="x at the observed entries", rel_tol=0.0,
                 hint="place each value at the index of its time in t (torch.searchsorted).")
    return t, x, mask


def check_predictive_cov(predictive_cov) -> torch.Tensor:
    """Exercise 6.5 (hard): covariance of z(t) for z0 ~ N(mu, diag e^logvar) and ``dz/dt = A z``."""
    gen = _rng()
    cases = [(torch.tensor([[-0.2, 1.0], [-1.0, -0.2]], dtype=F64), torch.tensor([0.5, -0.3], dtype=F64),
              torch.tensor([math.log(0.04), math.log(0.25)], dtype=F64), 2.0),
             (torch.randn(3, 3, generator=gen, dtype=F64) * 0.5, torch.randn(3, generator=gen, dtype=F64),
              torch.randn(3, generator=gen, dtype=F64), 0.5 + float(torch.rand(1, generator=gen)))]
    for a, mu, logvar, t in cases:
        m = torch.linalg.matrix_exp(t * a)
        want = m @ torch.diag(logvar.exp()) @ m.T
        got, calls = solver_calls(predictive_cov, mu.clone(), logvar.clone(), a.clone(), t,
                                  what="predictive_cov(mu, logvar, A, t)")
        out = close_tensor(got, want, what="Cov z(t)", rel_tol=1e-5,
                           hint="z(t) = M z0 for a matrix M you can get by solving the ODE from the columns of the "
                                "identity; a linear map of a Gaussian is Gaussian with covariance M Σ Mᵀ.")
        require_solver(calls, "predictive_cov")
    return out
