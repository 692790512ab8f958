"""The book's tooling: learner notebooks, slides and the student PDF, built from the chapters' MyST sources.

Used by ``python -m nodebook notebooks|slides|pdf`` and by the Sphinx extension ``book/_ext/nodebook_course.py``
(which runs the first two at the end of each HTML build). Chapters themselves only need :mod:`nodebook.book`.
"""

from .build import Written, chapter_sources, markdown_leftovers, write_notebooks, zip_notebooks
from .lint import leftovers
from .myst import Context, convert
from .notebooks import executed_notebook, glue_values, to_notebook
from .references import Bibliography
from .settings import STUDENT_PDF, STUDENT_ZIP, Settings, launch_links, read_settings

__all__ = [
    "STUDENT_PDF", "STUDENT_ZIP", "Bibliography", "Context", "Settings", "Written", "chapter_sources", "convert",
    "executed_notebook", "glue_values", "launch_links", "leftovers", "markdown_leftovers", "read_settings",
    "to_notebook", "write_notebooks", "zip_notebooks",
]
