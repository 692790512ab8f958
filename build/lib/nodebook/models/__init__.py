"""Models of Chapter 2 onwards: dynamics ``f(t, h)``, ODE and residual blocks, and a small classifier.

``MLPDynamics`` (``dynamics``) is the vector field; ``ODEBlock`` and ``ResNetBlocks`` (``blocks``) carry a
state through continuous or discrete depth with it; ``Classifier`` (``classifier``) wraps either between
an input lift (zero augmentation or linear) and a linear head.
"""

from .blocks import ODEBlock, ResNetBlocks
from .classifier import LIFTS, Classifier, count_parameters, ode_blocks
from .dynamics import ACTIVATIONS, MLPDynamics
from .odenet import MLP, TABLE1, ConvClassifier, ConvDynamics, build_table1_model, nfe, tolerance

__all__ = [
    "ACTIVATIONS", "LIFTS", "Classifier", "MLPDynamics", "ODEBlock", "ResNetBlocks", "count_parameters",
    "ode_blocks",
    # Chapter 4
    "MLP", "TABLE1", "ConvClassifier", "ConvDynamics", "build_table1_model", "nfe", "tolerance",
]
