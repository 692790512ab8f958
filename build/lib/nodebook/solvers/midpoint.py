"""Explicit midpoint: an Euler half-step, then a full step with the slope found there. Second order."""

from ._fixed import FixedStepSolver
from ._tableau import ButcherTableau


class Midpoint(FixedStepSolver):
    name = "midpoint"
    order = 2
    tableau = ButcherTableau(c=(0.0, 0.5), a=((), (0.5,)), b=(0.0, 1.0))
