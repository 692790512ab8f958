"""Data sets generated in the package (no downloads), and reproducible splitting and batching.

``concentric_circles`` and ``two_moons`` (``toy2d``) are the 2-D sets whose hidden-state trajectories a
chapter can draw; ``train_test_split`` and ``batches`` (``split``) work on any ``(x, y)`` pair.
"""

from .digits import MNIST_FILES, DigitSet, load_mnist, load_mnist1d, load_sklearn_digits, read_idx, write_idx
from .split import batches, n_batches, permutation, train_test_split
from .toy2d import concentric_circles, two_moons

__all__ = [
    "batches", "concentric_circles", "n_batches", "permutation", "train_test_split", "two_moons",
    # Chapter 4
    "MNIST_FILES", "DigitSet", "load_mnist", "load_mnist1d", "load_sklearn_digits", "read_idx", "write_idx",
]
