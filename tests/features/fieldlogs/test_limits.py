"""The shared bounds: the chat form and the import store into the same columns."""

from __future__ import annotations

from typing import cast

from sqlalchemy import String, Table

from bot.features.fieldlogs import limits
from storage.models import FieldLogRow
from tests.features.fieldlogs.files import ROOT


def test_text_limits_are_the_lengths_of_the_field_log_columns() -> None:
    columns = cast(Table, FieldLogRow.__table__).c
    lengths = {
        name: cast(String, columns[name].type).length
        for name in ("place", "volunteer_name", "notes")
    }
    assert lengths == {
        "place": limits.MAX_PLACE,
        "volunteer_name": limits.MAX_NAME,
        "notes": limits.MAX_NOTES,
    }


def test_the_documented_bounds_are_the_limits() -> None:
    """content/FIELD_LOGS.md tells leaders the bounds: it must say what the code checks."""
    doc = (ROOT / "content" / "FIELD_LOGS.md").read_text(encoding="utf-8")
    assert f"a whole number from 1 to {limits.MAX_CITIZENS}." in doc
    assert f"a whole number from 1 to {limits.MAX_MINUTES}." in doc
    assert f"At most {limits.MAX_NOTES} characters." in doc
