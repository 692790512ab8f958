import json

import pytest
import torch

from nodebook import results


def test_save_and_load_round_trip(tmp_path):
    metrics = {"order": {"euler": torch.tensor(0.99)}, "rows": [(1, 2.5)], "bad": float("nan")}
    path = results.save_results("ch1", metrics, mode="full", device="cpu", wall_time_s=3.14159,
                                directory=tmp_path)
    assert path == tmp_path / "ch1.json"
    record = results.load_results("ch1", directory=tmp_path)
    assert record["metrics"] == {"order": {"euler": pytest.approx(0.99)}, "rows": [[1, 2.5]], "bad": None}
    for key in ("device", "device_name", "torch", "date", "wall_time_s", "git_commit", "mode"):
        assert key in record
    assert record["wall_time_s"] == 3.14
    assert "full mode" in results.provenance(record)


def test_quick_mode_writes_its_own_file(tmp_path):
    path = results.save_results("ch1", {}, mode="quick", device="cpu", wall_time_s=1, directory=tmp_path)
    assert path.name == "ch1.quick.json"
    assert results.load_results("ch1", directory=tmp_path) is None


def test_previous_results_are_kept_not_overwritten(tmp_path):
    results.save_results("ch1", {"run": 1}, mode="full", device="cpu", wall_time_s=1, directory=tmp_path)
    results.save_results("ch1", {"run": 2}, mode="full", device="cpu", wall_time_s=1, directory=tmp_path)
    assert json.loads((tmp_path / "ch1.prev.json").read_text())["metrics"] == {"run": 1}
    assert results.load_results("ch1", directory=tmp_path)["metrics"] == {"run": 2}
    assert not list(tmp_path.glob("*.tmp"))


def test_bad_files_name_the_file(tmp_path):
    (tmp_path / "ch1.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"ch1\.json is not valid JSON"):
        results.load_results("ch1", directory=tmp_path)
    (tmp_path / "ch1.json").write_text("{}")
    with pytest.raises(ValueError, match="missing date, device, metrics"):
        results.load_results("ch1", directory=tmp_path)


def test_metrics_must_be_a_dict(tmp_path):
    with pytest.raises(TypeError, match="metrics must be a dict; got list"):
        results.save_results("ch1", [1], mode="full", device="cpu", wall_time_s=1, directory=tmp_path)


def test_provenance_of_a_benchmark_record_without_mode_or_wall_time():
    line = results.provenance({"device_name": "NVIDIA H100", "date": "2026-11-23T10:00:00Z", "torch": "2.11"})
    assert line == "on NVIDIA H100, 2026-11-23, torch 2.11, commit ?"


@pytest.mark.parametrize("chapter, variant", [("../x", None), ("ch1/../../x", None), ("/tmp/x", None),
                                              ("ch1", "../../x"), ("", None), (".hidden", None)])
def test_results_never_land_outside_the_results_folder(tmp_path, chapter, variant):
    inner = tmp_path / "results"
    with pytest.raises(ValueError, match="must be a plain name of letters, digits"):
        results.save_results(chapter, {}, mode="full", device="cpu", wall_time_s=1, directory=inner, variant=variant)
    assert not inner.exists() or list(inner.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["results"])


@pytest.mark.parametrize("content, kind", [("[1, 2]", "list"), ('"text"', "str"), ("3", "int"), ("null", "NoneType")])
def test_a_results_file_that_is_not_an_object_names_the_file(tmp_path, content, kind):
    (tmp_path / "ch1.json").write_text(content)
    with pytest.raises(ValueError, match=rf"ch1\.json is not a nodebook results file: expected a JSON object.*{kind}"):
        results.load_results("ch1", directory=tmp_path)
