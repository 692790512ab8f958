"""The Dormand–Prince 5(4) pair's coefficients and the pieces of a step that need no solver state.

:class:`nodebook.solvers.dopri5.Dopri5` uses them: the tableau, the error weights and the continuous
extension's coefficients (Hairer's DOPRI5 code), a step's seven slopes at constant stage times, the
continuous extension at constant output times in one matrix product, and the zero-valued time shifts that
carry the output times' graph when they require grad.
"""

from __future__ import annotations

import torch

from ._tableau import ButcherTableau, _combine

TABLEAU = ButcherTableau(
    c=(0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0),
    a=(
        (),
        (1 / 5,),
        (3 / 40, 9 / 40),
        (44 / 45, -56 / 15, 32 / 9),
        (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
        (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
        (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
    ),
    b=(35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0),
)
# Fifth- minus fourth-order weights: the local error estimate is dt * sum(E_i k_i).
ERROR = (71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40)
# Coefficients of the continuous extension (Hairer's DOPRI5 code).
DENSE = (
    -12715105075 / 11282082432, 0.0, 87487479700 / 32700410799, -10690763975 / 1880347072,
    701980252875 / 199316789632, -1453857185 / 822651844, 69997945 / 29380423,
)


def _stages(func, y: torch.Tensor, f0: torch.Tensor, dt: float, times) -> tuple[list[torch.Tensor], torch.Tensor]:
    """The seven slopes of a step of float size ``dt`` and the step's end ``y1``.

    The last stage is evaluated at the fifth-order solution itself (its row of ``a`` is ``b``), so
    its input is ``y1``: not formed a second time.
    """
    ks = [f0]
    for i in range(1, 7):
        yi = _combine(y, dt, TABLEAU.a[i], ks)
        ks.append(func(times[i - 1], yi))
    return ks, yi


def _dense_weights(theta: float, dt: float) -> list[float]:
    """Weights of ``[y1 - y0, k_1, ..., k_7]`` in the continuous extension at ``theta`` (a float).

    Hairer's ``CONTD5`` expanded: ``y0 + θ²(3 - 2θ)(y1 - y0) + dt·Σ w_j k_j`` with
    ``w_1 = θ(1-θ)²(1 + θ d_1)``, ``w_7 = θ²(1-θ)(-1 + (1-θ) d_7)`` and ``w_j = θ²(1-θ)² d_j`` otherwise.
    """
    th1 = 1.0 - theta
    q = theta * theta * th1 * th1
    w = [q * d * dt for d in DENSE]
    w[0] = theta * th1 * th1 * (1.0 + theta * DENSE[0]) * dt
    w[-1] = theta * theta * th1 * (-1.0 + th1 * DENSE[-1]) * dt
    return [theta * theta * (3.0 - 2.0 * theta), *w]


def _dense_const(y0: torch.Tensor, y1: torch.Tensor, ks: list[torch.Tensor], dt: float,
                 thetas: list[float]) -> torch.Tensor:
    """``(len(thetas), *y0.shape)``: the continuous extension at constant ``thetas``, one matrix product.

    The same polynomial as :meth:`Dopri5._dense`, with its weights computed in Python floats: a handful
    of tensor operations per step however many output times it fills (the nested form takes about twenty).
    """
    w = torch.tensor([_dense_weights(th, dt) for th in thetas], dtype=y0.dtype, device=y0.device)
    parts = torch.stack([y1 - y0, *ks]).view(8, -1)
    return torch.addmm(y0.reshape(1, -1), w, parts).view(len(thetas), *y0.shape)


def _time_shifts(t: torch.Tensor | None, y0: torch.Tensor) -> list[torch.Tensor] | None:
    """For times that require grad: ``t[j] - t[j].detach()``, zero in value, one in derivative.

    Adding one to a float time makes it move with ``t[j]`` under autograd without changing its value,
    so the step sequence (chosen in floats) is unchanged while every stage time carries its graph.
    """
    if t is None:
        return None
    return [(s - s.detach()).to(y0.dtype) for s in t.unbind()]
