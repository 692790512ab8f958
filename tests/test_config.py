"""nodebook.config: the one place that decides mode, device, dtype, seed and budget."""

import random

import numpy as np
import pytest
import torch

from nodebook import config


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """Each test starts without the two switches set, whatever the shell running pytest has."""
    monkeypatch.delenv("NODEBOOK_MODE", raising=False)
    monkeypatch.delenv("NODEBOOK_DEVICE", raising=False)


# --- mode ---------------------------------------------------------------------------------------


def test_mode_defaults_to_quick():
    assert config.resolve_mode() == "quick"


@pytest.mark.parametrize(("env", "expected"), [("quick", "quick"), ("full", "full"), (" FULL ", "full")])
def test_mode_from_environment(monkeypatch, env, expected):
    monkeypatch.setenv("NODEBOOK_MODE", env)
    assert config.resolve_mode() == expected


def test_explicit_mode_overrides_environment(monkeypatch):
    monkeypatch.setenv("NODEBOOK_MODE", "full")
    assert config.resolve_mode("quick") == "quick"
    assert config.setup("ch1", mode="quick", verbose=False).mode == "quick"
    assert config.setup("ch1", verbose=False).mode == "full"


def test_bad_mode_names_the_source_and_the_choices(monkeypatch):
    with pytest.raises(ValueError, match=r"^mode must be one of quick, full; got 'fast'$"):
        config.resolve_mode("fast")
    monkeypatch.setenv("NODEBOOK_MODE", "paper")
    with pytest.raises(ValueError, match=r"^NODEBOOK_MODE must be one of quick, full; got 'paper'$"):
        config.setup("ch1", verbose=False)


# --- device -------------------------------------------------------------------------------------


def test_device_default_is_cuda_when_available_else_cpu():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert config.resolve_device().type == expected


def test_device_explicit_and_from_environment(monkeypatch):
    assert config.resolve_device("cpu") == torch.device("cpu")
    assert config.resolve_device(torch.device("cpu")) == torch.device("cpu")
    monkeypatch.setenv("NODEBOOK_DEVICE", "cpu")
    assert config.resolve_device() == torch.device("cpu")
    assert config.setup("ch1", verbose=False).device == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("how", ["argument", "environment"])
def test_cuda_asked_for_but_unavailable(monkeypatch, how):
    match = r"device 'cuda:1' was asked for but CUDA is not available here; use 'cpu'"
    if how == "environment":
        monkeypatch.setenv("NODEBOOK_DEVICE", "cuda:1")
        with pytest.raises(ValueError, match=match):
            config.setup("ch1", verbose=False)
    else:
        with pytest.raises(ValueError, match=match):
            config.resolve_device("cuda:1")


def test_bad_device_string():
    with pytest.raises(ValueError, match=r"device must be a torch device string such as 'cpu' or 'cuda'; got 'gpu'"):
        config.resolve_device("gpu")


# --- dtype and seed -----------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_is_recorded(dtype):
    assert config.setup("ch1", dtype=dtype, verbose=False).dtype == dtype


def test_bad_dtype():
    with pytest.raises(ValueError, match=r"dtype must be torch.float32 or torch.float64; got torch.int64"):
        config.setup("ch1", dtype=torch.int64, verbose=False)


def draws():
    # the legacy global NumPy generator is what np.random.seed seeds (and what older code draws from)
    return random.random(), float(np.random.rand()), float(torch.rand(()))  # noqa: NPY002


def test_seeding_makes_every_generator_reproducible():
    config.seed_everything(123)
    first = draws()
    config.seed_everything(123)
    assert draws() == first
    config.seed_everything(124)
    assert all(a != b for a, b in zip(draws(), first, strict=True))


def test_setup_seeds_all_generators():
    config.setup("ch1", seed=7, verbose=False)
    first = draws()
    config.setup("ch1", seed=7, verbose=False)
    assert draws() == first


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0"])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match=r"seed must be a non-negative int; got"):
        config.seed_everything(seed)


# --- chapters and budgets -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ch1", "1", "01", " 1 ", "01_odes_and_solvers", "01_odes_and_solvers.md"])
def test_chapter_names_resolve(name):
    assert config.resolve_chapter(name) == "ch1"


@pytest.mark.parametrize("name", ["ch99", "99", "odes", ""])
def test_unknown_chapter_lists_the_known_ones(name):
    with pytest.raises(ValueError, match=rf"unknown chapter {name!r}; expected one of ch1"):
        config.setup(name, verbose=False)


@pytest.mark.parametrize("mode", config.MODES)
def test_budget_is_the_chapters_row_for_the_mode(mode):
    cfg = config.setup("1", mode=mode, verbose=False)
    assert cfg.chapter == "ch1"
    assert cfg.budget == config.BUDGETS["ch1"][mode]
    assert cfg.quick == (mode == "quick")
    cfg.budget["time_s"] = -1  # a chapter changing its copy must not change the table
    assert config.BUDGETS["ch1"][mode]["time_s"] > 0


def test_quick_budget_is_smaller_than_full():
    quick, full = config.BUDGETS["ch1"]["quick"], config.BUDGETS["ch1"]["full"]
    assert quick["time_s"] <= 60 < full["time_s"]
    assert max(quick["n_steps"]) < max(full["n_steps"])
    assert quick["bench_batch"] >= 128


def test_every_budgeted_chapter_has_both_modes_and_a_source():
    for key, rows in config.BUDGETS.items():
        assert set(rows) == set(config.MODES)
        assert key in config.CHAPTERS


# --- what setup prints --------------------------------------------------------------------------


def test_setup_prints_one_summary_line(capsys):
    cfg = config.setup("ch1", mode="quick", device="cpu", dtype=torch.float64, seed=3)
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert out.strip() == cfg.summary()
    assert out.startswith(
        "nodebook · ch1 · mode=quick · device=cpu · dtype=float64 · seed=3 · torch " + torch.__version__)


def test_setup_quiet(capsys):
    config.setup("ch1", verbose=False)
    assert capsys.readouterr().out == ""


def test_elapsed_counts_from_setup():
    cfg = config.setup("ch1", verbose=False)
    first = cfg.elapsed()
    assert 0 <= first <= cfg.elapsed()


def test_cache_dir_follows_the_environment_and_is_created(tmp_path, monkeypatch):
    monkeypatch.setenv("NODEBOOK_CACHE", str(tmp_path / "c"))
    path = config.cache_dir("hopper")
    assert path == tmp_path / "c" / "hopper" and path.is_dir()
    monkeypatch.delenv("NODEBOOK_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config.cache_dir() == tmp_path / "home" / ".cache" / "nodebook"


def test_seeded_builds_the_same_module_and_leaves_the_callers_random_state_alone():
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    with config.seeded(7):
        a = torch.nn.Linear(3, 2).weight.detach().clone()
    with config.seeded(7):
        b = torch.nn.Linear(3, 2).weight.detach().clone()
    assert torch.equal(a, b)
    assert torch.equal(torch.rand(3), before)  # as if the seeded blocks had not run


def test_one_cpu_thread_on_cpu_only():
    with config.torch_threads(2):  # the tests run on one thread: start from two to see a change
        with config.one_cpu_thread("cpu"):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2


def test_a_nested_budget_entry_changed_by_a_chapter_does_not_leak_into_the_next_setup():
    cfg = config.setup("ch6", mode="quick", plots=False, verbose=False)
    cfg.budget["spirals"]["steps"] = 1
    cfg.budget["spirals"]["n_obs"].append(999)
    again = config.setup("ch6", mode="quick", plots=False, verbose=False)
    assert again.budget["spirals"]["steps"] == config.BUDGETS["ch6"]["quick"]["spirals"]["steps"] != 1
    assert 999 not in again.budget["spirals"]["n_obs"] and 999 not in config.BUDGETS["ch6"]["quick"]["spirals"]["n_obs"]


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_mps_asked_for_on_a_machine_without_it_is_refused(monkeypatch, how):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    if how == "environment":
        monkeypatch.setenv("NODEBOOK_DEVICE", "mps")
    with pytest.raises(ValueError, match="device 'mps' was asked for but is not available on this machine"):
        config.resolve_device("mps" if how == "argument" else None)


def test_a_cuda_index_beyond_the_devices_is_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(ValueError, match=r"'cuda:3' was asked for but this machine has 1 CUDA device"):
        config.resolve_device("cuda:3")
