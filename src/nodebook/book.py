"""Chapter stamps: reading time from the source, run times from the runs (never typed by hand).

The learner notebooks, slides and PDF are made by the book's build tooling, which is not part of this
package: ``book/_tools/nodebook_build`` in a clone (``make book``, ``make lab``).
"""

from __future__ import annotations

import math
import re

from .config import CHAPTERS, resolve_chapter
from .results import load_results, repo_root

WORDS_PER_MINUTE = 200


def reading_time(chapter: str) -> int:
    """Minutes to read a chapter's prose (code cells and directives' options left out), at 200 words/min."""
    key = resolve_chapter(chapter)
    path = repo_root() / "chapters" / f"{CHAPTERS[key]}.md"
    if not path.exists():
        raise FileNotFoundError(f"chapter source {path} not found")
    text = path.read_text()
    text = re.sub(r"^---\n.*?\n---\n", "", text, count=1, flags=re.S)  # front matter
    text = re.sub(r"```\{code-cell\}.*?```", " ", text, flags=re.S)  # code cells
    words = re.findall(r"[A-Za-z][A-Za-z'-]*", text)
    return max(1, math.ceil(len(words) / WORDS_PER_MINUTE))


def full_run_note(chapter: str) -> str:
    """A sentence about the committed full-mode run (device, date, wall time), or that there is none."""
    record = load_results(resolve_chapter(chapter))
    if record is None:
        return "no full-mode run has been committed yet"
    return (f"{record['wall_time_s']:.0f} s in full mode on {record['device_name']} "
            f"({record['date'][:10]}, commit {record['git_commit']})")

