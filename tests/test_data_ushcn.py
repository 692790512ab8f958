"""USHCN-Daily reader on fixed-width files written here in NOAA's format (and GRU-ODE-Bayes' CSV)."""

import datetime as dt

import pytest
import torch

from nodebook.data import load_ushcn, read_dly
from nodebook.data.ushcn import ELEMENTS, read_gru_ode_csv, write_example


def _line(station, year, month, element, days, qflags=None, id_width=11):
    """A line with ``days = {day: value}`` (others -9999) and ``qflags = {day: flag}``."""
    qflags = qflags or {}
    cells = "".join(f"{days.get(d, -9999):5d} {qflags.get(d, ' ')}{'7' if d in days else ' '}" for d in range(1, 32))
    return f"{station:<{id_width}}{year:04d}{month:02d}{element}{cells}"


def _write(path, lines):
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_line_format_is_269_characters():
    assert len(_line("USH00011084", 2001, 2, "TMAX", {})) == 269
    assert len(_line("011084", 2001, 2, "TMAX", {}, id_width=6)) == 264


def test_values_land_on_their_days_with_masks(tmp_path):
    path = _write(tmp_path / "USH00011084.dly", [
        _line("USH00011084", 2001, 2, "TMAX", {1: 150, 2: -33}),
        _line("USH00011084", 2001, 2, "TMIN", {1: -20, 2: -80}, qflags={2: "I"}),
        _line("USH00011084", 2001, 2, "TOBS", {5: 10}),  # not a core element: skipped
        _line("USH00011084", 2001, 3, "PRCP", {3: 0}),
    ])
    (r,) = read_dly(path)
    assert r.id == "USH00011084"
    # days since 2001-01-01: Feb 1 = 31, Feb 2 = 32, Mar 3 = 31 + 28 + 2 = 61
    assert torch.equal(r.times, torch.tensor([31.0, 32.0, 61.0], dtype=torch.float64))
    j = {e: i for i, e in enumerate(ELEMENTS)}
    assert r.values[0, j["TMAX"]] == 150 and r.values[0, j["TMIN"]] == -20 and r.values[1, j["TMAX"]] == -33
    assert r.mask[1, j["TMIN"]] == 0  # quality-flagged: dropped
    assert r.mask[2, j["PRCP"]] == 1 and r.values[2, j["PRCP"]] == 0  # an observed zero is not missing
    assert int(r.mask.sum()) == 4
    (kept,) = read_dly(path, drop_flagged=False)
    assert kept.values[1, j["TMIN"]] == -80 and int(kept.mask.sum()) == 5


def test_stations_share_a_time_axis_and_the_6_character_format(tmp_path):
    a = _write(tmp_path / "a.txt", [_line("011084", 2001, 1, "SNOW", {1: 5}, id_width=6)])
    b = _write(tmp_path / "b.txt", [_line("012813", 2000, 12, "SNWD", {31: 7}, id_width=6)])
    ra, rb = read_dly([a, b])
    assert (ra.id, rb.id) == ("011084", "012813")
    assert ra.times.tolist() == [366.0] and rb.times.tolist() == [365.0]  # origin 2000-01-01 (a leap year)
    (rc,) = read_dly(a, origin=dt.date(2000, 12, 31))
    assert rc.times.tolist() == [1.0]


@pytest.mark.parametrize("bad, message", [
    ("USH00011084200102TMAX   10", "expected a fixed-width line of 269 characters"),
    (_line("USH00011084", 2001, 13, "TMAX", {1: 1}), "a month 01-12"),
    (_line("USH00011084", 2001, 2, "TM-X", {1: 1}), "expected a 4-character element name"),
    (_line("USH00011084", 2001, 2, "TMAX", {1: 1}).replace("    1", "  1x1"),
     "integer value for day 1 in columns 22-26"),
    (_line("USH00011084", 2001, 2, "TMAX", {30: 12}), "for day 30, which 2001-02 does not have; got 12"),
])
def test_malformed_lines_name_the_file_and_line(tmp_path, bad, message):
    path = _write(tmp_path / "x.dly", [_line("USH00011084", 2001, 1, "TMAX", {1: 1}), bad])
    with pytest.raises(ValueError, match=f"x.dly, line 2: .*{message}"):
        read_dly(path)


def test_explicit_id_width_accepts_stripped_trailing_blanks(tmp_path):
    path = _write(tmp_path / "s.dly", [_line("USH00011084", 2001, 1, "TMAX", {1: 1}).rstrip()])
    assert read_dly(path, id_width=11)[0].n_observed == 1
    with pytest.raises(ValueError, match="expected 264 characters for a 6-character station id"):
        read_dly(path, id_width=6)


def test_write_example_round_trips_and_missing_folder_message(tmp_path):
    paths = write_example(tmp_path / "ux", n_stations=3, seed=2, year=2003, months=3)
    assert "SYNTHETIC" in (tmp_path / "ux" / "README.txt").read_text()
    records = read_dly(paths)
    assert [r.id for r in records] == ["USH00999001", "USH00999002", "USH00999003"]
    for r in records:
        assert r.values.shape[1] == 5 and 0 <= r.times.min() and r.times.max() < 31 + 28 + 31
        assert 0.75 < r.mask.mean() < 0.98  # about 10% of days missing, 2% flagged
    assert [r.values.tolist() for r in load_ushcn(tmp_path / "ux")] == [r.values.tolist() for r in records]
    with pytest.raises(FileNotFoundError, match=r"expected station files <id>.dly in .*downloads nothing"):
        load_ushcn(tmp_path / "nowhere")


def test_gru_ode_bayes_csv(tmp_path):
    head = "ID,Time,Value_1,Value_2,Value_3,Value_4,Value_5,Mask_1,Mask_2,Mask_3,Mask_4,Mask_5"
    path = _write(tmp_path / "u.csv", [head, "7,0.5,1,2,3,4,5,1,1,0,0,1", "7,0.1,9,9,9,9,9,0,0,0,0,1",
                                       "3,0.2,1,1,1,1,1,1,1,1,1,1"])
    r7, r3 = read_gru_ode_csv(path)
    assert r7.id == "7" and r7.times.tolist() == [0.1, 0.5]
    assert r7.values.tolist() == [[0, 0, 0, 0, 9], [1, 2, 0, 0, 5]] and r3.n_observed == 5
    _write(path, [head, "7,0.5,1,2"])
    with pytest.raises(ValueError, match="u.csv, line 2: expected 12 fields"):
        read_gru_ode_csv(path)
    _write(path, ["ID,Time,Value_1"])
    with pytest.raises(ValueError, match=r"u.csv, line 1: expected columns .* missing \['Value_2'"):
        read_gru_ode_csv(path)


def test_an_unknown_element_is_an_error_listing_the_valid_ones(tmp_path):
    path = _write(tmp_path / "s.dly", [_line("USH00011084", 2001, 2, "TMAX", {1: 150})])
    with pytest.raises(ValueError, match=r"unknown element\(s\) \['TMAXX'\]|distinct 4-character"):
        read_dly(path, elements=["TMAXX"])
    with pytest.raises(ValueError, match=r"unknown element\(s\) \['TAVG'\].*ELEMENTS \['PRCP'.*hold \['TMAX'\]"):
        read_dly(path, elements=["TMAX", "TAVG"])
    with pytest.raises(ValueError, match="distinct 4-character upper-case names"):
        read_dly(path, elements=["tmax"])
    with pytest.raises(TypeError, match="sequence of element names"):
        read_dly(path, elements="TMAX")
    _write(path, [_line("USH00011084", 2001, 2, "TOBS", {1: 12})])
    (r,) = read_dly(path, elements=["TOBS"])  # an element the files hold is fine even if not a core one
    assert r.values[0, 0] == 12


def test_a_non_utf8_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "s.dly"
    good = _line("USH00011084", 2001, 2, "TMAX", {1: 150})
    path.write_bytes((good + "\n" + good + "\n").encode() + b"\xff\xfe binary\n")
    with pytest.raises(ValueError, match=r"s.dly, line 3: expected UTF-8 text; got byte 0xff at column 1"):
        read_dly(path)
    csv_path = tmp_path / "u.csv"
    head = "ID,Time,Value_1,Value_2,Value_3,Value_4,Value_5,Mask_1,Mask_2,Mask_3,Mask_4,Mask_5\n"
    csv_path.write_bytes(head.encode() + b"7,0.5\xe9,1,2,3,4,5,1,1,1,1,1\n")
    with pytest.raises(ValueError, match=r"u.csv, line 2: expected UTF-8 text; got byte 0xe9"):
        read_gru_ode_csv(csv_path)


def test_gru_ode_csv_refuses_masks_other_than_0_and_1(tmp_path):
    head = "ID,Time,Value_1,Value_2,Value_3,Value_4,Value_5,Mask_1,Mask_2,Mask_3,Mask_4,Mask_5"
    path = _write(tmp_path / "u.csv", [head, "7,0.5,1,2,3,4,5,2,1,0,0,1"])
    with pytest.raises(ValueError, match=r"u.csv: expected Mask_k values 0 or 1; got \[0.0, 1.0, 2.0\]"):
        read_gru_ode_csv(path)
