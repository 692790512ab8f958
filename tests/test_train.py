"""nodebook.train and nodebook.checkpoint: the seeded, resumable training loop."""

import hashlib
import importlib.util

import pytest
import torch
import torch.nn.functional as F

from nodebook.checkpoint import CheckpointError, load_checkpoint, save_checkpoint, sidecar
from nodebook.data import concentric_circles
from nodebook.models import Classifier, MLPDynamics, ODEBlock, ResNetBlocks
from nodebook.train import History, accuracy, fit

DATA = concentric_circles(96, seed=1)


def _model(kind="resnet", seed=0):
    torch.manual_seed(seed)
    if kind == "ode":
        return Classifier(ODEBlock(MLPDynamics(3, 8), method="rk4", options={"step_size": 0.5}), hidden_dim=3)
    return Classifier(ResNetBlocks(lambda: MLPDynamics(3, 8), 2, tied=False), hidden_dim=3)


def _run(model, steps, **kw):
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    kw = {"batch_size": 32, "seed": 3, "progress": False, **kw}
    return fit(model, DATA, optimizer=opt, scheduler=sched, steps=steps, **kw)


def _same_weights(a, b):
    return all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def test_fit_trains_and_records_the_history():
    model = _model("ode")
    hist = _run(model, 30, eval_fn=lambda m: accuracy(m, *DATA), eval_every=10)
    assert hist.steps == 30 and len(hist.time_s) == 30 and hist.wall_time_s > 0
    assert sum(hist.loss[-5:]) < 0.9 * sum(hist.loss[:5])
    assert hist.nfe_forward == [2 * 4] * 30 and hist.nfe_backward == [0] * 30  # rk4, 2 steps; backprop
    assert hist.eval_step == [10, 20, 30] and all(0 <= v <= 1 for v in hist.eval_value)
    assert hist.eval_value[-1] == accuracy(model, *DATA)
    assert History.from_dict(hist.as_dict()) == hist
    res = _run(_model("resnet"), 3)
    assert res.nfe_forward == [] and res.eval_step == []  # no ODE blocks, no eval_fn


@pytest.mark.skipif(importlib.util.find_spec("nodebook.adjoint") is None,
                    reason="nodebook.adjoint (Chapter 3's adjoint method) has not landed yet")
def test_fit_records_backward_evaluations_of_the_adjoint():
    torch.manual_seed(0)
    model = Classifier(ODEBlock(MLPDynamics(3, 8), rtol=1e-4, atol=1e-4, adjoint=True), hidden_dim=3)
    hist = _run(model, 3)
    assert all(b > 0 for b in hist.nfe_backward) and all(f > 0 for f in hist.nfe_forward)


def test_fit_is_deterministic_under_the_seed_and_leaves_the_caller_rng_alone():
    state = torch.get_rng_state()
    a, b, c = _model(), _model(), _model()
    torch.set_rng_state(state)
    ha, hb = _run(a, 12), _run(b, 12)
    hc = _run(c, 12, seed=4)
    assert torch.equal(torch.get_rng_state(), state)
    assert ha.loss == hb.loss and _same_weights(a, b)
    assert ha.loss != hc.loss and not _same_weights(a, c)


def test_resume_after_stopping_gives_the_uninterrupted_weights(tmp_path):
    ckpt = tmp_path / "run.pt"
    full = _model()
    h_full = _run(full, 12)
    first = _model()
    _run(first, 5, checkpoint=ckpt, checkpoint_every=2)  # "interrupted" after 5 steps (mid-epoch)
    resumed = _model(seed=9)  # a fresh process: different initial weights, fresh optimizer and scheduler
    h_res = _run(resumed, 12, checkpoint=ckpt, checkpoint_every=2)
    assert _same_weights(full, resumed) and h_res.loss == h_full.loss
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.pt", "run.pt.sha256"]  # no temporary files left
    # checkpoint-or-train: a complete run returns at once, with its weights loaded into the model
    again = _model(seed=5)
    h_again = _run(again, 12, checkpoint=ckpt, loss_fn=pytest.fail)
    assert h_again.loss == h_full.loss and _same_weights(again, full)


def test_keyboard_interrupt_saves_then_resume_matches(tmp_path, capsys):
    ckpt = tmp_path / "run.pt"
    full = _model()
    _run(full, 10)
    calls = 0

    def interrupted_loss(logits, y):
        nonlocal calls
        calls += 1
        if calls == 7:
            raise KeyboardInterrupt
        return F.cross_entropy(logits, y)

    with pytest.raises(KeyboardInterrupt):
        _run(_model(), 10, checkpoint=ckpt, loss_fn=interrupted_loss)
    assert "interrupted: saved step 6" in capsys.readouterr().err
    assert len(load_checkpoint(ckpt)["history"]["loss"]) == 6
    resumed = _model(seed=1)
    _run(resumed, 10, checkpoint=ckpt)
    assert _same_weights(full, resumed)


def test_checkpoint_file_and_sidecar(tmp_path):
    path = save_checkpoint(tmp_path / "sub" / "a.pt", {"w": torch.arange(3)})
    digest, name = sidecar(path).read_text().split()
    assert name == "a.pt" and digest == hashlib.sha256(path.read_bytes()).hexdigest()  # sha256sum format
    assert torch.equal(load_checkpoint(path)["w"], torch.arange(3))


@pytest.mark.parametrize("damage, message", [
    ("flip", r"sha256 mismatch: expected [0-9a-f]{64} \(from run.pt.sha256\), got [0-9a-f]{64}"),
    ("garbage", r"torch.load could not read it \(UnpicklingError\)"),
    ("no-sidecar", r"its checksum file run.pt.sha256 is missing"),
])
def test_corrupt_checkpoint_is_refused_and_moved_aside(tmp_path, damage, message):
    ckpt = tmp_path / "run.pt"
    _run(_model(), 4, checkpoint=ckpt)
    data = ckpt.read_bytes()
    if damage == "flip":
        ckpt.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    elif damage == "garbage":  # unreadable, with a checksum that matches it
        ckpt.write_bytes(b"not a checkpoint")
        sidecar(ckpt).write_text(hashlib.sha256(b"not a checkpoint").hexdigest() + "  run.pt\n")
    else:
        sidecar(ckpt).unlink()
    bad = ckpt.read_bytes()
    expected = rf"checkpoint .*run.pt is corrupt: {message}.* moved aside to .*run.pt.corrupt"
    with pytest.raises(CheckpointError, match=expected):
        _run(_model(), 8, checkpoint=ckpt)
    assert not ckpt.exists() and (tmp_path / "run.pt.corrupt").read_bytes() == bad
    # the next run trains from scratch; a second bad file does not overwrite the first one
    _run(_model(), 4, checkpoint=ckpt)
    ckpt.write_bytes(b"x")
    with pytest.raises(CheckpointError, match=r"moved aside to .*run.pt.corrupt.1"):
        _run(_model(), 8, checkpoint=ckpt)
    assert (tmp_path / "run.pt.corrupt").read_bytes() == bad


def test_checkpoint_of_another_run_is_refused_and_left_alone(tmp_path):
    ckpt = tmp_path / "run.pt"
    _run(_model(), 4, checkpoint=ckpt)
    data = ckpt.read_bytes()
    with pytest.raises(ValueError, match=r"written by a run with seed=3; got seed=4, so resuming would not"):
        _run(_model(), 8, checkpoint=ckpt, seed=4)
    with pytest.raises(ValueError, match=r"written by a run with batch_size=32; got batch_size=16"):
        _run(_model(), 8, checkpoint=ckpt, batch_size=16)
    with pytest.raises(ValueError, match=r"does not fit this model/optimizer/scheduler"):
        _run(_model("ode"), 8, checkpoint=ckpt)
    assert ckpt.read_bytes() == data


def test_fit_stops_on_a_non_finite_loss(tmp_path):
    with pytest.raises(FloatingPointError, match=r"the loss is nan at step 1. Try a lower learning rate"):
        _run(_model(), 3, loss_fn=lambda logits, y: logits.sum() * float("nan"))
    ckpt = tmp_path / "run.pt"
    _run(_model(), 4, checkpoint=ckpt, checkpoint_every=2)
    with pytest.raises(FloatingPointError, match=r"the loss is -?inf at step 5; .*run.pt keeps step 4"):
        _run(_model(), 8, checkpoint=ckpt, loss_fn=lambda logits, y: logits.sum() * float("inf") + 1)


def test_progress_bar_shows_the_loss(capsys):
    _run(_model(), 4, progress=True, log_every=2, desc="resnet")
    err = capsys.readouterr().err
    assert "resnet" in err and "loss=" in err and "4/4" in err


def test_accuracy_counts_correct_argmax_in_batches():
    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(()))

        def forward(self, x):  # class = 1 where the first coordinate is positive
            return torch.stack([-x[:, 0], x[:, 0]], 1) + self.w

    x = torch.tensor([[1.0], [-1.0], [2.0], [-3.0], [0.5]])
    model = Fixed()
    assert accuracy(model, x, torch.tensor([1, 0, 0, 0, 1]), batch_size=2) == pytest.approx(4 / 5)
    assert model.training  # restored


def test_fit_and_accuracy_input_errors():
    model = _model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = DATA
    with pytest.raises(TypeError, match=r"data must be a pair \(x, y\) of tensors; got a .* tensor of shape \(96, 2\)"):
        fit(model, x, optimizer=opt, steps=1, batch_size=4)
    with pytest.raises(ValueError, match=r"steps must be an int >= 1; got 0"):
        fit(model, DATA, optimizer=opt, steps=0, batch_size=4)
    with pytest.raises(ValueError, match=r"batch_size must be an int >= 1; got -4"):
        fit(model, DATA, optimizer=opt, steps=1, batch_size=-4)
    with pytest.raises(ValueError, match=r"the same number of samples; got 96 and 95"):
        fit(model, (x, y[:-1]), optimizer=opt, steps=1, batch_size=4)
    with pytest.raises(ValueError, match=r"eval_every must be an int >= 1; got 0"):
        fit(model, DATA, optimizer=opt, steps=1, batch_size=4, eval_every=0)
    with pytest.raises(ValueError, match=r"batch_size must be an int >= 1; got 0"):
        accuracy(model, x, y, batch_size=0)
    with pytest.raises(ValueError, match=r"a History needs exactly the keys .*; got dict"):
        History.from_dict({"loss": []})


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_fit_on_cuda_moves_model_and_data_and_resumes(tmp_path):
    full, part, resumed = _model(), _model(), _model(seed=1)
    cuda_state = torch.cuda.get_rng_state()
    _run(full, 8, device="cuda")
    _run(part, 3, device="cuda", checkpoint=tmp_path / "run.pt")
    resumed.cuda()  # the device is taken from the model's parameters
    _run(resumed, 8, checkpoint=tmp_path / "run.pt")
    assert next(full.parameters()).is_cuda and _same_weights(full, resumed)
    assert torch.equal(torch.cuda.get_rng_state(), cuda_state)
    assert 0 <= accuracy(full, *DATA) <= 1  # CPU data, CUDA model
