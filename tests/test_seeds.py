"""Seeds: statistics over seeds, the merged record, and ``reproduce --seeds`` (processes, resume, failures)."""

import json
import math
import sys

import pytest

import nodebook as nb
from nodebook import __main__ as cli
from nodebook import _seeds_cli
from nodebook.seeds import Stat, lookup, merge, numeric_leaves, stat, stat_of


def test_stat_of_is_the_mean_and_standard_error_of_the_mean():
    s = stat_of([1.0, 2.0, 3.0])
    assert (s.mean, s.n, s.values) == (2.0, 3, (1.0, 2.0, 3.0))
    assert s.se == pytest.approx(1.0 / math.sqrt(3))  # sd 1 (ddof=1) over sqrt(3)
    one = stat_of([0.5])
    assert one.n == 1 and math.isnan(one.se)
    with pytest.raises(ValueError, match="at least one value"):
        stat_of([])
    with pytest.raises(ValueError, match="expects numbers.*True"):
        stat_of([True, 1.0])


def _record(metrics, seed=0, commit="abc"):
    return {"chapter": "ch9", "mode": "full", "device": "cpu", "date": "2026-01-01T00:00:00Z",
            "git_commit": commit, "wall_time_s": 1.0, "seed": seed, "budget": {"n": 1}, "metrics": metrics}


def test_merge_keeps_seed_0_as_metrics_and_summarises_numbers_present_in_every_seed():
    per = [{"models": {"a": {"acc": 0.9 + i / 100, "ok": True}}, "only0": 1.0 if i == 0 else "x",
            "rows": [{"nfe": 10 + i}], "curve": list(range(100)), "short": [1.0, 2.0 + i]} for i in range(3)]
    merged = merge([_record(m, i) for i, m in enumerate(per)], [0, 1, 2])
    assert merged["metrics"] == per[0]  # seed 0's metrics exactly, as a single run writes them
    assert "seed" not in merged and "budget" not in merged
    s = merged["seeds"]
    assert s["n"] == 3 and s["seeds"] == [0, 1, 2] and s["per_seed"] == per
    summ = s["summary"]
    assert summ["models.a.acc"]["values"] == [0.9, 0.91, 0.92]
    assert summ["models.a.acc"]["mean"] == pytest.approx(0.91)
    assert summ["rows.0.nfe"]["n"] == 3 and "short.1" in summ
    assert "models.a.ok" not in summ  # bools are not numbers
    assert "only0" not in summ  # not a number in every seed
    assert not any(k.startswith("curve") for k in summ)  # long lists are curves, kept per seed only
    with pytest.raises(ValueError, match="git_commit differs"):
        merge([_record(per[0], 0, "abc"), _record(per[1], 1, "def")], [0, 1])


def test_stat_reads_a_merged_record_a_single_record_and_a_quick_run_alike():
    per = [{"m": {"acc": v}} for v in (0.90, 0.92, 0.94)]
    merged = merge([_record(m, i) for i, m in enumerate(per)], [0, 1, 2])
    s = stat(merged, "m.acc")
    assert s.n == 3 and s.mean == pytest.approx(0.92) and s.se == pytest.approx(0.02 / math.sqrt(3))
    assert stat(merged, "metrics.m.acc") == s
    single = stat(_record({"m": {"acc": 0.5}}), "m.acc")
    assert single.n == 1 and single.mean == 0.5 and math.isnan(single.se)
    quick = stat({"m": {"acc": 0.7}}, "m.acc")  # a quick run's metrics, not wrapped
    assert quick.n == 1 and quick.mean == 0.7
    with pytest.raises(KeyError, match="'m.nope'.*m has no 'nope'"):
        stat(merged, "m.nope")
    assert isinstance(s, Stat) and "3 seeds" in str(s)


def test_numeric_leaves_and_lookup_index_lists():
    tree = {"rows": [{"a": 1}, {"a": 2.5}], "flag": False, "name": "x", "nan": None}
    assert numeric_leaves(tree) == {"rows.0.a": 1.0, "rows.1.a": 2.5}
    assert lookup(tree, "rows.1.a") == 2.5


# ------------------------------------------------------------------------------------------- processes
FAKE = r"""
import json, os, sys, time
args = sys.argv[1:]
seed, out = int(args[args.index("--seed") + 1]), args[args.index("--partial") + 1]
with open(os.environ["FAKE_LOG"], "a") as fh:
    fh.write(f"{seed} {os.environ.get('OMP_NUM_THREADS')}\n")
if str(seed) in os.environ.get("FAKE_FAIL", "").split(","):
    print("boom: the data file is missing")
    sys.exit(3)
rec = {"chapter": "ch1", "mode": "quick", "device": "cpu", "date": "2026-01-01T00:00:00Z",
       "git_commit": os.environ["FAKE_COMMIT"], "wall_time_s": 1.0, "seed": seed,
       "budget": json.loads(os.environ["FAKE_BUDGET"]), "metrics": {"acc": 0.5 + seed / 10, "curve": [1, 2]}}
json.dump(rec, open(out, "w"))
"""


@pytest.fixture
def fake_children(monkeypatch, tmp_path):
    """Seeds run a tiny script that writes a partial record (or fails for the seeds in FAKE_FAIL)."""
    script = tmp_path / "fake.py"
    script.write_text(FAKE)
    monkeypatch.setenv("NODEBOOK_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("FAKE_LOG", str(tmp_path / "calls.txt"))
    monkeypatch.setenv("FAKE_COMMIT", nb.results.git_commit())
    budget = nb.config.BUDGETS["ch1"]["quick"]
    monkeypatch.setenv("FAKE_BUDGET", json.dumps(budget))
    real = _seeds_cli._child_command
    monkeypatch.setattr(_seeds_cli, "_child_command",
                        lambda *a, **k: [sys.executable, str(script), *real(*a, **k)[3:]])
    monkeypatch.setattr(_seeds_cli, "POLL_S", 0.05)

    def calls():
        path = tmp_path / "calls.txt"
        return sorted(path.read_text().split("\n")[:-1]) if path.exists() else []
    return tmp_path / "results", calls


def test_seeds_run_as_processes_and_merge_into_one_file(fake_children, capsys):
    out, calls = fake_children
    cli.main(["reproduce", "ch1", "--mode", "quick", "--seeds", "3", "--jobs", "2"])
    threads = max(1, (__import__("os").cpu_count() or 1) // 2)
    assert calls() == [f"{k} {threads}" for k in range(3)]
    rec = json.loads((out / "ch1.quick.json").read_text())
    assert rec["metrics"] == {"acc": 0.5, "curve": [1, 2]}
    assert rec["seeds"]["n"] == 3 and rec["seeds"]["summary"]["acc"]["values"] == [0.5, 0.6, 0.7]
    assert rec["processes"] == 2 and rec["threads"] == threads
    assert (out / ".seeds" / "ch1.quick" / "seed-2.log").exists()


def test_a_rerun_reuses_finished_seeds_and_runs_only_the_missing(fake_children, monkeypatch):
    out, calls = fake_children
    monkeypatch.setenv("FAKE_FAIL", "1")
    with pytest.raises(SystemExit):
        cli.main(["reproduce", "ch1", "--mode", "quick", "--seeds", "3", "--jobs", "1"])
    assert not (out / "ch1.quick.json").exists()  # not merged
    monkeypatch.setenv("FAKE_FAIL", "")
    cli.main(["reproduce", "ch1", "--mode", "quick", "--seeds", "3"])
    runs = [c.split()[0] for c in calls()]
    assert sorted(runs) == ["0", "1", "1", "2"]  # seeds 0 and 2 were reused, seed 1 re-run
    rec = json.loads((out / "ch1.quick.json").read_text())
    assert rec["seeds"]["reused"] == [0, 2]


def test_a_partial_of_another_budget_is_not_reused(fake_children):
    out, calls = fake_children
    cli.main(["reproduce", "ch1", "--mode", "quick", "--seeds", "2"])
    # a --set run keeps its partials apart, and a partial whose budget differs is never taken
    assert _seeds_cli.reusable(out / ".seeds" / "ch1.quick" / "seed-0.json", seed=0, mode="quick", device="cpu",
                               budget={"other": 1}, commit=nb.results.git_commit()) is None
    assert _seeds_cli.reusable(out / ".seeds" / "ch1.quick" / "seed-0.json", seed=1, mode="quick", device="cpu",
                               budget=nb.config.BUDGETS["ch1"]["quick"], commit=nb.results.git_commit()) is None


def test_a_failed_seed_is_named_with_its_log(fake_children, monkeypatch, capsys):
    out, _ = fake_children
    monkeypatch.setenv("FAKE_FAIL", "1")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["reproduce", "ch1", "--mode", "quick", "--seeds", "2"])
    assert exit_.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    log = out / ".seeds" / "ch1.quick" / "seed-1.log"
    assert "seed 1 failed (exit status 3)" in err and str(log) in err and "boom: the data file is missing" in err
    assert (out / ".seeds" / "ch1.quick" / "seed-0.json").exists()


@pytest.mark.parametrize("argv, message", [
    (["--seeds", "0"], "--seeds must be a positive integer"),
    (["--seeds", "3", "--seed", "2"], "--seeds 3 runs seeds 0..2; got --seed 2"),
    (["--jobs", "2"], "--seeds must be a positive integer"),
    (["--seeds", "2", "--jobs", "0"], "--jobs must be a positive integer"),
])
def test_bad_seed_arguments_are_one_line(fake_children, capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["reproduce", "ch1", "--mode", "quick", *argv])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_chapter_checkpoints_are_per_seed():
    """A seed killed mid-training resumes its own checkpoint, never another seed's."""
    from nodebook.experiments.ch4.table import _checkpoint as ch4
    from nodebook.experiments.ch5._common import _checkpoint as ch5
    from nodebook.experiments.ch6._common import checkpoint_path as ch6

    def cfg(chapter, seed):
        return nb.config.Config(chapter=chapter, mode="full", device=nb.config.resolve_device("cpu"),
                                dtype=__import__("torch").float32, seed=seed,
                                budget=dict(nb.config.BUDGETS[chapter]["full"]))
    assert ch4("odenet", cfg("ch4", 0)) != ch4("odenet", cfg("ch4", 1))
    assert ch5("toy", cfg("ch5", 0)) != ch5("toy", cfg("ch5", 1))
    assert ch6(cfg("ch6", 0), "spirals", "x") != ch6(cfg("ch6", 1), "spirals", "x")


def test_a_real_chapter_runs_as_two_seeds(tmp_path, monkeypatch):
    """End to end: chapter 1's quick run as two seed processes, merged; seed 0's metrics as a single run."""
    monkeypatch.setenv("NODEBOOK_RESULTS", str(tmp_path))
    cli.main(["reproduce", "ch1", "--mode", "quick", "--seeds", "2", "--jobs", "2"])
    rec = json.loads((tmp_path / "ch1.quick.json").read_text())
    part = json.loads((tmp_path / ".seeds" / "ch1.quick" / "seed-0.json").read_text())
    assert rec["metrics"] == part["metrics"] and rec["seeds"]["per_seed"][0] == part["metrics"]
    assert stat(rec, "order.rk4").n == 2


def test_seed_note_says_a_sentence_is_made_from_seed_0_of_a_merged_run():
    from nodebook.seeds import seed_note

    per = [{"x": float(i)} for i in range(3)]
    assert seed_note(merge([_record(m, i) for i, m in enumerate(per)], [0, 1, 2])) == " (seed 0 of 3)"
    assert seed_note(_record({"x": 1.0})) == "" and seed_note({"x": 1.0}) == ""


def test_a_seed_from_other_code_is_not_merged_and_the_error_says_why(fake_children, monkeypatch, capsys):
    """Code committed or edited while the seeds ran: their records carry another commit, and the merge
    refuses, naming the seed, the field and both values."""
    out, _ = fake_children
    monkeypatch.setenv("FAKE_COMMIT", "0123456789ab")
    with pytest.raises(SystemExit):
        cli.main(["reproduce", "ch1", "--mode", "quick", "--seeds", "2"])
    err = capsys.readouterr().err
    assert "seed 0 finished but" in err and 'its git_commit is "0123456789ab"' in err
    assert not (out / "ch1.quick.json").exists()


def test_a_single_run_records_the_commit_it_started_from(monkeypatch, tmp_path):
    """The commit is read before the experiments run, so an edit during a long run cannot relabel it."""
    monkeypatch.setenv("NODEBOOK_RESULTS", str(tmp_path))
    calls = iter(["aaaa", "bbbb"])
    monkeypatch.setattr(cli, "git_commit", lambda: next(calls))
    ch1 = nb.experiments.load("ch1")
    monkeypatch.setattr(ch1, "run", lambda cfg: {"x": 1.0})
    cli.main(["reproduce", "ch1", "--mode", "quick", "--seed", "3"])
    rec = json.loads((tmp_path / "ch1.quick.json").read_text())
    assert rec["git_commit"] == "aaaa" and rec["seed"] == 3 and rec["processes"] == 1
