"""Checkpoints always load back, old files name what they lack, and moving a bad file aside never overwrites."""

import hashlib
import io
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

from nodebook.checkpoint import CheckpointError, load_checkpoint, load_run, save_checkpoint, save_run, sidecar


def _write_raw(path: Path, state) -> None:
    """A checkpoint as an older nodebook wrote it: plain ``torch.save`` plus a matching checksum."""
    buf = io.BytesIO()
    torch.save(state, buf)
    path.write_bytes(buf.getvalue())
    sidecar(path).write_text(f"{hashlib.sha256(buf.getvalue()).hexdigest()}  {path.name}\n")


def test_numpy_values_and_paths_are_saved_so_that_they_load(tmp_path):
    model = torch.nn.Linear(2, 1)
    state = {"seed": np.int64(3), "lr": np.float32(0.5), "flag": np.bool_(True), "where": tmp_path / "x",
             "arr": np.arange(3.0), "nested": {"steps": [np.int32(1), np.int64(2)]}, "model": model.state_dict()}
    path = save_checkpoint(tmp_path / "run.pt", state)
    got = load_checkpoint(path)
    assert got["seed"] == 3 and type(got["seed"]) is int and got["lr"] == 0.5 and got["flag"] is True
    assert got["where"] == str(tmp_path / "x") and torch.equal(got["arr"], torch.arange(3.0, dtype=torch.float64))
    assert got["nested"] == {"steps": [1, 2]}
    assert isinstance(got["model"], OrderedDict) and torch.equal(got["model"]["weight"], model.weight.detach())


class Sampler:
    """A picklable object that a weights_only load refuses."""


def test_a_value_that_cannot_load_back_is_refused_before_writing(tmp_path):
    class Local:
        pass

    with pytest.raises(TypeError, match=r"cannot checkpoint state\['run'\]\['sampler'\]: a .*Sampler would not"):
        save_checkpoint(tmp_path / "run.pt", {"run": {"sampler": Sampler()}})
    with pytest.raises(TypeError, match=r"cannot checkpoint state\['x'\]\[1\]: a .*Local would not"):
        save_checkpoint(tmp_path / "run.pt", {"x": [1, Local()]})
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(TypeError, match="state must be a dict; got list"):
        save_checkpoint(tmp_path / "run.pt", [1, 2])


def test_a_good_file_a_safe_load_refuses_is_not_called_corrupt_nor_moved(tmp_path):
    path = tmp_path / "run.pt"
    _write_raw(path, {"seed": np.int64(3)})  # what save_checkpoint wrote before it converted numpy values
    with pytest.raises(CheckpointError, match=r"intact \(its checksum matches\).*refuses.*numpy.*left in place"
                       ) as err:
        load_checkpoint(path)
    assert err.value.moved_to is None and path.exists() and sidecar(path).exists()
    assert not list(tmp_path.glob("*.corrupt*"))


def _train_state():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    return model, opt


def test_an_old_format_run_names_the_missing_entry(tmp_path):
    model, opt = _train_state()
    path = save_checkpoint(tmp_path / "run.pt", {"seed": 0, "model": model.state_dict(),
                                                  "optimizer": opt.state_dict()})  # no history yet
    with pytest.raises(ValueError, match=r"has no 'history' entry; expected .*older nodebook"):
        load_run(path, run={"seed": 0}, model=model, optimizer=opt)
    with pytest.raises(ValueError, match=r"has no 'batch_size', 'history' entries"):
        load_run(path, run={"seed": 0, "batch_size": 8}, model=model, optimizer=opt)
    save_run(path, run={"seed": 0}, model=model, optimizer=opt, history={"loss": [1.0]})
    assert load_run(path, run={"seed": 0}, model=model, optimizer=opt) == {"loss": [1.0]}


def test_moving_aside_never_overwrites_an_earlier_corrupt_file_or_its_checksum(tmp_path):
    path = tmp_path / "run.pt"
    # an earlier corrupt file's checksum is still there although the file itself was deleted
    (tmp_path / "run.pt.corrupt.sha256").write_text("keep me\n")
    (tmp_path / "run.pt.corrupt.1").write_text("keep me too\n")
    path.write_bytes(b"garbage")
    sidecar(path).write_text("0" * 64 + "  run.pt\n")
    with pytest.raises(CheckpointError, match=r"moved aside to .*run.pt.corrupt.2") as err:
        load_checkpoint(path)
    assert err.value.moved_to == tmp_path / "run.pt.corrupt.2"
    assert (tmp_path / "run.pt.corrupt.sha256").read_text() == "keep me\n"
    assert (tmp_path / "run.pt.corrupt.1").read_text() == "keep me too\n"
    assert (tmp_path / "run.pt.corrupt.2").read_bytes() == b"garbage"
    assert (tmp_path / "run.pt.corrupt.2.sha256").read_text().startswith("0" * 64)
    assert not path.exists() and not sidecar(path).exists()


# ------------------------------------------------------------------ disk full (issue 21)
@pytest.mark.parametrize("failing_call", [1, 2])  # while writing the checkpoint, then while writing its checksum
def test_disk_full_while_saving_names_the_file_and_keeps_the_previous_checkpoint(tmp_path, monkeypatch,
                                                                                 failing_call):
    import errno
    import os

    from nodebook import checkpoint

    path = tmp_path / "run.pt"
    save_checkpoint(path, {"step": 1, "w": torch.ones(3)})
    calls = []
    real_fsync = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == failing_call:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(checkpoint.os, "fsync", fsync)
    with pytest.raises(OSError, match=r"could not save the checkpoint .*run\.pt: No space left on device; "
                                      r"the previous checkpoint .*run\.pt is intact") as err:
        save_checkpoint(path, {"step": 2, "w": torch.zeros(3)})
    assert err.value.errno == errno.ENOSPC
    monkeypatch.setattr(checkpoint.os, "fsync", real_fsync)
    state = load_checkpoint(path)  # the previous one, checksum and all
    assert state["step"] == 1 and torch.equal(state["w"], torch.ones(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt", "run.pt.sha256"]  # no temporary left


def test_disk_full_on_a_first_save_says_nothing_was_written(tmp_path, monkeypatch):
    import errno

    from nodebook import checkpoint

    def fsync(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint.os, "fsync", fsync)
    with pytest.raises(OSError, match=r"could not save the checkpoint .*new\.pt: No space left on device; "
                                      r"nothing was written \(there was no checkpoint before\)"):
        save_checkpoint(tmp_path / "new.pt", {"step": 1})
    assert list(tmp_path.iterdir()) == []
