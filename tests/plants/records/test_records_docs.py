"""The README's "Plant records" section is the declared format."""

from __future__ import annotations

from pathlib import Path

import pytest

from plants.records.schema import TABLES, markdown_tables

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.unit
def test_the_readme_documents_every_record_table_and_column():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "### Plant records" in readme
    assert markdown_tables() in readme, "paste plants.records.schema.markdown_tables() into the README section"
    for table in TABLES.values():
        for c in table.columns:
            assert f"| `{c.name}` |" in readme
