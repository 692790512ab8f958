"""The bidirectional 2-D spirals of Chen et al. (2018), section 5.1: the latent ODE's first test.

Two spirals, fixed curves in the plane (the recipe of torchdiffeq's ``examples/latent_ode.py``, written
afresh here in torch with a private generator):

* counter-clockwise, centred at ``(+5, 0)``: angle ``z = t``, radius ``a + b z``;
* clockwise, centred at ``(-5, 0)``: angle ``z = stop + 1 - t``, radius ``a + 50 b / z`` (the radius
  shrinks as time runs, so the curve winds inwards the other way round).

Each of the ``n_spirals`` series follows one of the two (exactly half each, in random order), starts at a
random index ``t0`` in ``[n_sample, n_total - n_sample)`` (never near either end) and is observed at
``n_sample`` consecutive points with Gaussian noise. Its sample times are ``samp_ts = orig_ts[:n_sample]``
whatever ``t0`` is: a model must infer where on the spiral a series is from the observations alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .. import _validate


@dataclass
class Spirals:
    """The spiral set. ``n = n_spirals``.

    Attributes:
        orig_ts: ``(n_total,)`` the noise-free time grid ``linspace(start, stop, n_total)``.
        orig_trajs: ``(n, n_total, 2)`` each series' whole noise-free spiral (one of two curves).
        samp_ts: ``(n_sample,)`` the sample times, ``orig_ts[:n_sample]``.
        samp_trajs: ``(n, n_sample, 2)`` the noisy observations ``orig_trajs[i, t0[i]:t0[i] + n_sample]
            + noise``.
        clockwise: ``(n,)`` bool, which curve each series follows.
        t0: ``(n,)`` int64 start index of each series on ``orig_ts``.
    """

    orig_ts: torch.Tensor
    orig_trajs: torch.Tensor
    samp_ts: torch.Tensor
    samp_trajs: torch.Tensor
    clockwise: torch.Tensor
    t0: torch.Tensor

    def truth(self) -> torch.Tensor:
        """``(n, n_sample, 2)`` the noise-free points the samples were drawn around."""
        idx = self.t0.view(-1, 1) + torch.arange(len(self.samp_ts)).view(1, -1)
        return torch.gather(self.orig_trajs, 1, idx.unsqueeze(-1).expand(-1, -1, 2))


def spiral_curves(ts: torch.Tensor, *, stop: float, a: float = 0.0, b: float = 0.3
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """The two noise-free curves on times ``ts (T,)``: ``(clockwise (T, 2), counter_clockwise (T, 2))``."""
    z_cw = stop + 1.0 - ts
    r_cw = a + b * 50.0 / z_cw
    cw = torch.stack([r_cw * z_cw.cos() - 5.0, r_cw * z_cw.sin()], dim=1)
    r_cc = a + b * ts
    cc = torch.stack([r_cc * ts.cos() + 5.0, r_cc * ts.sin()], dim=1)
    return cw, cc


def make_spirals(n_spirals: int = 1000, n_total: int = 500, n_sample: int = 100, *, start: float = 0.0,
                 stop: float = 6 * math.pi, noise_std: float = 0.3, a: float = 0.0, b: float = 0.3,
                 seed: int = 0, dtype: torch.dtype = torch.float32) -> Spirals:
    """Generate the spiral set (defaults: the values ``latent_ode.py`` runs with).

    Args:
        n_spirals: number of series; ``n_spirals // 2`` clockwise, the rest counter-clockwise.
        n_total: points on the full noise-free grid ``linspace(start, stop, n_total)``.
        n_sample: consecutive points observed per series; needs ``n_total > 2 * n_sample``.
        start, stop: the time range of the full grid (``stop + 1 - t`` must stay positive).
        noise_std: standard deviation of the Gaussian observation noise (0 for none).
        a, b: spiral parameters (radius ``a + b z``, resp. ``a + 50 b / z``).
        seed: seed of the private generator: the same seed gives the same set everywhere.
        dtype: of the returned tensors (generated in float64 on the CPU).

    Returns:
        A :class:`Spirals` with ``orig_ts (n_total,)``, ``orig_trajs (n, n_total, 2)``,
        ``samp_ts (n_sample,)``, ``samp_trajs (n, n_sample, 2)``, ``clockwise (n,)``, ``t0 (n,)``.
    """
    n = _validate.positive_int("n_spirals", n_spirals)
    n_total = _validate.positive_int("n_total", n_total)
    n_sample = _validate.positive_int("n_sample", n_sample)
    if n_total <= 2 * n_sample:
        raise ValueError(f"n_total must be > 2 * n_sample = {2 * n_sample} (start points avoid both ends); "
                         f"got n_total={n_total}")
    noise_std = _validate.positive_float("noise_std", noise_std, allow_zero=True)
    if not start < stop or stop + 1.0 - start <= 0:
        raise ValueError(f"need start < stop and stop + 1 - start > 0; got start={start!r}, stop={stop!r}")
    gen = torch.Generator(device="cpu").manual_seed(_validate.seed(seed))
    orig_ts = torch.linspace(start, stop, n_total, dtype=torch.float64)
    cw, cc = spiral_curves(orig_ts, stop=stop, a=a, b=b)
    clockwise = torch.randperm(n, generator=gen) < n // 2
    t0 = torch.randint(n_sample, n_total - n_sample, (n,), generator=gen)
    orig_trajs = torch.where(clockwise.view(-1, 1, 1), cw.unsqueeze(0), cc.unsqueeze(0))
    idx = t0.view(-1, 1) + torch.arange(n_sample).view(1, -1)
    clean = torch.gather(orig_trajs, 1, idx.unsqueeze(-1).expand(-1, -1, 2))
    noise = torch.randn(n, n_sample, 2, generator=gen, dtype=torch.float64) * noise_std
    return Spirals(orig_ts=orig_ts.to(dtype), orig_trajs=orig_trajs.to(dtype),
                   samp_ts=orig_ts[:n_sample].to(dtype), samp_trajs=(clean + noise).to(dtype),
                   clockwise=clockwise, t0=t0)
