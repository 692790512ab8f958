"""The classical fourth-order Runge–Kutta method (Kutta, 1901): four slopes, weights 1/6, 1/3, 1/3, 1/6."""

from ._fixed import FixedStepSolver
from ._tableau import ButcherTableau


class RK4(FixedStepSolver):
    name = "rk4"
    order = 4
    tableau = ButcherTableau(
        c=(0.0, 0.5, 0.5, 1.0),
        a=((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0)),
        b=(1 / 6, 1 / 3, 1 / 3, 1 / 6),
    )
