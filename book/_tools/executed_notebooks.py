"""Write the chapters' executed notebooks, with all their outputs, for nbval to re-run and compare.

Jupyter Book saves each executed chapter under ``_build/jupyter_execute/``, but myst-nb removes the
``glue`` outputs from that copy (it moves them into ``<chapter>.glue.json``). Re-executing it under
nbval then produces outputs the copy lacks, so a cell that glues a chapter's key numbers and is tagged
``nbval-check-output`` can never match. The execution cache (``_build/.jupyter_cache``) keeps the
notebook exactly as it ran; this script merges those outputs into each chapter and writes
``OUT_DIR/<chapter>.ipynb``, so nbval checks the glued numbers themselves.

Usage: ``python book/_tools/executed_notebooks.py OUT_DIR chapters/01_odes_and_solvers.md ...``
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from jupyter_cache import get_cache

CACHE = Path("_build/.jupyter_cache")


def export(out_dir: Path, sources: list[Path], cache_path: Path = CACHE) -> list[Path]:
    if not cache_path.is_dir():
        raise SystemExit(f"no execution cache at {cache_path}: build the book first (make book)")
    cache = get_cache(str(cache_path))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        uri = str(source.resolve())
        try:
            project_nb = cache.get_project_notebook(uri)
            _, merged = cache.merge_match_into_notebook(project_nb.nb)
        except KeyError as err:
            raise SystemExit(
                f"{source} has no executed copy in {cache_path} ({err}); build the book first (make book)"
            ) from err
        target = out_dir / f"{source.stem}.ipynb"
        nbformat.write(merged, target)
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        raise SystemExit(__doc__.strip().splitlines()[-1])
    out_dir, *sources = argv
    for path in export(Path(out_dir), [Path(s if s.endswith(".md") else s + ".md") for s in sources]):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
