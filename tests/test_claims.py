"""Claims as checks: every committed results file supports its chapter's sentences, a contradicting file fails
with the chapter, the sentence and the numbers, and a failing claim fails a chapter's execution (the build)."""

import copy
import json
import math

import pytest

import nodebook as nb
from nodebook.claims import ClaimError, as_record, claim, compare, evaluate, registered, require
from nodebook.config import CHAPTERS
from nodebook.results import load_results, results_dir
from nodebook.seeds import stat_of


@pytest.mark.parametrize("chapter", list(CHAPTERS))
def test_every_claim_holds_on_the_committed_reference_run(chapter):
    record = load_results(chapter)
    if record is None:
        pytest.skip(f"no results/{chapter}.json committed")
    sentences = evaluate(chapter, record)
    assert set(sentences) == set(registered(chapter))
    assert all(isinstance(s, str) and s for s in sentences.values())


def _flipped(chapter, tmp_path, change):
    """A copy of the committed results file with ``change(metrics)`` applied, read back from ``tmp_path``."""
    record = json.loads((results_dir() / f"{chapter}.json").read_text())
    change(record["metrics"])
    if record.get("seeds"):  # a merged run: the same number in every seed, and the summary made again
        from nodebook.seeds import summarize

        for m in record["seeds"]["per_seed"]:
            change(m)
        record["seeds"]["summary"] = summarize(record["seeds"]["per_seed"])
    (tmp_path / f"{chapter}.json").write_text(json.dumps(record))
    return load_results(chapter, directory=tmp_path)


def _set(path, value):
    """Set ``metrics[path]`` (dotted; ``-1`` is a list's last entry) to ``value``."""
    def change(m):
        node, parts = m, path.split(".")
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[int(parts[-1]) if isinstance(node, list) else parts[-1]] = value
    return change


def _flips():
    """Every chapter's ``FLIPS`` (in ``nodebook/experiments/<chapter>/claims.py``): one claim per entry made
    false by one number in a copy of the chapter's results file."""
    import importlib

    out = []
    for chapter in CHAPTERS:
        try:
            module = importlib.import_module(f"nodebook.experiments.{chapter}.claims")
        except ModuleNotFoundError:
            continue
        out += [pytest.param(chapter, *flip, id=f"{chapter}-{flip[0]}") for flip in getattr(module, "FLIPS", [])]
    return out


@pytest.mark.parametrize("chapter", list(CHAPTERS))
def test_every_chapter_with_claims_shows_one_can_fail(chapter):
    if registered(chapter):
        assert any(p.values[0] == chapter for p in _flips()), f"{chapter}'s claims.py needs FLIPS"


@pytest.mark.parametrize("chapter, key, path, value, shown", _flips())
def test_a_results_file_that_contradicts_a_claim_fails_naming_chapter_sentence_and_numbers(
        chapter, key, path, value, shown, tmp_path):
    assert key in registered(chapter)
    if load_results(chapter) is None:
        pytest.skip(f"no results/{chapter}.json committed")
    evaluate(chapter, load_results(chapter))  # holds on the committed file
    record = _flipped(chapter, tmp_path, _set(path, value))
    with pytest.raises(ClaimError) as err:
        evaluate(chapter, record)
    text = str(err.value)
    assert chapter in text and repr(key) in text and shown in text, text
    failing = {f.key: f for f in err.value.failures}
    assert key in failing and failing[key].sentence in text and failing[key].numbers


def test_evaluate_lists_every_failing_claim_and_a_claim_that_cannot_read_its_numbers():
    @claim("ch_test", "a")
    def a(record):
        return require(record["metrics"]["x"] > 1, "x is above 1 (x = {x})", x=record["metrics"]["x"])

    @claim("ch_test", "b")
    def b(record):
        return require(record["metrics"]["y"] < 0, "y is negative", y=record["metrics"]["y"])

    @claim("ch_test", "c")
    def c(record):
        return f"z is {record['metrics']['z']}"

    assert evaluate("ch_test", {"x": 2, "y": -1, "z": 0}) == {"a": "x is above 1 (x = 2)", "b": "y is negative",
                                                           "c": "z is 0"}
    with pytest.raises(ClaimError) as err:
        evaluate("ch_test", {"x": 0, "y": 1})
    assert [f.key for f in err.value.failures] == ["a", "b", "c"]
    text = str(err.value)
    assert "3 claim(s) of ch_test" in text and "x is above 1 (x = 0)" in text and "y=1" in text
    assert "could not be evaluated: KeyError" in text


def test_compare_decides_only_beyond_two_standard_errors_and_with_three_seeds():
    a, b = stat_of([0.95, 0.96, 0.97]), stat_of([0.90, 0.91, 0.92])
    v = compare(a, b)
    assert v.outcome == "better" and v.phrase == "better" and v.decided
    assert compare(b, a).outcome == "worse"
    assert compare(b, a, higher_is_better=False).outcome == "better"
    close = compare(stat_of([0.95, 0.96, 0.97]), stat_of([0.955, 0.965, 0.975]))
    assert close.outcome == "indistinguishable" and close.phrase == "indistinguishable at this scale"
    one = compare(stat_of([0.99]), stat_of([0.5]))
    assert one.outcome == "one seed" and one.phrase == "one seed: no verdict" and math.isnan(one.margin)
    assert compare(stat_of([1, 2]), stat_of([5, 6])).phrase == "2 seeds: no verdict"
    assert "3 seeds" in v.numbers
    with pytest.raises(TypeError, match="two Stat"):
        compare(0.5, b)


def test_as_record_wraps_a_quick_runs_metrics():
    assert as_record({"x": 1}) == {"metrics": {"x": 1}, "mode": "quick"}
    rec = {"metrics": {"x": 1}, "date": "d"}
    assert as_record(rec) is rec
    with pytest.raises(TypeError, match="results record"):
        as_record([1])


def test_a_failing_claim_fails_the_chapter_execution_and_so_the_build(tmp_path):
    """The book executes chapters with ``allow_errors: false``: a cell raising ClaimError stops the build."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    import yaml

    from nodebook.results import repo_root

    config = yaml.safe_load((repo_root() / "_config.yml").read_text())
    assert config["execute"]["allow_errors"] is False
    record = copy.deepcopy(load_results("ch1"))
    record.pop("seeds", None)  # a single-seed record: the flipped number is the one the claim reads
    record["metrics"]["order"]["rk4"] = 3.5
    (tmp_path / "ch1.json").write_text(json.dumps(record))
    cell = ("import nodebook as nb\nfrom nodebook.results import load_results\n"
            f"full = load_results('ch1', directory={str(tmp_path)!r})\n"
            "for k, s in nb.claims.evaluate('ch1', full).items():\n    print(k, s)\n")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    with pytest.raises(nbclient.exceptions.CellExecutionError) as err:
        nbclient.NotebookClient(notebook, timeout=120, allow_errors=False).execute()
    assert "ClaimError" in str(err.value) and "ch1 claim 'orders'" in str(err.value)


def test_nb_exposes_claims_and_seeds():
    assert nb.claims.evaluate is evaluate and callable(nb.seeds.stat)
