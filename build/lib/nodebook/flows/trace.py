"""The trace of a Jacobian ``tr(∂f/∂z)``: exactly with ``D`` backward passes, or unbiasedly with one.

* :func:`exact_trace`: ``Σᵢ ∂fᵢ/∂zᵢ``, one vector–Jacobian product per dimension (row ``i`` of the
  Jacobian costs one backward pass), so the cost grows linearly with ``D`` on top of the evaluation.
* :func:`hutchinson_trace`: ``εᵀ (∂f/∂z) ε`` for noise with ``E[ε εᵀ] = I``; one backward pass for any ``D``
  (Hutchinson, 1989; FFJORD, Grathwohl et al. 2019). Its mean is the trace; its variance depends on
  the noise: :func:`hutchinson_variance` gives it in closed form for a fixed matrix.
"""

from __future__ import annotations

import torch

NOISES = ("gaussian", "rademacher")
"""Noise distributions of :func:`sample_noise`."""


def _check_pair(f: torch.Tensor, z: torch.Tensor) -> None:
    if not isinstance(f, torch.Tensor) or not isinstance(z, torch.Tensor) or f.shape != z.shape or f.dim() != 2:
        raise ValueError(f"f and z must be tensors of the same shape (batch, D); got {getattr(f, 'shape', f)} "
                         f"and {getattr(z, 'shape', z)}")
    if not z.requires_grad:
        raise ValueError("z must require grad and f must be computed from it (call z.requires_grad_() first)")


def exact_trace(f: torch.Tensor, z: torch.Tensor, *, create_graph: bool = False) -> torch.Tensor:
    """``tr(∂f/∂z)`` for each row of a batch: ``f, z``: ``(batch, D)`` → ``(batch,)``; ``D`` backward passes.

    Each sample's ``f`` must depend on its own ``z`` only (true for a batch of independent states), so
    that the gradient of ``Σ_b f[b, i]`` with respect to ``z[b, i]`` is ``∂f[b, i]/∂z[b, i]``.
    """
    _check_pair(f, z)
    total = torch.zeros(f.shape[0], dtype=f.dtype, device=f.device)
    for i in range(f.shape[1]):
        (g,) = torch.autograd.grad(f[:, i].sum(), z, create_graph=create_graph, retain_graph=True)
        total = total + g[:, i]
    return total


def sample_noise(shape: tuple[int, ...], kind: str = "rademacher", *, dtype: torch.dtype = torch.float32,
                 device: torch.device | str | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """Noise with mean 0 and identity covariance: ``"gaussian"`` N(0, 1) or ``"rademacher"`` ±1 entries."""
    if kind not in NOISES:
        raise ValueError(f"unknown noise {kind!r}; valid names: {', '.join(NOISES)}")
    dev = "cpu" if generator is not None else device
    if kind == "gaussian":
        e = torch.randn(shape, generator=generator, dtype=dtype, device=dev)
    else:
        e = torch.randint(0, 2, shape, generator=generator, device=dev).to(dtype) * 2 - 1
    return e.to(device)


def hutchinson_trace(f: torch.Tensor, z: torch.Tensor, e: torch.Tensor, *,
                     create_graph: bool = False) -> torch.Tensor:
    """Hutchinson's estimate ``εᵀ (∂f/∂z) ε`` per row: one vector–Jacobian product ``εᵀ ∂f/∂z``."""
    _check_pair(f, z)
    if e.shape != z.shape:
        raise ValueError(f"noise e must be shaped like z {tuple(z.shape)}; got {tuple(e.shape)}")
    (vjp,) = torch.autograd.grad((f * e).sum(), z, create_graph=create_graph, retain_graph=True)
    return (vjp * e).sum(-1)


def hutchinson_variance(a: torch.Tensor, kind: str) -> float:
    """The variance of ``εᵀAε`` for a fixed square matrix ``A``.

    Gaussian: ``‖A‖²_F + tr(A²) = Σᵢⱼ Aᵢⱼ² + Σᵢⱼ AᵢⱼAⱼᵢ``. Rademacher: the same sum without the diagonal
    terms (``εᵢ² = 1`` exactly, so the diagonal contributes no noise).
    """
    if kind not in NOISES:
        raise ValueError(f"unknown noise {kind!r}; valid names: {', '.join(NOISES)}")
    if a.dim() != 2 or a.shape[0] != a.shape[1]:
        raise ValueError(f"A must be a square matrix; got shape {tuple(a.shape)}")
    terms = a**2 + a * a.T
    if kind == "rademacher":
        terms = terms - torch.diag(torch.diagonal(terms))
    return float(terms.sum())
