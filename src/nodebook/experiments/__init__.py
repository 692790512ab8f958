"""Each chapter's experiments as functions: the chapter calls them, and so does the command line.

One subpackage per chapter (``ch1`` ... ``ch7``): its experiment functions, ``run(cfg)``, the page's claims
(``claims.py``) and the exercises' self-checks. Their sizes come from ``cfg.budget``, the chapter's table in
:mod:`nodebook.budgets`. ``python -m nodebook reproduce <chapter> [--mode full]`` runs
``experiments.<chapter>.run(cfg)`` and writes ``results/<chapter>.json``; see :mod:`nodebook.__main__`.
"""

import importlib


def load(chapter: str):
    """The experiments module of a chapter id such as ``"ch1"``."""
    return importlib.import_module(f"{__name__}.{chapter}")
