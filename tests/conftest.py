"""Shared test set-up."""

import sys
from pathlib import Path

import pytest
import torch

# The book's build tooling (nodebook_build: learner notebooks, slides, PDF) lives beside the book, not in the
# installed package; the tests import it from there, as the book's build does (book/_ext/nodebook_course.py).
BOOK_TOOLS = str(Path(__file__).resolve().parents[1] / "book" / "_tools")
if BOOK_TOOLS not in sys.path:
    sys.path.insert(0, BOOK_TOOLS)


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    # The tests use tiny tensors: on a busy 2-core machine a second intra-op thread costs far more than
    # it gives (measured: tiny training steps 4-45x slower), and timing noise is what makes tests flaky.
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    # Data caches written by tests (generated Hopper trajectories, fixture files) go to a throw-away folder,
    # never into the reader's ~/.cache/nodebook.
    mp = pytest.MonkeyPatch()
    mp.setenv("NODEBOOK_CACHE", str(tmp_path_factory.mktemp("nodebook-cache")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def non_editable_install(tmp_path_factory):
    """The package installed with `uv pip install .` from a copy of the repository into a fresh venv, once per
    test run (tests/_install.py)."""
    from _install import install

    return install(tmp_path_factory.mktemp("install"))
