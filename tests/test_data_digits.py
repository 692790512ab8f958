"""Chapter 4's digit data: the IDX format against its specification, bad files, and the offline sets."""

import gzip
import hashlib
import io
import struct

import numpy as np
import pytest
import torch

from nodebook.checkpoint import sidecar
from nodebook.config import cache_dir
from nodebook.data import MNIST_FILES, load_mnist, load_mnist1d, load_sklearn_digits, read_idx, write_idx


def _idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file written from the specification: 0, 0, type 0x08 (uint8), ndim, big-endian sizes, data."""
    return struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + \
        array.astype(np.uint8).tobytes()


def _mnist_folder(folder, n_train=5, n_test=3, gz=False, rng=None):
    rng = rng or np.random.default_rng(0)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train, dtype=np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for key, a in arrays.items():
        data = _idx_bytes(a)
        name = MNIST_FILES[key] + (".gz" if gz else "")
        (folder / name).write_bytes(gzip.compress(data) if gz else data)
    return arrays


def test_read_idx_follows_the_specification(tmp_path):
    a = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a-idx3-ubyte").write_bytes(_idx_bytes(a))
    (tmp_path / "a-idx3-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(a)))
    for name in ("a-idx3-ubyte", "a-idx3-ubyte.gz"):
        got = read_idx(tmp_path / name)
        assert got.shape == (2, 3, 4) and got.dtype == np.uint8
        np.testing.assert_array_equal(got, a)


def test_write_idx_round_trips_other_types(tmp_path):
    a = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    write_idx(tmp_path / "f.gz", a)
    raw = gzip.decompress((tmp_path / "f.gz").read_bytes())
    assert raw[:4] == bytes([0, 0, 0x0D, 2])  # 0x0D: float32, as the format defines it
    np.testing.assert_array_equal(read_idx(tmp_path / "f.gz"), a)
    with pytest.raises(ValueError, match="complex128"):
        write_idx(tmp_path / "c", np.zeros(3, dtype=complex))


@pytest.mark.parametrize("content, match", [
    (b"", "not an IDX file.*empty file"),
    (b"\x08\x03\x00\x00rest", "not an IDX file: expected magic bytes 00 00"),
    (bytes([0, 0, 0x07, 1]) + struct.pack(">I", 3) + b"abc", "unknown IDX type code 0x07"),
    (bytes([0, 0, 0x08, 3]) + struct.pack(">I", 3), "truncated IDX header"),
    (bytes([0, 0, 0x08, 1]) + struct.pack(">I", 10) + b"abc", r"shape \(10,\).*holds 3 bytes.*truncated"),
    (bytes([0, 0, 0x08, 1]) + struct.pack(">I", 2) + b"abc", "too long"),
    (b"\x1f\x8b\x08\x00garbage", "looks gzipped but cannot be decompressed"),
])
def test_bad_idx_files_say_which_file_and_what_was_expected(tmp_path, content, match):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as err:
        read_idx(path)
    assert str(path) in str(err.value)


def test_missing_idx_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        read_idx(tmp_path / "nope")


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_reads_the_four_files(tmp_path, gz):
    arrays = _mnist_folder(tmp_path, gz=gz)
    d = load_mnist(tmp_path)
    assert d.x_train.shape == (5, 28, 28) and d.x_test.shape == (3, 28, 28) and d.shape == (28, 28)
    assert d.x_train.dtype == torch.float32
    np.testing.assert_allclose(d.x_train.numpy(), arrays["train_images"] / 255.0, rtol=1e-6)
    assert d.y_test.tolist() == arrays["test_labels"].tolist()
    assert 0.0 <= float(d.x_train.min()) and float(d.x_train.max()) <= 1.0


def test_load_mnist_defaults_to_the_cache_folder():
    _mnist_folder(cache_dir("mnist"))
    assert load_mnist().x_train.shape == (5, 28, 28)


def test_load_mnist_names_a_missing_file_and_never_downloads(tmp_path):
    _mnist_folder(tmp_path)
    (tmp_path / MNIST_FILES["test_labels"]).unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.*never downloads"):
        load_mnist(tmp_path)


def test_load_mnist_refuses_inconsistent_files(tmp_path):
    _mnist_folder(tmp_path)
    (tmp_path / MNIST_FILES["train_labels"]).write_bytes(_idx_bytes(np.zeros(4, dtype=np.uint8)))
    with pytest.raises(ValueError, match="holds 5 images but .* holds 4 labels"):
        load_mnist(tmp_path)
    (tmp_path / MNIST_FILES["train_labels"]).write_bytes(_idx_bytes(np.full(5, 12, dtype=np.uint8)))
    with pytest.raises(ValueError, match="expected labels 0..9; got a label 12"):
        load_mnist(tmp_path)
    (tmp_path / MNIST_FILES["train_images"]).write_bytes(_idx_bytes(np.zeros(5, dtype=np.uint8)))
    with pytest.raises(ValueError, match="train-images-idx3-ubyte: expected uint8 images"):
        load_mnist(tmp_path)


def test_write_idx_is_atomic_and_leaves_no_temporary_files(tmp_path):
    write_idx(tmp_path / "x-idx1-ubyte", np.arange(5, dtype=np.uint8))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x-idx1-ubyte"]


@pytest.fixture(scope="module")
def mnist1d():
    return load_mnist1d()


def test_mnist1d_is_the_published_default_set(mnist1d):
    d = mnist1d
    assert d.x_train.shape == (4000, 40) and d.x_test.shape == (1000, 40) and d.shape == (40,)
    assert d.n_classes == 10 and set(d.y_train.tolist()) == set(range(10))
    counts = torch.bincount(d.y_train, minlength=10)
    assert counts.min() > 300  # roughly balanced: 400 per class on average


def test_mnist1d_cache_is_reused_and_a_damaged_one_regenerated(mnist1d):
    files = list(cache_dir("mnist1d").glob("*.npz"))
    assert len(files) == 1 and not list(cache_dir("mnist1d").glob("*.tmp"))
    assert sidecar(files[0]).exists()  # checksummed
    again = load_mnist1d()
    assert torch.equal(again.x_train, mnist1d.x_train)
    files[0].write_bytes(b"not a zip file")
    with pytest.warns(RuntimeWarning, match="MNIST-1D cache .* is corrupt: sha256 mismatch.*regenerating"):
        fresh = load_mnist1d()
    assert torch.equal(fresh.x_test, mnist1d.x_test)
    assert files[0].read_bytes()[:2] == b"PK"  # rewritten as a real .npz


def _write_checksummed(path, **arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    path.write_bytes(buf.getvalue())
    sidecar(path).write_text(f"{hashlib.sha256(buf.getvalue()).hexdigest()}  {path.name}\n")


def test_a_wrong_shaped_mnist1d_cache_is_never_used_as_data(mnist1d):
    # A file with a valid checksum but arrays of another shape (an old generator, a hand-made file) is
    # refused on its shape, regenerated, and replaced.
    path = next(cache_dir("mnist1d").glob("*.npz"))
    _write_checksummed(path, x=np.zeros((10, 39)), y=np.zeros(10), x_test=np.zeros((5, 39)), y_test=np.zeros(5))
    with pytest.warns(RuntimeWarning, match=r"array 'x' has shape \(10, 39\), expected \(4000, 40\)"):
        d = load_mnist1d()
    assert torch.equal(d.x_train, mnist1d.x_train)
    with np.load(path) as z:
        assert z["x"].shape == (4000, 40)


def test_an_unwritable_mnist1d_cache_keeps_the_generated_data(monkeypatch, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("NODEBOOK_CACHE", str(blocked))
    with pytest.warns(RuntimeWarning, match="MNIST-1D cache folder cannot be used"):
        d = load_mnist1d()
    assert d.x_train.shape == (4000, 40)


def test_load_mnist_refuses_train_and_test_images_of_different_sizes(tmp_path):
    _mnist_folder(tmp_path)
    (tmp_path / MNIST_FILES["test_images"]).write_bytes(_idx_bytes(np.zeros((3, 14, 14), dtype=np.uint8)))
    with pytest.raises(ValueError, match=r"28x28 pixels but .*t10k-images-idx3-ubyte holds 14x14"):
        load_mnist(tmp_path)


def test_sklearn_digits():
    d = load_sklearn_digits(test_fraction=0.25, seed=1)
    assert len(d.x_train) + len(d.x_test) == 1797 and len(d.x_test) == round(0.25 * 1797)
    assert d.shape == (8, 8) and float(d.x_train.min()) == 0.0 and float(d.x_train.max()) == 1.0
    other = load_sklearn_digits(test_fraction=0.25, seed=2)
    assert not torch.equal(d.y_test, other.y_test)
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\); got 1.5"):
        load_sklearn_digits(test_fraction=1.5)


# ------------------------------------------------------------------ huge headers (issue 21)
@pytest.mark.parametrize("code, dims", [(0x08, (2**32 - 1,) * 4), (0x0E, (2**32 - 1,) * 3), (0x0C, (2**31,) * 2)])
def test_a_huge_idx_header_gives_the_exact_byte_count(tmp_path, code, dims):
    import math

    path = tmp_path / "huge-idx-ubyte"
    path.write_bytes(bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + b"abcd")
    itemsize = {0x08: 1, 0x0C: 4, 0x0E: 8}[code]
    with pytest.raises(ValueError, match=rf"\({math.prod(dims) * itemsize} bytes of data\) but the file holds 4 "
                                         "bytes; the file is truncated"):
        read_idx(path)


def test_an_idx_header_with_more_dimensions_than_numpy_holds(tmp_path):
    path = tmp_path / "deep-idx-ubyte"
    path.write_bytes(bytes([0, 0, 0x08, 100]) + struct.pack(">100I", *([1] * 100)) + b"a")
    with pytest.raises(ValueError, match=r"deep-idx-ubyte: the header says 100 dimensions; expected at most 32"):
        read_idx(path)
