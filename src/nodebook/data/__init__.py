"""Data sets generated in the package (no downloads), and reproducible splitting and batching.

``concentric_circles`` and ``two_moons`` (``toy2d``) are the 2-D sets whose hidden-state trajectories a
chapter can draw; ``train_test_split`` and ``batches`` (``split``) work on any ``(x, y)`` pair.
"""

from .split import batches, n_batches, permutation, train_test_split
from .toy2d import concentric_circles, two_moons

__all__ = ["batches", "concentric_circles", "n_batches", "permutation", "train_test_split", "two_moons"]
