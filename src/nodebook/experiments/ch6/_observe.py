"""How the spirals are observed (see :mod:`.spirals`): each test series at its own random grid points, a
training batch at one shared random set of points (half the steps in the first half of the window only).
"""

from __future__ import annotations

import torch


def observe_mask(x: torch.Tensor, n_obs: int, gen: torch.Generator, first_half: bool = False) -> torch.Tensor:
    """``(n, T, 2)`` 0/1: each series' own ``n_obs`` random grid points (only in the first half if asked)."""
    n, T, _ = x.shape
    span = T // 2 if first_half else T
    scores = torch.rand(n, span, generator=gen)
    keep = torch.zeros(n, T, dtype=torch.bool)
    keep[:, :span].scatter_(1, scores.topk(min(n_obs, span), dim=1).indices, True)
    return keep.unsqueeze(-1).expand(-1, -1, x.shape[-1]).to(x)


def sampler(t: torch.Tensor, x: torch.Tensor, n_obs: list[int], batch_size: int):
    """``sample_batch(gen)``: ``batch_size`` random series observed at one shared random set of a count of
    points drawn from ``n_obs`` (half of the steps: half that count, in the first half of the window). The
    loss scores the observed points (a VAE of what was seen, as Chen et al. train it, so that
    ``q(z0 | x)`` widens when little is seen) and, for a first-half batch, the whole second half; but
    the decoder solves over the whole window grid from its first time, exactly as in testing; sharing the
    times only saves encoder steps (an encoded series does not depend on its batch)."""
    def sample_batch(gen: torch.Generator):
        k = n_obs[int(torch.randint(len(n_obs), (1,), generator=gen))]
        first_half = bool(torch.randint(2, (1,), generator=gen))
        rows = torch.randperm(len(x), generator=gen)[:batch_size].to(x.device)
        span = len(t) // 2 if first_half else len(t)
        k = max(1, k // 2) if first_half else k
        cols = torch.randperm(span, generator=gen)[:k].sort().values.to(x.device)
        xb = x[rows]
        m = torch.zeros_like(xb)
        m[:, cols] = 1.0
        if first_half:  # extrapolation: the whole second half is scored too, as Rubanova et al. train it
            m[:, span:] = 1.0
        return t[cols], xb[:, cols], torch.ones(len(xb), k, xb.shape[-1], device=x.device), t, xb * m, m
    return sample_batch


def observe(data: dict, n_obs: int, seed: int, first_half: bool = False):
    """The test series, each observed at its own ``n_obs`` random grid points (in the first half if asked):
    ``(t, x, mask)`` on the window's grid (the first half of it for ``first_half``)."""
    gen = torch.Generator().manual_seed(seed + 7919 * n_obs + first_half)
    t, x = data["t"], data["x_test"]
    m = observe_mask(x, n_obs, gen, first_half).to(x.device)
    if first_half:
        half = len(t) // 2
        return t[:half], (x * m)[:, :half], m[:, :half]
    return t, x * m, m
