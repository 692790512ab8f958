"""Kutta's 3/8 rule: the other classical fourth-order method, weights 1/8, 3/8, 3/8, 1/8.

This is the step torchdiffeq runs under ``method="rk4"``, so ``nodebook.odeint(..., method="rk38")``
reproduces ``torchdiffeq.odeint(..., method="rk4")`` to round-off.
"""

from ._fixed import FixedStepSolver
from ._tableau import ButcherTableau


class RK38(FixedStepSolver):
    name = "rk38"
    order = 4
    tableau = ButcherTableau(
        c=(0.0, 1 / 3, 2 / 3, 1.0),
        a=((), (1 / 3,), (-1 / 3, 1.0), (1.0, -1.0, 1.0)),
        b=(1 / 8, 3 / 8, 3 / 8, 1 / 8),
    )
