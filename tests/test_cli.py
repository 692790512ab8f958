"""The command line: every user, data or OS error is one clean line and a non-zero exit, never a traceback."""

import json

import pytest
from _cli import fails_in_one_line

import nodebook as nb
from nodebook import __main__ as cli
from nodebook import results


def _fails(argv, capsys, code=None):
    return fails_in_one_line(cli.main, argv, capsys, code)


@pytest.fixture
def no_run(monkeypatch, tmp_path):
    """Experiments that must not run, and results written to a throw-away folder."""
    monkeypatch.setattr(results, "results_dir", lambda: tmp_path)
    ch1 = nb.experiments.load("ch1")
    monkeypatch.setattr(ch1, "run", lambda cfg: (_ for _ in ()).throw(AssertionError("should not run")))
    return tmp_path


@pytest.mark.parametrize("setting, message", [
    ("n_steps=8", r"--set n_steps: expected a list like the budget's \[8, 16, .*got an integer 8"),
    ("n_steps=[8, \"x\"]", r"--set n_steps: expected a list .*got a list \[8, \"x\"\]"),
    ("bench_batch=1.5", r"--set bench_batch: expected an integer like the budget's 128; got a number 1.5"),
    ("bench_batch=true", r"expected an integer .*got true/false true"),
    ("time_s=fast", r"--set time_s: expected an integer like the budget's 60; got text \"fast\""),
    ("bench_batch=null", r"expected an integer .*got null"),
    # values of the right type that make no sense
    ("bench_batch=0", r"--set bench_batch: expected an integer > 0 like the budget's 128; got 0"),
    ("bench_batch=-5", r"--set bench_batch: expected an integer > 0 like the budget's 128; got -5"),
    ("n_steps=[8, 0]", r"--set n_steps: expected integers > 0 like the budget's \[8, 16, .*; got 0"),
    ("n_steps=[]", r"--set n_steps: expected a non-empty list like the budget's \[8, 16"),
    ("tolerances=[1e-3, NaN]", r"--set tolerances: expected finite numbers like the budget's \[0.01, .*; got NaN"),
    ("tolerances=[0]", r"--set tolerances: expected numbers > 0 like the budget's \[0.01, .*; got 0"),
    ("time_s=Infinity", r"--set time_s: expected an integer like the budget's 60; got a number Infinity"),
])
def test_set_checks_the_type_and_sense_of_the_entry_it_replaces(no_run, capsys, setting, message):
    err = _fails(["reproduce", "1", "--mode", "quick", "--set", setting], capsys, code=2)
    assert err.startswith("python -m nodebook: error: ")
    assert __import__("re").search(message, err), err
    assert not list(no_run.iterdir())


def test_set_accepts_values_of_the_right_type(monkeypatch, tmp_path):
    monkeypatch.setattr(results, "results_dir", lambda: tmp_path)
    out = cli.apply_overrides({"lr": 0.1, "steps": 5, "tol": [1e-3, 1e-4], "n": None, "name": "a"},
                              {"lr": 1, "steps": 7, "tol": [1e-2], "n": 50, "name": "b"})
    assert out == {"lr": 1, "steps": 7, "tol": [1e-2], "n": 50, "name": "b"}
    # null where the other mode has null (PhysioNet: all patients in full mode)
    quick, full = nb.config.BUDGETS["ch6"]["quick"], nb.config.BUDGETS["ch6"]["full"]
    out = cli.apply_overrides(quick, {"physionet.max_patients": None}, "ch6", [full])
    assert out["physionet"]["max_patients"] is None


def test_a_data_or_os_error_in_a_run_is_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(results, "results_dir", lambda: tmp_path)
    ch1 = nb.experiments.load("ch1")

    def missing(cfg):
        raise FileNotFoundError("PhysioNet 2012 data not found: expected one file per patient in /x/set-a\n"
                                "(second line)")

    monkeypatch.setattr(ch1, "run", missing)
    err = _fails(["reproduce", "1", "--mode", "quick"], capsys, code=1)
    assert "error: FileNotFoundError: PhysioNet 2012 data not found" in err and "(second line)" in err
    monkeypatch.setattr(ch1, "run", lambda cfg: (_ for _ in ()).throw(FloatingPointError("the loss is nan")))
    assert "FloatingPointError: the loss is nan" in _fails(["reproduce", "1", "--mode", "quick"], capsys)
    with pytest.raises(FloatingPointError):  # --traceback shows the real thing
        cli.main(["reproduce", "1", "--mode", "quick", "--traceback"])


def test_bad_device_and_unknown_chapter_are_one_line(no_run, capsys, monkeypatch):
    import torch
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert "device 'mps' was asked for but is not available" in _fails(
        ["reproduce", "1", "--mode", "quick", "--device", "mps"], capsys)
    assert "unknown chapter '9'" in _fails(["reproduce", "9"], capsys)
    assert "unknown budget key 'nope'" in _fails(["reproduce", "1", "--set", "nope=1"], capsys)


def test_show_with_a_results_file_that_is_not_an_object(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(results, "results_dir", lambda: tmp_path)
    (tmp_path / "ch1.json").write_text(json.dumps([1, 2]))
    err = _fails(["show", "1"], capsys, code=2)
    assert "ch1.json is not a nodebook results file: expected a JSON object" in err


# ------------------------------------------------------------------ --set tables and values (issue 21)
def test_set_with_a_partial_table_merges_into_it():
    quick, full = nb.config.BUDGETS["ch7"]["quick"], nb.config.BUDGETS["ch7"]["full"]
    out = cli.apply_overrides(quick, {"stiff": {"mus": [1]}}, "ch7", [full])
    assert out["stiff"] == {**quick["stiff"], "mus": [1]}  # t1, tol, max_steps, repeat kept
    out = cli.apply_overrides(quick, {"stiff": {"mus": [1], "t1": 2}, "reg.lams": [0.0]}, "ch7", [full])
    assert out["stiff"]["t1"] == 2 and out["stiff"]["tol"] == quick["stiff"]["tol"] and out["reg"]["lams"] == [0.0]
    assert quick["stiff"]["mus"] == [1, 10, 100]  # the budget itself is untouched


@pytest.mark.parametrize("setting, message", [
    ('stiff={"mus": [1], "mu": 3}', r"unknown budget key 'stiff\.mu': stiff has no 'mu'; valid keys: max_steps, mus"),
    ('stiff={"mus": 1}', r"--set stiff\.mus: expected a list like the budget's \[1, 10, 100\]; got an integer 1"),
    ('stiff={"max_steps": 0}', r"--set stiff\.max_steps: expected an integer > 0 like the budget's 200000; got 0"),
])
def test_set_with_a_bad_table_names_the_entry(monkeypatch, tmp_path, capsys, setting, message):
    monkeypatch.setattr(results, "results_dir", lambda: tmp_path)
    err = _fails(["reproduce", "7", "--mode", "quick", "--set", setting], capsys, code=2)
    assert __import__("re").search(message, err), err


def test_a_table_that_replaces_a_number_must_have_every_key(capsys, no_run):
    quick, full = nb.config.BUDGETS["ch5"]["quick"], nb.config.BUDGETS["ch5"]["full"]
    message = r"--set toy_steps: a table here needs the keys of the other mode's table \(.*\); missing 2spirals, "
    with pytest.raises(ValueError, match=message + "8gaussians, checkerboard, circles, pinwheel"):
        cli.apply_overrides(quick, {"toy_steps": {"moons": 100}}, "ch5", [full])
    table = dict.fromkeys(full["toy_steps"], 10)
    assert cli.apply_overrides(quick, {"toy_steps": table}, "ch5", [full])["toy_steps"] == table
    with pytest.raises(ValueError, match=r"--set toy_steps\.moons: expected an integer > 0"):
        cli.apply_overrides(quick, {"toy_steps": {**table, "moons": 0}}, "ch5", [full])




def test_set_accepts_zero_where_zero_means_something():
    for chapter, key in [("ch3", "threads"), ("ch4", "weight_decay"), ("ch6", "spirals.kl_warmup")]:
        budgets = nb.config.BUDGETS[chapter]
        out = cli.apply_overrides(budgets["quick"], {key: 0}, chapter, [budgets["full"]])
        node = out
        for part in key.split("."):
            node = node[part]
        assert node == 0


@pytest.mark.parametrize("argv, message", [
    (["reproduce", "1", "--mode", "slow"], r"argument --mode: invalid choice: 'slow'"),
    (["reproduce", "1", "--seed", "x"], r"argument --seed: invalid int value: 'x'"),
    (["reproduce"], r"the following arguments are required: chapter"),
    (["nope"], r"argument command: invalid choice: 'nope'"),
])
def test_argument_errors_are_one_line(capsys, argv, message):
    err = _fails(argv, capsys, code=2)
    assert err.startswith("python -m nodebook") and __import__("re").search(message, err), err


# ------------------------------------------------------- the book's build steps are not in the package (issue 25)
@pytest.mark.parametrize("command, target", [("notebooks", "make notebooks"), ("pdf", "make pdf")])
def test_the_book_build_commands_say_where_they_went(command, target, capsys):
    """`notebooks` and `pdf` were subcommands while the book's tooling shipped in the package: now one line
    that names the make target and the tooling's own command, not argparse's bare 'invalid choice'."""
    err = _fails([command, "--out", "x"], capsys, code=2)
    assert err.startswith(f"python -m nodebook: error: {command!r} is a step of the book's build, not part of the "
                          "installed package")
    assert f"`{target}`" in err and f"`PYTHONPATH=book/_tools python -m nodebook_build {command}`" in err


def test_help_lists_only_the_packages_own_commands(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["-h"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and "reproduce" in out and "show" in out
    assert "notebooks" not in out and "pdf" not in out
