"""Forward Euler: ``y_{n+1} = y_n + h f(t_n, y_n)``. First order; one evaluation per step."""

from ._fixed import FixedStepSolver
from ._tableau import ButcherTableau


class Euler(FixedStepSolver):
    name = "euler"
    order = 1
    tableau = ButcherTableau(c=(0.0,), a=((),), b=(1.0,))
