"""Splitting a data set and walking through it in mini-batches, reproducibly from a seed."""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch

from .. import _validate


def permutation(n: int, seed: int) -> torch.Tensor:
    """A random order of ``range(n)`` from a private generator seeded with ``seed``; ``(n,)`` int64 on CPU."""
    gen = torch.Generator(device="cpu").manual_seed(_validate.seed(seed))
    return torch.randperm(n, generator=gen)


def train_test_split(x: torch.Tensor, y: torch.Tensor, test_fraction: float = 0.25, seed: int = 0,
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Shuffle and split, in scikit-learn's order: ``x_train, x_test, y_train, y_test``.

    Args:
        x: ``(n, ...)`` features.
        y: ``(n,)`` labels.
        test_fraction: share of the samples held out, strictly between 0 and 1; the test set gets
            ``round(n * test_fraction)`` samples and both sets must end up non-empty.
        seed: seed of the shuffle.

    Returns:
        ``x_train (n - k, ...)``, ``x_test (k, ...)``, ``y_train (n - k,)``, ``y_test (k,)``.
    """
    _validate.features_and_labels(x, y)
    if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)) \
            or not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be a number strictly between 0 and 1; got {test_fraction!r}")
    n = len(x)
    k = round(n * test_fraction)
    if not 0 < k < n:
        raise ValueError(
            f"test_fraction={test_fraction:g} of n={n} samples leaves an empty set ({n - k} train, "
            f"{k} test); use more samples or a fraction nearer 0.5")
    order = permutation(n, seed).to(x.device)
    test, train = order[:k], order[k:]
    return x[train], x[test], y[train.to(y.device)], y[test.to(y.device)]


def n_batches(n: int, batch_size: int) -> int:
    """Mini-batches per epoch (the last one may be smaller)."""
    return math.ceil(n / batch_size)


def batches(x: torch.Tensor, y: torch.Tensor, batch_size: int, *, seed: int = 0, shuffle: bool = True,
            ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch of mini-batches ``(xb, yb)``, shuffled by ``seed`` (or in order with ``shuffle=False``).

    Args:
        x: ``(n, ...)`` features.
        y: ``(n,)`` labels.
        batch_size: samples per batch; the last batch holds the remainder.
        seed: seed of the shuffle; use a different one per epoch (e.g. ``seed + epoch``).
        shuffle: visit the samples in a random order.

    Yields:
        ``xb (b, ...)`` and ``yb (b,)`` with ``b <= batch_size``, on the devices of ``x`` and ``y``.
    """
    _validate.features_and_labels(x, y)
    batch_size = _validate.positive_int("batch_size", batch_size)
    _validate.seed(seed)
    n = len(x)
    order = permutation(n, seed) if shuffle else torch.arange(n)
    for i in range(n_batches(n, batch_size)):
        idx = order[i * batch_size:(i + 1) * batch_size]
        yield x[idx.to(x.device)], y[idx.to(y.device)]
