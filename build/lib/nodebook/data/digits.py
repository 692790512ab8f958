"""Digit data sets for Chapter 4, all offline: MNIST-1D (generated), scikit-learn's 8×8 digits (bundled),
and real MNIST read from IDX files the reader downloaded themselves (nothing here ever downloads).

Each loader returns a :class:`DigitSet`: float tensors ``x_train (n, *shape)``, ``x_test`` and integer
labels, with ``shape`` the sample's shape (``(40,)`` for MNIST-1D, ``(8, 8)`` or ``(28, 28)`` for images).
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import _validate
from ..checkpoint import atomic_write_bytes
from ..config import cache_dir
from . import _cache

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte",
}
"""The four standard MNIST files (each may also be stored gzipped, with ``.gz`` appended)."""

# IDX type codes (the third magic byte) and the big-endian numpy dtype each stands for.
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_MNIST1D_VERSION = 2  # bump when the cached arrays change meaning (2: checksummed, shape-checked)
# mnist1d's default set: 5000 sequences of length 40, split 80/20.
_MNIST1D_SHAPES = {"x": (4000, 40), "y": (4000,), "x_test": (1000, 40), "y_test": (1000,)}


@dataclass
class DigitSet:
    """A classification data set split into train and test, as tensors."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of one sample, e.g. ``(40,)``."""
        return tuple(self.x_train.shape[1:])

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max())) + 1

    def to(self, device=None, dtype=None) -> DigitSet:
        return DigitSet(self.name, self.x_train.to(device=device, dtype=dtype), self.y_train.to(device),
                        self.x_test.to(device=device, dtype=dtype), self.y_test.to(device))


def _tensors(name, x_tr, y_tr, x_te, y_te, dtype) -> DigitSet:
    f = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64)).to(dtype)  # noqa: E731
    i = lambda a: torch.as_tensor(np.asarray(a, dtype=np.int64))  # noqa: E731
    return DigitSet(name, f(x_tr), i(y_tr), f(x_te), i(y_te))


# ------------------------------------------------------------------------------------------ MNIST-1D
def load_mnist1d(*, seed: int = 42, dtype: torch.dtype = torch.float32, cache: bool = True) -> DigitSet:
    """MNIST-1D (Greydanus & Kobak): 4000 train / 1000 test sequences of length 40, 10 classes.

    Generated procedurally by the ``mnist1d`` package with its default arguments (seed 42 gives the
    published set); never downloaded. The arrays are cached in ``cache_dir("mnist1d")`` as an ``.npz`` with
    a sha256 sidecar, written atomically; a cache file that fails its checksum, cannot be read or holds
    arrays of other shapes is regenerated and replaced, with a ``RuntimeWarning``. An unwritable cache
    folder only costs the cache (a warning), never the generated data.
    """
    seed = _validate.seed(seed)
    where = _cache.folder("mnist1d", what="MNIST-1D") if cache else None
    path = where / f"mnist1d-seed{seed}-v{_MNIST1D_VERSION}.npz" if where is not None else None
    arrays = _cache.read_npz(path, _MNIST1D_SHAPES, what="MNIST-1D") if path is not None else None
    if arrays is None:
        from mnist1d.data import get_dataset_args, make_dataset

        args = get_dataset_args()
        args.seed = seed
        data = make_dataset(args)  # make_dataset, not get_dataset: the latter may download
        arrays = {k: np.asarray(data[k]) for k in _MNIST1D_SHAPES}
        if path is not None:
            _cache.write_npz(path, arrays, what="MNIST-1D", compress=True)
    return _tensors("MNIST-1D", arrays["x"], arrays["y"], arrays["x_test"], arrays["y_test"], dtype)


# ------------------------------------------------------------------------------------- sklearn digits
def load_sklearn_digits(*, test_fraction: float = 0.2, seed: int = 0, dtype: torch.dtype = torch.float32
                        ) -> DigitSet:
    """scikit-learn's bundled 8×8 digits (1797 images, 10 classes), pixels scaled to ``[0, 1]``.

    The split is stratified-free and seeded: a permutation from ``seed``, the last ``test_fraction`` held out.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1); got {test_fraction!r}")
    from sklearn.datasets import load_digits

    d = load_digits()
    x, y = d.images / 16.0, d.target
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(test_fraction * len(x)))
    tr, te = order[:-n_test], order[-n_test:]
    return _tensors("sklearn digits 8×8", x[tr], y[tr], x[te], y[te], dtype)


# ------------------------------------------------------------------------------------------ IDX / MNIST
def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise FileNotFoundError(f"IDX file {path} does not exist")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"{path} looks gzipped but cannot be decompressed ({err}); expected a complete "
                             "gzip of an IDX file: download it again") from err
    return raw


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (the MNIST format), plain or gzipped, into a numpy array.

    Format: two zero bytes, a type code (``0x08`` = uint8, ...), the number of dimensions ``d``, then ``d``
    big-endian uint32 sizes, then the data in row-major order.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not an IDX file, unknown type, or the data is shorter or longer than the header says
            (the message names the file and what was expected).
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file: expected magic bytes 00 00 <type> <ndim>; "
                         f"got {raw[:4].hex(' ') or 'an empty file'}")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02x}; expected one of "
                         f"{', '.join(f'0x{c:02x}' for c in _IDX_TYPES)}")
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header: expected {ndim} dimension sizes, got {len(raw)} bytes")
    dims = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[code])
    expected = int(np.prod(dims)) * dtype.itemsize
    got = len(raw) - header
    if got != expected:
        raise ValueError(f"{path}: the header says shape {dims} ({expected} bytes of data) but the file holds "
                         f"{got} bytes; the file is {'truncated' if got < expected else 'too long'}: "
                         "download it again")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzipped when ``path`` ends in ``.gz``), atomically."""
    array = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_TYPES.items()}
    key = array.dtype.newbyteorder("=")
    if key not in codes or array.ndim == 0:
        raise ValueError(f"write_idx needs an array of {sorted(str(d) for d in codes)} with ndim >= 1; "
                         f"got {array.dtype} with ndim {array.ndim}")
    header = bytes([0, 0, codes[key], array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    data = header + array.astype(_IDX_TYPES[codes[key]]).tobytes()
    path = Path(path)
    return atomic_write_bytes(path, gzip.compress(data) if path.suffix == ".gz" else data)


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(
        f"MNIST file {folder / stem} (or {stem}.gz) not found; expected the four standard IDX files "
        f"({', '.join(MNIST_FILES.values())}) in {folder}. nodebook never downloads: fetch them yourself "
        "(e.g. from a mirror of yann.lecun.com/exdb/mnist) into that folder")


def load_mnist(folder: str | Path | None = None, *, dtype: torch.dtype = torch.float32) -> DigitSet:
    """Real MNIST from the four IDX files in ``folder`` (default ``cache_dir("mnist")``), gzipped or not.

    Images ``(n, 28, 28)`` scaled to ``[0, 1]``; labels ``0..9``.

    Raises:
        FileNotFoundError: a file is missing (names it, and what the folder should hold).
        ValueError: a file is corrupt, or images and labels disagree (names the file).
    """
    folder = Path(folder) if folder is not None else cache_dir("mnist")
    arrays = {}
    for key, stem in MNIST_FILES.items():
        path = _find(folder, stem)
        a = read_idx(path)
        want = 3 if key.endswith("images") else 1
        if a.ndim != want or a.dtype != np.uint8:
            raise ValueError(f"{path}: expected uint8 {'images (n, rows, cols)' if want == 3 else 'labels (n,)'}; "
                             f"got {a.dtype} with shape {a.shape}")
        if key.endswith("labels") and a.size and a.max() > 9:
            raise ValueError(f"{path}: expected labels 0..9; got a label {int(a.max())}")
        arrays[key] = (a, path)
    for split in ("train", "test"):
        (imgs, p_img), (labels, p_lab) = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if len(imgs) != len(labels):
            raise ValueError(f"{p_img} holds {len(imgs)} images but {p_lab} holds {len(labels)} labels; "
                             "expected the same number")
    (train, p_train), (test, p_test) = arrays["train_images"], arrays["test_images"]
    if train.shape[1:] != test.shape[1:]:
        raise ValueError(f"{p_train} holds images of {train.shape[1]}x{train.shape[2]} pixels but {p_test} holds "
                         f"{test.shape[1]}x{test.shape[2]}; expected train and test images of the same size")
    g = lambda k: arrays[k][0]  # noqa: E731
    return _tensors("MNIST", g("train_images") / 255.0, g("train_labels"), g("test_images") / 255.0,
                    g("test_labels"), dtype)
