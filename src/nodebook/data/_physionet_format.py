"""The PhysioNet 2012 Challenge's file format (see :mod:`.physionet`), and synthetic patients written in it.

The parameter names in Rubanova et al.'s feature order, the file header and the outcome columns; and
:func:`write_example`, which writes made-up patients for tests and for showing the loader.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

DESCRIPTORS = ("RecordID", "Age", "Gender", "Height", "ICUType", "Weight")
TIME_SERIES = (
    "Albumin", "ALP", "ALT", "AST", "Bilirubin", "BUN", "Cholesterol", "Creatinine", "DiasABP", "FiO2", "GCS",
    "Glucose", "HCO3", "HCT", "HR", "K", "Lactate", "Mg", "MAP", "MechVent", "Na", "NIDiasABP", "NIMAP",
    "NISysABP", "PaCO2", "PaO2", "pH", "Platelets", "RespRate", "SaO2", "SysABP", "Temp", "TroponinI",
    "TroponinT", "Urine", "WBC")
PARAMS = DESCRIPTORS[1:] + TIME_SERIES  # Rubanova et al.'s 41 features, in their order
HEADER = "Time,Parameter,Value"
OUTCOME_COLUMNS = ("RecordID", "SAPS-I", "SOFA", "Length_of_stay", "Survival", "In-hospital_death")


def write_example(folder: str | os.PathLike, n_patients: int = 3, seed: int = 0, *,
                  subset: str = "set-a") -> Path:
    """Write a few **synthetic** patients (not PhysioNet data) in the Challenge's file format.

    Heart rate about hourly, temperature every few hours, GCS and a lab value at irregular times,
    a missing Height (-1), a duplicate measurement; RecordIDs from 900001 (no real record uses them),
    plus a matching ``Outcomes-<a|b|c>.txt`` and a ``README.txt`` saying the files are synthetic.

    Returns:
        ``folder`` (pass it to :func:`load_physionet`).
    """
    rng = random.Random(seed)
    folder = Path(folder)
    (folder / subset).mkdir(parents=True, exist_ok=True)
    (folder / "README.txt").write_text("SYNTHETIC fixture written by nodebook.data.physionet.write_example: "
                                       "made-up patients in the PhysioNet 2012 file format, not real data.\n")
    outcome_rows = [",".join(OUTCOME_COLUMNS)]
    for i in range(n_patients):
        rid = 900001 + i
        rows = [HEADER, f"00:00,RecordID,{rid}", f"00:00,Age,{rng.randint(20, 90)}",
                f"00:00,Gender,{rng.randint(0, 1)}", "00:00,Height,-1", f"00:00,ICUType,{rng.randint(1, 4)}",
                f"00:00,Weight,{rng.uniform(50, 110):.1f}"]
        events = [(m + rng.randint(0, 20), "HR", f"{rng.gauss(80, 10):.0f}") for m in range(5, 48 * 60, 60)]
        events += [(m + rng.randint(0, 30), "Temp", f"{rng.gauss(37, 0.5):.1f}") for m in range(30, 48 * 60, 240)]
        events += [(rng.randint(0, 48 * 60 - 1), "GCS", str(rng.randint(3, 15))) for _ in range(4)]
        events += [(rng.randint(0, 48 * 60 - 1), "Lactate", f"{rng.uniform(0.5, 4):.1f}") for _ in range(2)]
        events.append((events[0][0], "HR", f"{rng.gauss(80, 10):.0f}"))  # a repeated reading: averaged
        rows += [f"{m // 60:02d}:{m % 60:02d},{name},{value}" for m, name, value in sorted(events)]
        (folder / subset / f"{rid}.txt").write_text("\n".join(rows) + "\n")
        outcome_rows.append(f"{rid},{rng.randint(5, 25)},{rng.randint(0, 15)},{rng.randint(2, 30)},-1,"
                            f"{int(rng.random() < 0.15)}")
    (folder / f"Outcomes-{subset[-1]}.txt").write_text("\n".join(outcome_rows) + "\n")
    return folder
