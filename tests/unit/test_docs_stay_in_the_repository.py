"""The repository's own documents are enough: no pointer to a file outside it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_and_the_architecture_point_to_no_file_outside_the_repository():
    for name in ("README.md", "ARCHITECTURE.md", "DOMAIN.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert "../" not in text, name
        assert "/work/" not in text, name


def test_every_markdown_document_the_code_names_is_in_the_repository():
    named = set()
    for folder in ("dispatch", "dashboards", "gis", "routing"):
        for path in (ROOT / folder).rglob("*.py"):
            named |= set(re.findall(r"\b([A-Z][A-Z_]+\.md)\b", path.read_text(encoding="utf-8")))
    assert "DOMAIN.md" in named
    assert sorted(n for n in named if not (ROOT / n).exists()) == []
