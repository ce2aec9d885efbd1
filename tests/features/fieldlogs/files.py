"""Shared by the field-log tests: a small place index, and files as leaders write them."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import openpyxl

from bot.features.fieldlogs.parsing import ParsedImport
from bot.features.fieldlogs.pipeline import ImportContext, parse_field_logs
from intents.normalize import fold

ROOT = Path(__file__).resolve().parents[3]
TODAY = date(2025, 11, 20)
PROVINCES = {"00004": "01", "00008": "01", "26734": "79"}
NAMES = {"phuong ba dinh": "00004", "phuong ben thanh": "26734", "phuong ngoc ha": "00008"}
HEADER = "ngay,xa_phuong,dia_diem,dich_vu,so_nguoi,thoi_gian_phut,tinh_nguyen_vien,ghi_chu"


def resolve(text: str) -> str | None:
    return NAMES.get(fold(text))


def parse(
    data: bytes | str,
    filename: str = "nhat_ky.csv",
    default_commune: str | None = "00008",
    today: date = TODAY,
) -> ParsedImport:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return parse_field_logs(
        raw,
        filename,
        today=today,
        default_commune=default_commune,
        resolve_commune=resolve,
        province_of=PROVINCES.get,
    )


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


def problems_of(parsed: ParsedImport) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {}
    for problem in parsed.problems:
        found.setdefault(problem.line, {})[problem.field] = problem.message
    return found


def xlsx_bytes(rows: list[list[object]], extra_sheet: bool = False) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if extra_sheet:
        workbook.create_sheet("Ghi chú")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def context(default_commune: str | None = "00008", today: date = TODAY) -> ImportContext:
    """What `check_file` and `import_file` check a file against, as `parse` does."""
    return ImportContext(today, default_commune, resolve, PROVINCES.get)
