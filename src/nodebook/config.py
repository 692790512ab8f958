"""One place that decides mode, device, dtype and seed.

Every chapter starts with ``cfg = nodebook.setup("ch1")`` and reads its sizes from ``cfg.budget``: its
budget for the chosen mode, which lives with the other chapters' in :mod:`nodebook.budgets` (one module per
chapter). Nothing else in the book reads environment variables. The switches are

* ``NODEBOOK_MODE``: ``quick`` (default; CPU-sized data and iteration counts, each chapter within its quick
  ``time_s``, about a minute on a CPU) or ``full``: the *reference run*, sized to finish in at most 45
  minutes per chapter on the 2-core CPU (faster on a GPU) and to show each paper's effect clearly; the
  papers' own sizes are a documented ``--set`` away (``python -m nodebook reproduce <chapter> --mode full
  --set KEY=VALUE``; each chapter's budget module says which);
* ``NODEBOOK_DEVICE``: overrides the device choice (``cpu``, ``cuda``, ``cuda:1``, ...; default ``cuda``
  when present);
* ``NODEBOOK_CACHE``: where generated or user-supplied data sets are cached (default ``~/.cache/nodebook``).
"""

from __future__ import annotations

import copy
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .budgets import BUDGETS  # {chapter: {mode: budget}}: nodebook.config.BUDGETS, as before

MODES = ("quick", "full")

CHAPTERS = {
    "ch1": "01_odes_and_solvers",
    "ch2": "02_resnet_euler",
    "ch3": "03_adjoint",
    "ch4": "04_odenets",
    "ch5": "05_cnf",
    "ch6": "06_latent_ode",
    "ch7": "07_practice",
}


@dataclass(frozen=True)
class Config:
    """What :func:`setup` chose. Chapters pass it to the experiment functions."""

    chapter: str
    mode: str
    device: torch.device
    dtype: torch.dtype
    seed: int
    budget: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    @property
    def quick(self) -> bool:
        return self.mode == "quick"

    def elapsed(self) -> float:
        """Seconds since :func:`setup` was called (the chapter's run time so far)."""
        return time.perf_counter() - self.started

    def summary(self) -> str:
        dev = str(self.device)
        if self.device.type == "cuda":
            dev += f" ({torch.cuda.get_device_name(self.device)})"
        dtype = str(self.dtype).replace("torch.", "")
        return (
            f"nodebook · {self.chapter} · mode={self.mode} · device={dev} · dtype={dtype} · "
            f"seed={self.seed} · torch {torch.__version__}"
        )


def resolve_chapter(chapter: str) -> str:
    """Accept ``"ch1"``, ``"1"`` or the source name ``"01_odes_and_solvers"``; return ``"ch1"``."""
    key = str(chapter).strip()
    if key in CHAPTERS:
        return key
    if key.isdigit() and f"ch{int(key)}" in CHAPTERS:
        return f"ch{int(key)}"
    for k, stem in CHAPTERS.items():
        if key in (stem, stem + ".md"):
            return k
    raise ValueError(f"unknown chapter {chapter!r}; expected one of {', '.join(CHAPTERS)}")


def cache_dir(sub: str | None = None) -> Path:
    """The data cache: ``NODEBOOK_CACHE`` if set, else ``~/.cache/nodebook``; ``sub`` names a folder in it.

    The folder is created on first use. Generated data sets (e.g. MuJoCo Hopper trajectories) and data a
    reader downloaded themselves (MNIST IDX files, PhysioNet) live here, never inside the repository.
    """
    root = Path(os.environ.get("NODEBOOK_CACHE") or Path.home() / ".cache" / "nodebook").expanduser()
    path = root / sub if sub else root
    path.mkdir(parents=True, exist_ok=True)
    return path


def resolve_mode(mode: str | None = None) -> str:
    """The explicit ``mode`` if given, else ``NODEBOOK_MODE``, else ``"quick"``."""
    chosen = mode if mode is not None else os.environ.get("NODEBOOK_MODE", "quick")
    chosen = chosen.strip().lower()
    if chosen not in MODES:
        source = "mode" if mode is not None else "NODEBOOK_MODE"
        raise ValueError(f"{source} must be one of {', '.join(MODES)}; got {chosen!r}")
    return chosen


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """The explicit ``device``, else ``NODEBOOK_DEVICE``, else ``cuda`` when available, else ``cpu``."""
    chosen = device if device is not None else os.environ.get("NODEBOOK_DEVICE") or None
    if chosen is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(chosen)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"device must be a torch device string such as 'cpu' or 'cuda'; got {chosen!r}") from err
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {str(dev)!r} was asked for but CUDA is not available here; use 'cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {str(dev)!r} was asked for but this machine has {torch.cuda.device_count()} "
                             f"CUDA device(s) (cuda:0 to cuda:{torch.cuda.device_count() - 1})")
    elif dev.type != "cpu":
        # mps (Apple GPUs), xpu, ...: torch.device() accepts the name on any machine, so ask the backend.
        backend = getattr(torch.backends, dev.type, None) or getattr(torch, dev.type, None)
        available = getattr(backend, "is_available", None)
        if available is None or not available():
            raise ValueError(f"device {str(dev)!r} was asked for but is not available on this machine; expected "
                             "'cpu'" + (" or 'cuda'" if torch.cuda.is_available() else ""))
    return dev


@contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run with ``n`` torch CPU threads (``None`` or 0: leave torch's setting), then restore it.

    Small models on a small CPU run faster on one thread: intra-op threads that wait for each other on a
    busy core cost more than they give (measured here: tiny training steps 4-45x slower on two threads).
    """
    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def one_cpu_thread(device: torch.device | str):
    """:func:`torch_threads` with one thread on a CPU, unchanged on a GPU: the chapters' small models.

    A 2-D state through a width-32 MLP is microseconds of arithmetic per operation; a second intra-op
    thread only adds synchronisation, and on a busy 2-core machine made such models 4-45x slower.
    """
    return torch_threads(1 if torch.device(device).type == "cpu" else None)


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Build modules from ``seed`` without disturbing the caller's random state (CPU generator)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative int; got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (the global RNG is what learners' own code uses)
    torch.manual_seed(seed)


def setup(
    chapter: str,
    *,
    mode: str | None = None,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
    seed: int = 0,
    plots: bool = True,
    verbose: bool = True,
) -> Config:
    """Choose mode, device, dtype and seed for a chapter and print one line saying so.

    Args:
        chapter: chapter id (``"ch1"``), number or source name.
        mode: ``"quick"`` or ``"full"``; default from ``NODEBOOK_MODE``, else quick.
        device: default from ``NODEBOOK_DEVICE``, else ``cuda`` when available, else ``cpu``.
        dtype: default floating dtype for the chapter's tensors (``torch.float32`` or ``torch.float64``).
        seed: seeds Python, NumPy and torch.
        plots: apply the book's figure style (matplotlib and plotly) and its plotly renderer.
        verbose: print the one-line summary.

    Returns:
        The :class:`Config`; ``cfg.budget`` holds the chapter's sizes for the chosen mode.
    """
    key = resolve_chapter(chapter)
    chosen_mode = resolve_mode(mode)
    if dtype not in (torch.float32, torch.float64):
        raise ValueError(f"dtype must be torch.float32 or torch.float64; got {dtype}")
    dev = resolve_device(device)
    seed_everything(seed)
    # A deep copy: a chapter that changes a nested entry (cfg.budget["spirals"]["steps"]) changes its own run,
    # never BUDGETS and so never a later setup().
    budget = copy.deepcopy(BUDGETS.get(key, {}).get(chosen_mode, {}))
    if plots:
        from .plotting import use_style

        use_style()
    cfg = Config(chapter=key, mode=chosen_mode, device=dev, dtype=dtype, seed=seed, budget=budget)
    if verbose:
        print(cfg.summary())
    return cfg
