"""Two-dimensional classification sets small enough to draw every hidden state.

Generated in torch from an explicit seed with a private ``torch.Generator``: the same seed gives the same
points on every machine and device, and the global random state is never touched. Points are drawn on
the CPU (so a GPU run sees the very same set) and then moved to ``device``.
"""

from __future__ import annotations

import math

import torch

from .. import _validate


def _generator(seed: int) -> torch.Generator:
    return torch.Generator(device="cpu").manual_seed(_validate.seed(seed))


def _finish(x: torch.Tensor, y: torch.Tensor, gen: torch.Generator, dtype: torch.dtype,
            device: torch.device | str | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Shuffle (so the classes are interleaved, not in two blocks) and move to ``dtype``/``device``."""
    order = torch.randperm(len(x), generator=gen)
    return x[order].to(device=device, dtype=dtype), y[order].to(device=device)


def _annulus(n: int, r_min: float, r_max: float, gen: torch.Generator) -> torch.Tensor:
    """``n`` points in the annulus ``r_min <= |x| <= r_max``: uniform angle, radius ``r_min + (r_max -
    r_min) * sqrt(u)`` as in Dupont et al.'s code (uniform over the area when ``r_min = 0``)."""
    theta = 2 * math.pi * torch.rand(n, generator=gen, dtype=torch.float64)
    r = r_min + (r_max - r_min) * torch.rand(n, generator=gen, dtype=torch.float64).sqrt()
    return torch.stack([r * theta.cos(), r * theta.sin()], dim=1)


def concentric_circles(n: int, *, inner_radius: float = 0.5, outer: tuple[float, float] = (1.0, 1.5),
                       seed: int = 0, dtype: torch.dtype = torch.float32,
                       device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Dupont et al.'s concentric set: a disk (label 0) inside an annulus (label 1), with a gap between.

    No homeomorphism of the plane maps this set to linearly separable classes, so a Neural ODE acting on
    the plane alone cannot classify it (trajectories cannot cross); a ResNet or an augmented ODE can.

    Args:
        n: number of points; ``n // 2`` in the disk, the rest in the annulus.
        inner_radius: radius of the inner disk ``|x| <= inner_radius``.
        outer: ``(r_min, r_max)`` of the annulus, ``inner_radius < r_min < r_max``.
        seed: seed of the private generator.
        dtype, device: of the returned points (generated on the CPU in float64, then converted).

    Returns:
        ``x``: ``(n, 2)`` points and ``y``: ``(n,)`` int64 labels, shuffled.
    """
    n = _validate.positive_int("n", n)
    r0 = _validate.positive_float("inner_radius", inner_radius)
    if not isinstance(outer, (tuple, list)) or len(outer) != 2:
        raise ValueError(f"outer must be a pair (r_min, r_max); got {outer!r}")
    r1, r2 = (_validate.positive_float(f"outer[{i}]", r) for i, r in enumerate(outer))
    if not r0 < r1 < r2:
        raise ValueError(
            f"radii must satisfy inner_radius < outer[0] < outer[1]; got {r0:g}, {r1:g}, {r2:g}")
    gen = _generator(seed)
    n_inner = n // 2
    x = torch.cat([_annulus(n_inner, 0.0, r0, gen), _annulus(n - n_inner, r1, r2, gen)])
    y = torch.cat([torch.zeros(n_inner, dtype=torch.int64), torch.ones(n - n_inner, dtype=torch.int64)])
    return _finish(x, y, gen, dtype, device)


def two_moons(n: int, *, noise: float = 0.1, seed: int = 0, dtype: torch.dtype = torch.float32,
              device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaving half circles, as scikit-learn's ``make_moons`` draws them.

    The upper moon ``(cos θ, sin θ)`` is label 0, the lower one ``(1 - cos θ, 0.5 - sin θ)`` label 1,
    ``θ`` uniform in ``[0, π]``, plus Gaussian noise of standard deviation ``noise`` on each coordinate.

    Args:
        n: number of points; ``n // 2`` in the upper moon, the rest in the lower one.
        noise: standard deviation of the added noise (``>= 0``).
        seed: seed of the private generator.
        dtype, device: of the returned points.

    Returns:
        ``x``: ``(n, 2)`` points and ``y``: ``(n,)`` int64 labels, shuffled.
    """
    n = _validate.positive_int("n", n)
    noise = _validate.positive_float("noise", noise, allow_zero=True)
    gen = _generator(seed)
    n_upper = n // 2
    theta = math.pi * torch.rand(n, generator=gen, dtype=torch.float64)
    upper = torch.stack([theta[:n_upper].cos(), theta[:n_upper].sin()], dim=1)
    lower = torch.stack([1 - theta[n_upper:].cos(), 0.5 - theta[n_upper:].sin()], dim=1)
    x = torch.cat([upper, lower]) + noise * torch.randn(n, 2, generator=gen, dtype=torch.float64)
    y = torch.cat([torch.zeros(n_upper, dtype=torch.int64), torch.ones(n - n_upper, dtype=torch.int64)])
    return _finish(x, y, gen, dtype, device)
