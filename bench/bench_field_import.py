"""Benchmark the field-log import: parse, check and store 100,000 rows on SQLite.

Prints rows per second for:
- parsing and checking a CSV (and, with --xlsx, the same rows as an XLSX workbook);
- storing the drafts in a fresh, migrated SQLite database (one transaction);
- importing the same file again (every row found as a duplicate, nothing inserted).

The machine is shared and noisy: read the order of magnitude, not the exact figures.

Usage: python bench/bench_field_import.py [--rows 100000] [--xlsx] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import random
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import func, select

from bot.features.fieldlogs.cells import COLUMNS
from bot.features.fieldlogs.parsing import ParsedImport
from bot.features.fieldlogs.pipeline import parse_field_logs
from intents import fold
from storage import create_engine, session_factory
from storage.fieldlogs import FieldLogDraft, store_field_logs
from storage.migrate import upgrade
from storage.models import FieldLogRow
from storage.vocabulary import SERVICES

TODAY = date(2025, 12, 31)
COMMUNES = {f"{n:05d}": f"{n % 34 + 1:02d}" for n in range(1, 3322)}  # about 3,300 communes
NAMES = {fold(f"Phường Số {n}"): code for n, code in enumerate(COMMUNES, start=1)}
T = TypeVar("T")


def rows(count: int, seed: int = 11) -> list[list[object]]:
    """Rows as leaders type them: codes and labels, names and codes, some notes with phones."""
    rng = random.Random(seed)
    labels, codes = list(SERVICES.values()), list(SERVICES)
    communes = list(COMMUNES)
    out: list[list[object]] = []
    for i in range(count):
        day = date(2025, 7, 1) + timedelta(days=rng.randrange(180))
        commune = rng.choice(communes)
        out.append(
            [
                day.strftime("%d/%m/%Y"),
                commune if i % 3 else f"Phường Số {int(commune)}",
                f"Nhà văn hóa thôn {rng.randrange(40)}",
                "; ".join(rng.sample(labels, 2)) if i % 2 else ",".join(rng.sample(codes, 2)),
                rng.randrange(1, 60),
                rng.choice(["", 60, 90, 120]),
                f"Tình nguyện viên {rng.randrange(2000)}",
                rng.choice(["", f"Buổi số {i}", "Bà con hẹn gọi lại 0912 345 678"]),
            ]
        )
    return out


def as_csv(table: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(table)
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(table: list[list[object]]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(COLUMNS))
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def timed(label: str, count: int, action: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - started
    print(f"{label:<34} {elapsed:7.2f} s  {count / elapsed:>10,.0f} rows/s")
    return result


def parse(data: bytes, filename: str) -> ParsedImport:
    parsed = parse_field_logs(
        data,
        filename,
        today=TODAY,
        default_commune=None,
        resolve_commune=lambda text: NAMES.get(fold(text)),
        province_of=COMMUNES.get,
    )
    if parsed.file_error or parsed.problems:
        raise SystemExit(f"unexpected problems: {parsed.file_error or parsed.problems[:3]}")
    return parsed


async def store(url: str, drafts: list[FieldLogDraft]) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            result = await store_field_logs(session, drafts, team_id=None, created_by=None)
        return result.inserted, result.duplicates
    finally:
        await engine.dispose()


async def count_rows(url: str) -> int:
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            query = select(func.count()).select_from(FieldLogRow)
            return int((await session.execute(query)).scalar_one())
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--xlsx", action="store_true", help="also parse the rows as XLSX")
    parser.add_argument(
        "--database-url", help="an empty database to use instead of a temporary SQLite file"
    )
    args = parser.parse_args()
    count: int = args.rows

    table = rows(count)
    data = as_csv(table)
    print(f"{count:,} rows, CSV {len(data) / 1e6:.1f} MB")
    parsed = timed("parse + check CSV", count, lambda: parse(data, "nhat_ky.csv"))
    if args.xlsx:
        workbook = as_xlsx(table)
        print(f"XLSX {len(workbook) / 1e6:.1f} MB")
        timed("parse + check XLSX", count, lambda: parse(workbook, "nhat_ky.xlsx"))

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        inserted, _ = timed(
            "store (fresh database)", count, lambda: asyncio.run(store(url, parsed.rows))
        )
        again = parse(data, "nhat_ky.csv")
        inserted_again, duplicates = timed(
            "store the same file again", count, lambda: asyncio.run(store(url, again.rows))
        )
        total = asyncio.run(count_rows(url))
    print(f"inserted {inserted:,}, then {inserted_again:,} with {duplicates:,} duplicates")
    if (inserted, inserted_again, duplicates, total) != (count, 0, count, count):
        raise SystemExit(f"unexpected counts: table has {total:,} rows")


if __name__ == "__main__":
    main()
