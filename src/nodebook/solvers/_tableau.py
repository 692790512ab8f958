"""Butcher tableaux and the one explicit Runge–Kutta step every fixed-step solver shares."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ButcherTableau:
    """``c`` (nodes), ``a`` (lower-triangular rows, row i has i entries) and ``b`` (weights)."""

    c: tuple[float, ...]
    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]

    def __post_init__(self) -> None:
        s = len(self.c)
        if len(self.b) != s or len(self.a) != s or any(len(row) != i for i, row in enumerate(self.a)):
            raise ValueError(f"inconsistent Butcher tableau with {s} stages")


def _weighted_sum(coeffs: tuple[float, ...], ks: list[torch.Tensor]) -> torch.Tensor | None:
    """``sum(coeff_j * k_j)`` over the nonzero coefficients (``None`` when all are zero)."""
    acc = None
    for coeff, k in zip(coeffs, ks, strict=False):
        if coeff != 0.0:
            acc = k * coeff if acc is None else torch.add(acc, k, alpha=coeff)
    return acc


def _combine(y: torch.Tensor, dt: float | torch.Tensor, coeffs: tuple[float, ...],
             ks: list[torch.Tensor]) -> torch.Tensor:
    """``y + dt * sum(coeff_j * k_j)``, skipping zero coefficients.

    The weighted stages are summed first and added to ``y`` once: adding each stage into ``y`` on its
    own rounds ``y`` once per stage, which more than doubled the float32 round-off of a step.
    ``dt`` is a float, or a 0-d tensor when the times are differentiated.
    """
    if not isinstance(dt, torch.Tensor):
        terms = [(c, k) for c, k in zip(coeffs, ks, strict=False) if c != 0.0]
        if not terms:
            return y
        # y + (c_m·dt)·(k_m + Σ (c_j/c_m)·k_j), c_m the largest weight (so every ratio is at most 1): that
        # slope enters unscaled, and s slopes cost s tensor operations forward and s multiplications backward.
        m = max(range(len(terms)), key=lambda i: abs(terms[i][0]))
        cm, acc = terms[m]
        for c, k in terms[:m] + terms[m + 1:]:
            acc = torch.add(acc, k, alpha=c / cm)
        return torch.add(y, acc, alpha=cm * dt)
    acc = _weighted_sum(coeffs, ks)
    return y if acc is None else y + acc * dt.to(acc.dtype)


def rk_stages(func, t: torch.Tensor, dt: float, y: torch.Tensor, tab: ButcherTableau,
              f0: torch.Tensor | None = None) -> list[torch.Tensor]:
    """The stage derivatives ``k_1..k_s`` of one explicit RK step from ``(t, y)`` of size ``dt``."""
    ks = [func(t, y) if f0 is None else f0]
    times = {0.0: t}  # one tensor per distinct node (RK4's two midpoint stages share theirs)
    for i in range(1, len(tab.c)):
        yi = _combine(y, dt, tab.a[i], ks)
        c = tab.c[i]
        if c not in times:
            times[c] = t + c * dt
        ks.append(func(times[c], yi))
    return ks

