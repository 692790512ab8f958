"""The package's files stay small and its subpackages say what lives in them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "nodebook"
IGNORED: tuple[str, ...] = ()  # top-level folders left out (none: the book tooling is in book/_tools)
MAX_LINES = 250

FILES = sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] not in IGNORED)
PACKAGES = sorted(p for p in FILES if p.name == "__init__.py")


def test_no_package_file_is_over_the_line_limit():
    long = {str(p.relative_to(PACKAGE.parent)): n for p in FILES if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, (f"files over {MAX_LINES} lines (split them into private modules): "
                      + ", ".join(f"{k} ({v})" for k, v in sorted(long.items())))


@pytest.mark.parametrize("init", PACKAGES, ids=lambda p: str(p.parent.relative_to(PACKAGE.parent)))
def test_every_package_says_what_lives_in_it(init):
    doc = ast.get_docstring(ast.parse(init.read_text())) or ""
    assert len(doc.split()) >= 5, f"{init.relative_to(PACKAGE.parent)} needs a docstring saying what lives there"
