"""nodebook.measure.peak_memory against allocations whose size is known exactly."""

from __future__ import annotations

import pytest
import torch

from nodebook import peak_memory

MIB = 2**20


def floats(nbytes: int) -> torch.Tensor:
    return torch.ones(nbytes // 4, dtype=torch.float32)  # written, not only reserved


def test_one_allocation_is_counted_exactly():
    assert peak_memory(lambda: floats(3 * MIB), "cpu") == 3 * MIB


def test_tensors_alive_together_add_up_and_freed_ones_do_not():
    def together():
        a = floats(1 * MIB)
        b = floats(2 * MIB)
        return a, b

    def one_after_the_other():
        floats(1 * MIB)
        floats(2 * MIB)

    assert peak_memory(together, "cpu") == 3 * MIB
    assert peak_memory(one_after_the_other, "cpu") == 2 * MIB


def test_memory_alive_before_the_call_is_not_counted():
    kept = floats(8 * MIB)  # noqa: F841  (the model and inputs, say)
    assert peak_memory(lambda: floats(1 * MIB), "cpu") == 1 * MIB


def test_backprop_keeps_every_steps_activations():
    """n steps of y ← y + tanh(y W) keep each step's tanh output for backward: n · batch · width · 4 bytes."""
    w = torch.randn(64, 64, requires_grad=True)
    x = torch.randn(128, 64)

    def steps(n):
        def run():
            y = x
            for _ in range(n):
                y = y + torch.tanh(y @ w)
            y.sum().backward()
        return run

    per_step = 128 * 64 * 4
    grown = peak_memory(steps(50), "cpu") - peak_memory(steps(10), "cpu")
    # tanh keeps its output and matmul its input, for every step: 2 tensors of batch × width floats.
    assert grown == pytest.approx(40 * 2 * per_step, rel=0.1)


def test_warmup_runs_the_function_once_more():
    calls = []
    peak_memory(lambda: calls.append(1), "cpu")
    peak_memory(lambda: calls.append(1), "cpu", warmup=False)
    assert len(calls) == 3


def test_errors():
    with pytest.raises(ValueError, match="measures 'cpu' or 'cuda' devices; got 'meta'"):
        peak_memory(lambda: None, "meta")
    with pytest.raises(TypeError, match="fn must be a zero-argument callable; got int"):
        peak_memory(3, "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available here"):
            peak_memory(lambda: None, "cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_allocation_is_counted():
    def run():
        return torch.ones(MIB // 4, device="cuda")

    assert peak_memory(run, "cuda") == MIB
