"""Count the SQL statements and transactions every engine of this process runs (benchmarks).

Listens on SQLAlchemy's `Engine` class, so the engines a composition builds are counted without
being named. `shapes` groups statements by their first words and table, to see where they go.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

__all__ = ["SqlCount", "counting"]

_SHAPE = re.compile(
    r"^\s*(?:(INSERT INTO|UPDATE|DELETE FROM)\s+([\w.\"]+)"  # the table follows the verb
    r"|(SELECT|BEGIN|COMMIT|PRAGMA|WITH)\b(?:.*?\bFROM\s+)?\s*([\w.\"]+)?)",
    re.IGNORECASE | re.DOTALL,
)


@dataclass
class SqlCount:
    statements: int = 0
    transactions: int = 0
    shapes: Counter[str] = field(default_factory=Counter)

    def shape(self, statement: str) -> str:
        found = _SHAPE.match(statement)
        if found is None:
            return statement.split(None, 1)[0].upper() if statement.strip() else "?"
        verb = (found.group(1) or found.group(3)).upper()
        table = (found.group(2) or found.group(4) or "").strip('"')
        return f"{verb} {table}".strip()

    def report(self, updates: int, top: int = 30) -> str:
        lines = [
            f"SQL: {self.statements / updates:.1f} statements and "
            f"{self.transactions / updates:.2f} transactions per update"
        ]
        for shape, n in self.shapes.most_common(top):
            lines.append(f"  {n / updates:6.2f}  {shape}")
        return "\n".join(lines)


@contextmanager
def counting() -> Iterator[SqlCount]:
    """Count every statement and transaction started while the block runs."""
    count = SqlCount()

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        count.statements += 1
        count.shapes[count.shape(statement)] += 1

    def on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
            count.transactions += 1  # in autocommit nothing is sent to the database

    event.listen(Engine, "before_cursor_execute", on_execute)
    event.listen(Engine, "begin", on_begin)
    try:
        yield count
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)
        event.remove(Engine, "begin", on_begin)
