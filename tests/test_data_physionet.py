"""PhysioNet 2012 reader on files written here in the Challenge's format."""

import pytest
import torch

from nodebook.data import collate, load_physionet
from nodebook.data.physionet import PARAMS, TIME_SERIES, read_outcomes, read_patient, write_example

PATIENT = """Time,Parameter,Value
00:00,RecordID,132539
00:00,Age,54
00:00,Gender,0
00:00,Height,-1
00:00,ICUType,4
00:00,Weight,-1
00:07,GCS,15
00:07,HR,73
00:37,HR,77
00:37,HR,79
01:30,Temp,36.5
47:59,Urine,-1
"""


def _write(folder, text=PATIENT, name="132539.txt", outcomes=None):
    (folder / "set-a").mkdir(parents=True, exist_ok=True)
    (folder / "set-a" / name).write_text(text)
    if outcomes is not None:
        (folder / "Outcomes-a.txt").write_text(outcomes)
    return folder / "set-a" / name


def test_lists_rubanovas_41_features():
    assert len(TIME_SERIES) == 36 and len(PARAMS) == 41 and len(set(PARAMS)) == 41
    assert PARAMS[:5] == ("Age", "Gender", "Height", "ICUType", "Weight") and "RecordID" not in PARAMS


def test_a_patient_file_becomes_hours_values_and_masks(tmp_path):
    r = read_patient(_write(tmp_path))
    assert r.id == 132539
    assert torch.allclose(r.times, torch.tensor([0.0, 7 / 60, 37 / 60, 1.5], dtype=torch.float64))
    col = {name: j for j, name in enumerate(PARAMS)}
    assert r.values.shape == r.mask.shape == (4, 41)
    assert r.values[0, col["Age"]] == 54 and r.values[0, col["ICUType"]] == 4
    assert r.mask[0, col["Gender"]] == 1 and r.values[0, col["Gender"]] == 0  # an observed 0
    assert r.mask[:, col["Height"]].sum() == 0 and r.mask[:, col["Weight"]].sum() == 0  # -1 means missing
    assert r.values[1, col["HR"]] == 73 and r.values[2, col["HR"]] == 78  # two readings at 00:37: averaged
    assert r.values[3, col["Temp"]] == 36.5 and r.mask[:, col["Urine"]].sum() == 0
    assert r.mask.sum() == 3 + 2 + 1 + 1  # descriptors, GCS and HR, HR, Temp
    assert (r.values[r.mask == 0] == 0).all()
    assert r.static == {"Age": 54.0, "Gender": 0.0, "ICUType": 4.0}


def test_quantization_and_feature_choice(tmp_path):
    r = read_patient(_write(tmp_path), features=("HR", "Temp"), quantization=0.1)
    assert torch.allclose(r.times, torch.tensor([0.1, 0.6, 1.5], dtype=torch.float64))
    assert torch.equal(r.values, torch.tensor([[73.0, 0.0], [78.0, 0.0], [0.0, 36.5]]))
    with pytest.raises(ValueError, match=r"features must be names from PARAMS .* got unknown \['Pulse'\]"):
        read_patient(_write(tmp_path), features=("HR", "Pulse"))


@pytest.mark.parametrize("bad, line, message", [
    ("Time,Param,Value", 1, "expected the header 'Time,Parameter,Value'"),
    ("00:07,HR", 8, "expected 3 comma-separated fields"),
    ("0:7x,HR,73", 8, "expected a time HH:MM"),
    ("00:61,HR,73", 8, "expected a time HH:MM"),
    ("00:07,Pulse,73", 8, "expected a parameter from DESCRIPTORS or TIME_SERIES; got 'Pulse'"),
    ("00:07,HR,seventy", 8, "expected a number as Value; got 'seventy'"),
])
def test_malformed_lines_name_the_file_and_line(tmp_path, bad, line, message):
    lines = PATIENT.splitlines()
    lines[line - 1] = bad
    path = _write(tmp_path, "\n".join(lines))
    with pytest.raises(ValueError, match=f"132539.txt, line {line}: {message}"):
        read_patient(path)


def test_folder_with_outcomes_gives_labelled_records(tmp_path):
    _write(tmp_path, outcomes="RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death\n"
                              "132539,6,1,5,-1,1\n")
    (records,) = load_physionet(tmp_path)
    assert records.label == 1.0
    assert load_physionet(tmp_path, outcomes=False)[0].label is None


def test_outcomes_errors(tmp_path):
    path = tmp_path / "Outcomes-a.txt"
    path.write_text("RecordID,In-hospital_death\n132539,2\n")
    with pytest.raises(ValueError, match="Outcomes-a.txt, line 2: expected 2 comma-separated fields"):
        read_outcomes(path)
    path.write_text("ID,Death\n")
    with pytest.raises(ValueError, match="Outcomes-a.txt, line 1: expected a header with RecordID"):
        read_outcomes(path)
    _write(tmp_path / "other")
    with pytest.raises(FileNotFoundError, match="outcomes=True but .*Outcomes-a.txt does not exist"):
        load_physionet(tmp_path / "other", outcomes=True)


def test_missing_folder_says_where_to_put_the_data(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"expected one file per patient in .*set-a.*downloads nothing"):
        load_physionet(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="cache_dir"):
        load_physionet()  # the (private, empty) test cache


def test_write_example_round_trips_through_the_loader(tmp_path):
    folder = write_example(tmp_path / "px", n_patients=4, seed=1)
    assert "SYNTHETIC" in (folder / "README.txt").read_text()
    records = load_physionet(folder)
    assert [r.id for r in records] == [900001, 900002, 900003, 900004]
    assert all(r.label in (0.0, 1.0) for r in records)
    hr = PARAMS.index("HR")
    assert all(int(r.mask[:, hr].sum()) == 48 for r in records)  # hourly, plus one repeated reading
    assert all(r.times.max() < 48 for r in records)
    t, x, mask = collate(records)
    assert x.shape == (4, len(t), 41) and int(mask.sum()) == sum(r.n_observed for r in records)
    assert len(load_physionet(folder, max_patients=2)) == 2
    assert [r.values.tolist() for r in load_physionet(write_example(tmp_path / "py", 4, seed=1))] == \
        [r.values.tolist() for r in records]


@pytest.mark.parametrize("q", [0, -0.1, float("nan"), "0.1", True])
def test_quantization_must_be_a_positive_number(tmp_path, q):
    path = _write(tmp_path)
    with pytest.raises(ValueError, match="quantization must be None .* or a positive number of hours"):
        read_patient(path, quantization=q)
    with pytest.raises(ValueError, match="quantization must be"):
        load_physionet(tmp_path, quantization=q)


@pytest.mark.parametrize("n", [-1, 0, 2.5, True])
def test_max_patients_must_be_positive(tmp_path, n):
    write_example(tmp_path, n_patients=3)
    with pytest.raises(ValueError, match=f"max_patients must be None \\(all\\) or a positive int; got {n!r}"):
        load_physionet(tmp_path, max_patients=n)


def test_a_non_utf8_file_names_the_file_and_line(tmp_path):
    path = _write(tmp_path)
    path.write_bytes(PATIENT.encode() + "01:00,Temp,37\xb0\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"132539.txt, line 14: expected UTF-8 text; got byte 0xb0 at column 14"):
        read_patient(path)


def test_load_physionet_reads_several_sets_in_order_and_keeps_minus_one_only_when_asked(tmp_path):
    from nodebook.data import physionet as pn

    pn.write_example(tmp_path, n_patients=2, seed=1)
    pn.write_example(tmp_path, n_patients=3, seed=2, subset="set-b")
    both = pn.load_physionet(tmp_path, subset=("set-a", "set-b"), keep_missing=True)
    assert len(both) == 5
    h = pn.PARAMS.index("Height")
    assert all(r.mask[0, h] == 1 and r.values[0, h] == -1 for r in both)  # Height -1: kept as a value
    assert all(r.mask[:, h].sum() == 0 for r in pn.load_physionet(tmp_path, subset=["set-a", "set-b"]))
    assert len(pn.load_physionet(tmp_path, subset=("set-a", "set-b"), max_patients=3)) == 3
    import pytest
    with pytest.raises(ValueError, match="a list of them"):
        pn.load_physionet(tmp_path, subset=("set-a", "set-x"))
