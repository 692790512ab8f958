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
    acc = _weighted_sum(coeffs, ks)
    if acc is None:
        return y
    if isinstance(dt, torch.Tensor):
        return y + acc * dt.to(acc.dtype)
    return torch.add(y, acc, alpha=dt)


def rk_stages(func, t: torch.Tensor, dt: float, y: torch.Tensor, tab: ButcherTableau,
              f0: torch.Tensor | None = None) -> list[torch.Tensor]:
    """The stage derivatives ``k_1..k_s`` of one explicit RK step from ``(t, y)`` of size ``dt``."""
    ks = [func(t, y) if f0 is None else f0]
    for i in range(1, len(tab.c)):
        yi = _combine(y, dt, tab.a[i], ks)
        ks.append(func(t + tab.c[i] * dt, yi))
    return ks

