"""Citations for notebooks: author–year text linked to a References cell the notebook carries itself.

The web book's ``{cite}`` roles go through sphinxcontrib-bibtex; a notebook has no such machinery, so a
citation becomes ``[Chen et al., 2018](#ref-chen2018neural)`` and the notebook ends with the cited
entries, formatted by pybtex (the library sphinxcontrib-bibtex formats the web bibliography with).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path


class Bibliography:
    """The entries of a ``.bib`` file, as author–year labels and formatted Markdown.

    With ``required=False`` a missing file is an empty bibliography: citations stay their keys, unlinked
    (``missing`` says so; the caller warns).
    """

    def __init__(self, path: str | Path, site_url: str = "", *, required: bool = True):
        self.path = Path(path)
        self.site_url = site_url.rstrip("/")
        self.missing = not required and not self.path.is_file()

    @cached_property
    def data(self):
        from pybtex.database import BibliographyData, parse_file

        if self.missing:
            return BibliographyData()
        if not self.path.is_file():
            raise FileNotFoundError(f"bibliography {self.path} not found")
        return parse_file(str(self.path))

    def label(self, key: str) -> str:
        """``Chen et al., 2018``; ``Dormand and Prince, 1980``; the key itself when it is not in the file."""
        entry = self.data.entries.get(key)
        if entry is None:
            return key
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [" ".join(p.last_names).replace("{", "").replace("}", "") for p in people]
        who = (names[0] if len(names) == 1 else f"{names[0]} and {names[1]}" if len(names) == 2
               else f"{names[0]} et al." if names else key)
        return f"{who}, {entry.fields.get('year', 'n.d.')}"

    def cite(self, keys: list[str], role: str = "cite") -> str:
        """Markdown for a ``{cite}`` role: ``([Chen et al., 2018](#ref-chen2018neural))``."""
        if self.missing:
            return f"({'; '.join(keys)})"
        missing = [k for k in keys if k not in self.data.entries]
        if missing:
            raise ValueError(f"{self.path}: no entry for citation key(s) {', '.join(missing)}")
        links = []
        for key in keys:
            who, year = self.label(key).rsplit(", ", 1)
            text = f"{who} ({year})" if role in ("cite:t", "cite:ts") else f"{who}, {year}"
            links.append(f"[{text}](#ref-{key})")
        joined = "; ".join(links)
        return joined if role in ("cite:t", "cite:ts") else f"({joined})"

    def references_markdown(self, keys: list[str]) -> str:
        """A References cell: the cited entries in citation order, each with the anchor citations link to."""
        from pybtex.plugin import find_plugin

        if self.missing:
            return "## Bibliography\n\nCited (the bibliography file was not available): " + ", ".join(keys) + "."
        style = find_plugin("pybtex.style.formatting", "plain")()
        backend = find_plugin("pybtex.backends", "markdown")()
        formatted = {e.key: e.text.render(backend) for e in style.format_bibliography(self.data, citations=keys)}
        lines = ["## Bibliography", ""]
        for key in keys:
            text = " ".join(formatted[key].split("\n"))
            lines.append(f'- <a id="ref-{key}"></a>**{self.label(key)}.** {text}')
        if self.site_url:
            lines += ["", f"The book's full bibliography: <{self.site_url}/book/bibliography.html>."]
        return "\n".join(lines)
