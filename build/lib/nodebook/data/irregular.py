"""Irregularly sampled multivariate time series: one record format, one batch format.

A **record** (:class:`IrregularSeries`) is one series as it was observed: its own sorted times
``(T_i,)``, values ``(T_i, D)`` and a 0/1 mask ``(T_i, D)`` (a patient's blood pressure is measured at
other times than their lab values, so a time point can be partly observed).

A **batch** is the triple ``(t, x, mask)`` that the whole of chapter 6 passes around:

* ``t: (T,)`` the sorted union of the observation times of the batch,
* ``x: (B, T, D)`` values on that grid, 0 where not observed,
* ``mask: (B, T, D)`` float 0/1, 1 where observed.

:func:`collate` turns records into a batch; :func:`subsample` makes a regular batch irregular;
:func:`split_interp` and :func:`split_extrap` choose what the encoder sees and what the loss scores;
:func:`~nodebook.data.scaling.normalize_time` and :class:`~nodebook.data.scaling.FeatureScaler` (module
``scaling``, re-exported here) bring times and values to unit scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from .. import _validate
from .scaling import FeatureScaler, normalize_time

__all__ = ["FeatureScaler", "IrregularSeries", "collate", "normalize_time", "split_extrap", "split_interp",
           "subsample", "summary"]


@dataclass
class IrregularSeries:
    """One irregularly observed series.

    Attributes:
        times: ``(T_i,)`` strictly increasing observation times.
        values: ``(T_i, D)`` observed values, 0 where ``mask`` is 0.
        mask: ``(T_i, D)`` float 0/1, 1 where the value was observed.
        id: an identifier (PhysioNet RecordID, USHCN station id, index).
        label: an optional per-series label (PhysioNet in-hospital death), else ``None``.
        static: optional per-series constants (PhysioNet Age, Gender, ...), missing ones left out.
    """

    times: torch.Tensor
    values: torch.Tensor
    mask: torch.Tensor
    id: str | int = ""
    label: float | None = None
    static: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        t, v, m = self.times, self.values, self.mask
        if not all(isinstance(a, torch.Tensor) for a in (t, v, m)):
            raise TypeError(f"times, values and mask must be tensors; got {_validate.describe(t)}, "
                            f"{_validate.describe(v)}, {_validate.describe(m)}")
        if t.dim() != 1 or v.dim() != 2 or v.shape[0] != t.shape[0] or m.shape != v.shape:
            raise ValueError("expected times (T,), values (T, D) and mask (T, D); got shapes "
                             f"{tuple(t.shape)}, {tuple(v.shape)}, {tuple(m.shape)} (series {self.id!r})")
        if len(t) > 1 and not bool((t[1:] > t[:-1]).all()):
            raise ValueError(f"times must be strictly increasing (series {self.id!r})")

    @property
    def n_observed(self) -> int:
        """Number of observed values (mask entries equal to 1)."""
        return int(self.mask.sum().item())


def collate(records: Sequence[IrregularSeries], *, dtype: torch.dtype = torch.float32,
            device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Put records with different time points on one grid: the sorted union of all their times.

    Args:
        records: ``B`` series with the same number of features ``D``.
        dtype, device: of the returned tensors.

    Returns:
        ``t (T,)``, ``x (B, T, D)`` (0 where missing) and ``mask (B, T, D)``; ``T`` is the number of
        distinct times over the batch. A time a record did not observe has mask 0 for that record.

    Raises:
        ValueError: a mask entry other than 0 or 1, or a NaN/inf value where the mask is 1 (a value under
            mask 0 is missing whatever it holds, NaN included, and becomes 0).
    """
    if len(records) == 0:
        raise ValueError("collate needs at least one record; got 0")
    dims = {r.values.shape[1] for r in records}
    if len(dims) != 1:
        raise ValueError(f"all records must have the same number of features D; got {sorted(dims)}")
    t = torch.unique(torch.cat([r.times.to(torch.float64) for r in records]))  # sorted
    x = torch.zeros(len(records), len(t), dims.pop(), dtype=dtype)
    mask = torch.zeros_like(x)
    for b, r in enumerate(records):
        observed = r.mask == 1
        if not bool((observed | (r.mask == 0)).all()):
            bad = r.mask[~(observed | (r.mask == 0))]
            raise ValueError(f"mask must hold only 0 and 1; got {bad[0].item()!r} in record {b} (id {r.id!r})")
        if not bool(torch.isfinite(r.values[observed]).all()):
            raise ValueError(f"observed values must be finite; record {b} (id {r.id!r}) has NaN or inf where "
                             "its mask is 1 (set the mask to 0 there to mark the value missing)")
        idx = torch.searchsorted(t, r.times.to(torch.float64))
        # where(), not values * mask: a NaN under a zero mask must become 0, not NaN * 0 = NaN
        x[b, idx] = torch.where(observed, r.values, torch.zeros_like(r.values)).to(dtype)
        mask[b, idx] = r.mask.to(dtype)
    return t.to(dtype=dtype, device=device), x.to(device), mask.to(device)


def summary(records: Sequence[IrregularSeries]) -> dict[str, int | float]:
    """Plain-Python numbers describing a set of records (for printing and glueing in a chapter).

    Returns:
        ``n_series``, ``n_features``, ``n_observed`` (values), ``mean_times`` (time points per series),
        ``observed_fraction`` (observed values over all ``sum_i T_i * D`` cells of the records' own
        grids), ``t_min`` and ``t_max``.
    """
    if len(records) == 0:
        raise ValueError("summary needs at least one record; got 0")
    n_obs = sum(r.n_observed for r in records)
    cells = sum(r.mask.numel() for r in records)
    n_times = sum(len(r.times) for r in records)
    nonempty = [r.times for r in records if len(r.times)]
    return {"n_series": len(records), "n_features": int(records[0].values.shape[1]), "n_observed": n_obs,
            "mean_times": n_times / len(records), "observed_fraction": n_obs / cells if cells else 0.0,
            "t_min": min(float(t[0]) for t in nonempty) if nonempty else 0.0,
            "t_max": max(float(t[-1]) for t in nonempty) if nonempty else 0.0}


def _check_batch(t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor | None) -> None:
    if t.dim() != 1 or x.dim() != 3 or x.shape[1] != t.shape[0]:
        raise ValueError(f"expected t (T,) and x (B, T, D); got {tuple(t.shape)} and {tuple(x.shape)}")
    if mask is not None and mask.shape != x.shape:
        raise ValueError(f"mask must have the shape of x {tuple(x.shape)}; got {tuple(mask.shape)}")


def subsample(t: torch.Tensor, x: torch.Tensor, n_obs: int, *, generator: torch.Generator,
              mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Keep ``n_obs`` random observed time points of each series: a regular batch made irregular.

    Each series draws its own points (without replacement, uniformly among its time points that have at
    least one observed value), so the series of the batch are observed at different times.

    Args:
        t: ``(T,)`` times; x: ``(B, T, D)`` values; mask: ``(B, T, D)`` or ``None`` (all observed).
        n_obs: points kept per series, ``1 <= n_obs <=`` the number of observed points of every series.
        generator: the private random generator (CPU) that decides which points.

    Returns:
        ``(t', x', mask')`` on the union grid of the kept times: ``t' (T',)``, ``x', mask' (B, T', D)``.
    """
    _check_batch(t, x, mask)
    n_obs = _validate.positive_int("n_obs", n_obs)
    mask = torch.ones_like(x) if mask is None else mask
    present = mask.amax(dim=2) > 0  # (B, T) time points with something observed
    fewest = int(present.sum(dim=1).min())
    if n_obs > fewest:
        raise ValueError(f"n_obs must be <= the observed points of every series ({fewest}); got {n_obs}")
    scores = torch.rand(present.shape, generator=generator).to(x.device)
    scores = scores.masked_fill(~present, -1.0)  # unobserved points are never among the top n_obs
    keep = torch.zeros_like(present)
    keep.scatter_(1, scores.topk(n_obs, dim=1).indices, True)
    cols = keep.any(dim=0)
    new_mask = (mask * keep.unsqueeze(-1).to(mask.dtype))[:, cols]
    return t[cols], x[:, cols] * new_mask, new_mask


def split_interp(x: torch.Tensor, mask: torch.Tensor, frac_observed: float, generator: torch.Generator,
                 *, target: str = "all", rounding: str = "round") -> tuple[torch.Tensor, torch.Tensor]:
    """Interpolation: show the encoder a random fraction of each series' observed time points.

    Per series, ``round(frac_observed * n_i)`` (at least 1) of its ``n_i`` observed time points stay
    visible, all features at a kept point together (as Rubanova et al.'s ``subsample_observed_data``).

    Args:
        x: ``(B, T, D)`` values (used for its shape); mask: ``(B, T, D)`` observed entries.
        frac_observed: share of observed time points kept, in ``(0, 1]``.
        generator: private random generator (CPU).
        target: ``"all"`` scores every observed point, as Rubanova et al. do (their interpolation MSE);
            ``"held_out"`` scores only the points hidden from the encoder.
        rounding: ``"round"`` keeps ``round(frac * n_i)`` points; ``"floor"`` keeps ``int(frac * n_i)``,
            as the published code does (``subsample_timepoints``); at least 1 either way.

    Returns:
        ``obs_mask (B, T, D)`` (what the encoder sees) and ``target_mask (B, T, D)`` (what the loss scores).
    """
    if x.dim() != 3 or mask.shape != x.shape:
        raise ValueError(f"expected x and mask (B, T, D); got {tuple(x.shape)} and {tuple(mask.shape)}")
    if isinstance(frac_observed, bool) or not isinstance(frac_observed, (int, float)) \
            or not 0 < frac_observed <= 1:
        raise ValueError(f"frac_observed must be a number in (0, 1]; got {frac_observed!r}")
    if target not in ("all", "held_out"):
        raise ValueError(f"target must be one of 'all', 'held_out'; got {target!r}")
    if rounding not in ("round", "floor"):
        raise ValueError(f"rounding must be one of 'round', 'floor'; got {rounding!r}")
    present = mask.amax(dim=2) > 0
    wanted = present.sum(dim=1).double() * frac_observed
    n_keep = (wanted.round() if rounding == "round" else (wanted + 1e-9).floor()).clamp(min=1).long()  # (B,)
    scores = torch.rand(present.shape, generator=generator).to(mask.device).masked_fill(~present, -1.0)
    rank = scores.argsort(dim=1, descending=True).argsort(dim=1)  # rank 0 = highest score
    keep = (rank < n_keep.to(mask.device).unsqueeze(1)) & present
    obs_mask = mask * keep.unsqueeze(-1).to(mask.dtype)
    return obs_mask, (mask.clone() if target == "all" else mask - obs_mask)


def split_extrap(t: torch.Tensor, x: torch.Tensor, mask: torch.Tensor, *, by: str = "index",
                 n_first: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Extrapolation: observe the first half of the time grid, predict the rest.

    Args:
        t: ``(T,)``; x: ``(B, T, D)``; mask: ``(B, T, D)``.
        by: ``"index"`` splits after the first ``T // 2`` grid points (Rubanova et al.); ``"time"`` at the
            midpoint of ``[t[0], t[-1]]`` (observed: ``t <= midpoint``).
        n_first: with ``by="index"``, observe this many grid points instead of ``T // 2`` (Rubanova et al.
            observe the first ``T // 3`` of a Hopper trajectory).

    Returns:
        ``obs_mask`` (mask with the second half zeroed) and ``target_mask`` (first half zeroed), ``(B, T, D)``.
    """
    _check_batch(t, x, mask)
    if by == "index":
        n = len(t) // 2 if n_first is None else _validate.positive_int("n_first", n_first)
        first = torch.arange(len(t), device=mask.device) < n
    elif by == "time":
        first = (t <= (t[0] + t[-1]) / 2).to(mask.device)
    else:
        raise ValueError(f"by must be one of 'index', 'time'; got {by!r}")
    first = first.to(mask.dtype).view(1, -1, 1)
    return mask * first, mask * (1 - first)
