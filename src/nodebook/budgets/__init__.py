"""Each chapter's budget: the sizes its experiments read, in quick and full mode, one module per chapter.

``budgets/ch4.py`` holds chapter 4's ``{"quick": {...}, "full": {...}}``, with the comments that say how
each mode was sized and which ``--set`` gives the paper's sizes; :mod:`nodebook.experiments.ch4` reads it
as ``cfg.budget``. The budgets are plain data on the package's lowest floor, so :mod:`nodebook.config`
(which the data, training and grading modules import) reads them without importing any experiment.

* quick: CPU-sized data and iteration counts; each chapter within its ``time_s`` (60-90 s on the 2-core CPU).
* full: the reference run (``python -m nodebook reproduce <chapter> --mode full``), sized to finish in at most
  45 minutes per chapter on the 2-core CPU (faster on a GPU).
"""

from __future__ import annotations

from typing import Any

from . import ch1, ch2, ch3, ch4, ch5, ch6, ch7

BUDGETS: dict[str, dict[str, dict[str, Any]]] = {
    "ch1": ch1.BUDGET, "ch2": ch2.BUDGET, "ch3": ch3.BUDGET, "ch4": ch4.BUDGET, "ch5": ch5.BUDGET,
    "ch6": ch6.BUDGET, "ch7": ch7.BUDGET,
}
"""``{chapter: {mode: budget}}``; :func:`nodebook.setup` hands a chapter a deep copy of its mode's."""
