"""Times and values brought to unit scale, fitted on observed values only (a missing 0 is no measurement).

:func:`normalize_time` divides by the largest time (Rubanova et al. map each data set's times to [0, 1]);
:class:`FeatureScaler` scales each feature by min/max or mean/std over the entries a mask marks observed.
"""

from __future__ import annotations

import torch

from .. import _validate


def normalize_time(t: torch.Tensor, t_max: float | None = None) -> torch.Tensor:
    """Times divided by ``t_max`` (default ``t.max()``), so a grid starting at 0 ends at 1 (Rubanova et al.)."""
    scale = float(t.max()) if t_max is None else _validate.positive_float("t_max", t_max)
    if scale <= 0:
        raise ValueError(f"t_max must be > 0; got {scale:g} (the largest time)")
    return t / scale


class FeatureScaler:
    """Per-feature scaling fitted on observed values only.

    ``kind="minmax"`` maps each feature's observed range to ``[0, 1]``; ``kind="standard"`` to mean 0,
    standard deviation 1; ``kind="rubanova"`` is what Rubanova et al.'s code does (``normalize_data`` and
    PhysioNet's ``normalize_masked_data``): ``(x - min) / max``, with a max of 0 replaced by 1 — not the
    range. Their tables are on that scale, fitted on the whole data set. A constant feature gets scale 1 and a never
    observed one offset 0 and scale 1, so neither divides by zero. Missing entries stay 0.
    """

    KINDS = ("minmax", "standard", "rubanova")

    def __init__(self, kind: str = "minmax"):
        if kind not in self.KINDS:
            raise ValueError(f"kind must be one of {', '.join(map(repr, self.KINDS))}; got {kind!r}")
        self.kind = kind
        self.offset: torch.Tensor | None = None  # (D,)
        self.scale: torch.Tensor | None = None  # (D,)

    def fit(self, x: torch.Tensor, mask: torch.Tensor) -> FeatureScaler:
        """Fit on ``x, mask: (..., D)``; only entries with mask 1 count. Returns ``self``."""
        if mask.shape != x.shape or x.dim() < 1:
            raise ValueError(f"x and mask must have the same shape (..., D); got {tuple(x.shape)}, "
                             f"{tuple(mask.shape)}")
        v, m = x.reshape(-1, x.shape[-1]).double(), mask.reshape(-1, x.shape[-1]).double() > 0
        n = m.sum(0)
        if self.kind in ("minmax", "rubanova"):
            lo = torch.where(m, v, torch.inf).amin(0)
            hi = torch.where(m, v, -torch.inf).amax(0)
            offset, scale = lo, (hi - lo if self.kind == "minmax" else hi)
        else:
            offset = torch.where(m, v, 0).sum(0) / n.clamp(min=1)
            scale = (torch.where(m, v - offset, 0).square().sum(0) / n.clamp(min=1)).sqrt()
        seen = n > 0
        self.offset = torch.where(seen, offset, 0.0).to(x.dtype)
        good = scale != 0 if self.kind == "rubanova" else scale > 0  # theirs: only a max of exactly 0 -> 1
        self.scale = torch.where(seen & good, scale, 1.0).to(x.dtype)
        return self

    def _fitted(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.offset is None or self.scale is None:
            raise RuntimeError("FeatureScaler is not fitted; call fit(x, mask) first")
        return self.offset, self.scale

    def transform(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """``(x - offset) / scale``, then 0 where ``mask`` is 0 (when a mask is given)."""
        offset, scale = self._fitted()
        if x.shape[-1] != len(offset):
            raise ValueError(f"x must have {len(offset)} features (last dim); got shape {tuple(x.shape)}")
        z = (x - offset.to(x)) / scale.to(x)
        return z if mask is None else z * mask

    def inverse_transform(self, z: torch.Tensor) -> torch.Tensor:
        """Back to the original units: ``z * scale + offset``."""
        offset, scale = self._fitted()
        if z.shape[-1] != len(offset):
            raise ValueError(f"z must have {len(offset)} features (last dim); got shape {tuple(z.shape)}")
        return z * scale.to(z) + offset.to(z)
