"""benchmarks/examples.py compares like with like: both sides start from the same weights, see the same
batch and compute the same loss, so any time difference is the implementation, not the model."""

import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from _example_cases import cnf_case, latent_ode_case, ode_demo_case  # noqa: E402


@pytest.mark.parametrize("case", [ode_demo_case, latent_ode_case, cnf_case], ids=lambda c: c.__name__)
def test_both_sides_compute_the_same_first_loss(case):
    torch.set_num_threads(1)
    steps = case(device=torch.device("cpu"), seed=0)
    ref_loss, ref_nfe = steps["torchdiffeq"](0)
    book_loss, book_nfe = steps["nodebook"](0)
    assert ref_nfe > 0 and book_nfe > 0
    # The same model and data: the first losses differ only by the solvers' error (tolerance 1e-5 or tighter).
    assert book_loss == pytest.approx(ref_loss, rel=1e-3)
    # After one optimiser step on each side, the second losses still agree (the updates matched).
    assert steps["nodebook"](1)[0] == pytest.approx(steps["torchdiffeq"](1)[0], rel=1e-3)


@pytest.mark.parametrize("case", [latent_ode_case, cnf_case], ids=lambda c: c.__name__)
def test_the_same_algorithm_side_computes_the_example_loss(case):
    """Where the book's step is another algorithm, the third side runs the example's algorithm on the book's
    code: the same loss, so ``ratio_same_algorithm`` compares implementations only."""
    torch.set_num_threads(1)
    steps = case(device=torch.device("cpu"), seed=0)
    assert steps["same_algorithm"]
    ref_loss, _ = steps["torchdiffeq"](0)
    same_loss, same_nfe = steps["nodebook_same"](0)
    assert same_nfe > 0 and same_loss == pytest.approx(ref_loss, rel=1e-3)


def test_the_network_floor_evaluates_as_often_as_torchdiffeq_and_solves_nothing():
    """The latent ODE's floor side is the book's step without a solver: as many network evaluations as
    torchdiffeq's latest solve, so its time is what no solver can go below."""
    torch.set_num_threads(1)
    steps = latent_ode_case(device=torch.device("cpu"), seed=0)
    _, ref_nfe = steps["torchdiffeq"](0)
    _, floor_nfe = steps["network_floor"](0)
    assert floor_nfe == ref_nfe > 10


def test_the_rk4_network_floor_makes_four_evaluations_per_step():
    import solvers as bench

    func = bench.MLPDynamics(3, 8)
    counter = __import__("nodebook").NFECounter(func)
    y0, t = torch.randn(5, 3), torch.tensor([0.0, 1.0])
    out = bench.network_floor(counter, y0, t, method="rk4", options={"step_size": 0.1})
    assert counter.nfe == 40 and out.shape == (2, 5, 3) and torch.equal(out[0], y0)


def test_the_adjoint_network_floor_makes_the_adjoints_evaluations_and_fills_every_gradient():
    import solvers as bench

    func = bench.MLPDynamics(3, 8)
    counter = __import__("nodebook").NFECounter(func)
    floor = bench.adjoint_network_floor(5, 7)
    floor(counter, torch.randn(4, 3), torch.tensor([0.0, 1.0]))[-1].pow(2).sum().backward()
    assert counter.nfe == 12
    assert all(p.grad is not None and p.grad.shape == p.shape for p in func.parameters())
