"""The book's build tooling: learner notebooks, slides and the student PDF, built from the chapters' MyST sources.

Not part of the installed package (``pip install .`` carries :mod:`nodebook` alone, what a learner imports):
this lives beside the book, in ``book/_tools/nodebook_build/``, and is found on ``sys.path`` by its users:
the Sphinx extension ``book/_ext/nodebook_course.py`` (which writes the notebooks and slides at the end of
each HTML build), the course page (``book/course.md``, :mod:`nodebook_build.workload`), the Makefile's ``pdf``
and ``lab-notebooks`` steps (``PYTHONPATH=book/_tools python -m nodebook_build notebooks|pdf``) and the tests
(``tests/conftest.py``). It imports :mod:`nodebook` (chapters, results, grading), never the other way round.
"""

from .build import Written, chapter_sources, markdown_leftovers, write_notebooks, zip_notebooks
from .lint import leftovers
from .myst import Context, convert
from .notebooks import executed_notebook, glue_values, to_notebook
from .references import Bibliography
from .settings import STUDENT_PDF, STUDENT_ZIP, Settings, launch_links, read_settings
from .solutions import strip_solutions

__all__ = [
    "STUDENT_PDF", "STUDENT_ZIP", "Bibliography", "Context", "Settings", "Written", "chapter_sources", "convert",
    "executed_notebook", "glue_values", "launch_links", "leftovers", "markdown_leftovers", "read_settings",
    "strip_solutions", "to_notebook", "write_notebooks", "zip_notebooks",
]
