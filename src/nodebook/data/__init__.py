"""Data sets generated in the package (no downloads), and reproducible splitting and batching.

``concentric_circles`` and ``two_moons`` (``toy2d``) are the 2-D sets whose hidden-state trajectories a
chapter can draw; ``train_test_split`` and ``batches`` (``split``) work on any ``(x, y)`` pair.

Irregular time series (chapter 6): the record and batch format and its splits (``irregular``), scaling
fitted on observed values only (``scaling``), the bidirectional spirals (``spirals``), MuJoCo Hopper
trajectories (``hopper``, generated and cached), and readers for PhysioNet 2012 (``physionet``) and
USHCN-Daily (``ushcn``) files a reader supplies.
"""

from .hopper import hopper_times, hopper_trajectories
from .irregular import IrregularSeries, collate, split_extrap, split_interp, subsample, summary
from .physionet import load_physionet
from .scaling import FeatureScaler, normalize_time
from .spirals import Spirals, make_spirals
from .split import batches, n_batches, permutation, train_test_split
from .toy2d import concentric_circles, two_moons
from .ushcn import load_ushcn, read_dly

__all__ = ["FeatureScaler", "IrregularSeries", "Spirals", "batches", "collate", "concentric_circles",
           "hopper_times", "hopper_trajectories", "load_physionet", "load_ushcn", "make_spirals", "n_batches",
           "normalize_time", "permutation", "read_dly", "split_extrap", "split_interp", "subsample", "summary",
           "train_test_split", "two_moons"]
