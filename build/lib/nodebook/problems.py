"""Initial value problems with known solutions: the test bench of the solvers and of Chapter 1.

Each problem is ``func(t, y)`` plus ``exact(t)``, written with torch so it runs on any device and dtype.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Problem:
    """An IVP ``dy/dt = func(t, y)``, ``y(t0) = y0`` on ``[t0, t1]``, with its exact solution if known."""

    name: str
    func: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    y0: tuple[float, ...]
    t0: float
    t1: float
    exact: Callable[[torch.Tensor], torch.Tensor] | None = None

    def initial(self, dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu") -> torch.Tensor:
        return torch.tensor(self.y0, dtype=dtype, device=device)

    def times(self, n: int, dtype: torch.dtype = torch.float64, device: str | torch.device = "cpu"):
        return torch.linspace(self.t0, self.t1, n, dtype=dtype, device=device)


def exponential(rate: float = 0.5, y0: float = 1.0, t1: float = 4.0) -> Problem:
    """Unchecked growth (rate > 0) or decay (rate < 0): ``y' = r y``, ``y = y0 e^{r t}``."""
    return Problem(
        "exponential", lambda t, y: rate * y, (y0,), 0.0, t1,
        exact=lambda t: (y0 * torch.exp(rate * t)).unsqueeze(-1))


def logistic(rate: float = 1.0, capacity: float = 10.0, y0: float = 0.5, t1: float = 10.0) -> Problem:
    """Growth that saturates: ``y' = r y (1 - y/K)``, ``y = K / (1 + (K/y0 - 1) e^{-r t})``."""
    return Problem(
        "logistic", lambda t, y: rate * y * (1 - y / capacity), (y0,), 0.0, t1,
        exact=lambda t: (capacity / (1 + (capacity / y0 - 1) * torch.exp(-rate * t))).unsqueeze(-1))


def harmonic(omega: float = 1.0, t1: float = 2 * math.pi) -> Problem:
    """Undamped oscillator ``x'' = -ω² x`` as ``(x, v)``; from ``(1, 0)``: ``x = cos ωt``, ``v = -ω sin ωt``."""

    def func(t, y):
        return torch.stack([y[..., 1], -(omega**2) * y[..., 0]], dim=-1)

    return Problem(
        "harmonic", func, (1.0, 0.0), 0.0, t1,
        exact=lambda t: torch.stack([torch.cos(omega * t), -omega * torch.sin(omega * t)], dim=-1))


def blowup(t1: float = 2.0) -> Problem:
    """``y' = y²``, ``y(0) = 1``: the solution ``1/(1 - t)`` escapes to infinity at ``t = 1``."""
    return Problem("blowup", lambda t, y: y * y, (1.0,), 0.0, t1,
                   exact=lambda t: (1 / (1 - t)).unsqueeze(-1))


def stiff_relaxation(stiffness: float = 1e4, t1: float = 2.0) -> Problem:
    """``y' = -k (y - cos t)``: y snaps onto cos t at rate k, then follows it slowly. Stiff for large k.

    Explicit methods stay stable only for steps below about ``3.3 / k`` (dopri5), however smooth the
    solution has become. Exact solution from ``y(0) = 0`` (for reference).
    """
    k = stiffness

    def exact(t):
        steady = (k * k * torch.cos(t) + k * torch.sin(t)) / (k * k + 1)
        return (steady - k * k / (k * k + 1) * torch.exp(-k * t)).unsqueeze(-1)

    return Problem("stiff_relaxation", lambda t, y: -k * (y - torch.cos(t)), (0.0,), 0.0, t1, exact=exact)


PROBLEMS = {"exponential": exponential, "logistic": logistic, "harmonic": harmonic, "blowup": blowup,
            "stiff_relaxation": stiff_relaxation}
