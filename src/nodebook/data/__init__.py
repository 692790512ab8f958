"""Data sets generated in the package (no downloads), and reproducible splitting and batching.

``concentric_circles`` and ``two_moons`` (``toy2d``) are the 2-D sets whose hidden-state trajectories a
chapter can draw; ``train_test_split`` and ``batches`` (``split``) work on any ``(x, y)`` pair.

Digits (chapter 4, ``digits``): MNIST-1D generated offline, scikit-learn's bundled 8x8 digits, and a reader
for real MNIST's IDX files a reader supplies.

Irregular time series (chapter 6): the record and batch format and its splits (``irregular``), scaling
fitted on observed values only (``scaling``), the bidirectional spirals (``spirals``), MuJoCo Hopper
trajectories (``hopper``, generated and cached), and readers for PhysioNet 2012 (``physionet``) and
USHCN-Daily (``ushcn``) files a reader supplies (``_physionet_format``: that file format and a writer of
synthetic patients; ``_cache``: the checksummed cache of generated sets; ``_text``: reading text files).
"""

from .digits import MNIST_FILES, DigitSet, load_mnist, load_mnist1d, load_sklearn_digits, read_idx, write_idx
from .hopper import hopper_times, hopper_trajectories
from .irregular import IrregularSeries, collate, split_extrap, split_interp, subsample, summary
from .physionet import load_physionet
from .scaling import FeatureScaler, normalize_time
from .spirals import Spirals, make_spirals
from .split import batches, n_batches, permutation, train_test_split
from .toy2d import concentric_circles, two_moons
from .ushcn import load_ushcn, read_dly

__all__ = [
    "batches", "concentric_circles", "n_batches", "permutation", "train_test_split", "two_moons",
    # Chapter 4: digits
    "MNIST_FILES", "DigitSet", "load_mnist", "load_mnist1d", "load_sklearn_digits", "read_idx", "write_idx",
    # Chapter 6: irregular time series
    "FeatureScaler", "IrregularSeries", "Spirals", "collate", "hopper_times", "hopper_trajectories",
    "load_physionet", "load_ushcn", "make_spirals", "normalize_time", "read_dly", "split_extrap", "split_interp",
    "subsample", "summary",
]
