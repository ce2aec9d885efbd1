"""What the leader reads: fingerprints of duplicates, the summary, the template."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date

from bot.features.fieldlogs.cells import COLUMNS
from bot.features.fieldlogs.parsing import ParsedImport, RowProblem
from bot.features.fieldlogs.summary import format_import_summary
from bot.features.fieldlogs.template import template_csv, template_csv_bytes
from intents.normalize import fold
from storage.fieldlogs import FieldLogDraft, StoreResult, fingerprint
from tests.features.fieldlogs.files import (
    HEADER,
    ROOT,
    csv_text,
    parse,
)

# --- Fingerprints, summary, template -----------------------------------------------------------


def test_the_fingerprint_ignores_service_order_duration_and_line() -> None:
    draft = FieldLogDraft(2, date(2025, 10, 5), "00004", "01", ("other", "vneid_other"), 3)
    same = FieldLogDraft(
        9, date(2025, 10, 5), "00004", "01", ("vneid_other", "other"), 3, duration_minutes=60
    )
    other = FieldLogDraft(2, date(2025, 10, 5), "00004", "01", ("other", "vneid_other"), 4)
    assert fingerprint(draft) == fingerprint(same) != fingerprint(other)
    assert len(fingerprint(draft)) == 64


def test_summary_lists_twenty_problems_then_counts_the_rest() -> None:
    problems = [RowProblem(line, "so_nguoi", "thiếu số người") for line in range(2, 27)]
    parsed = ParsedImport([], problems, read=60)
    text = format_import_summary(parsed, StoreResult(35, 0))
    assert text.startswith("Đã nhập 35 dòng, bỏ qua 25 dòng lỗi.")
    assert "- dòng 21 (so_nguoi): thiếu số người" in text
    assert "- dòng 22 (so_nguoi)" not in text
    assert "… và 5 lỗi khác." in text


def test_summary_of_a_real_import_with_duplicates_and_warnings() -> None:
    parsed = parse(
        csv_text("05/10/2025,,,other,1,,,", "06/10/2025,,,sửa xe,1,,,", header=HEADER + ",STT")
    )
    text = format_import_summary(parsed, StoreResult(0, 1, (2,)))
    assert (
        text.splitlines()[0]
        == "Đã nhập 0 dòng, bỏ qua 1 dòng đã nhập từ trước, bỏ qua 1 dòng lỗi."
    )
    assert "- dòng 3 (dich_vu): không rõ dịch vụ “sửa xe”" in text
    assert "Dòng đã nhập từ trước: 2." in text
    assert "Lưu ý: Bỏ qua các cột không dùng" in text


def test_summary_of_a_dry_run_and_of_a_file_error() -> None:
    parsed = parse(csv_text(*["05/10/2025,,,other,1,,,"] * 1200))
    assert format_import_summary(parsed, None).startswith(
        "Đã kiểm tra 1.200 dòng: 1.200 dòng hợp lệ, 0 dòng lỗi. Chưa nhập dòng nào."
    )
    broken = parse(b"")
    assert format_import_summary(broken, None) == (
        "Không nhập được tệp, chưa có dòng nào được nhập.\nTệp trống."
    )


def test_the_template_has_the_documented_columns_and_its_examples_are_not_imported() -> None:
    text = template_csv()
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert [fold(cell).replace(" ", "_") for cell in header] == list(COLUMNS)
    assert len(rows) == 2
    parsed = parse(template_csv_bytes(), "mau.csv")
    assert parsed.rows == []
    assert [problem.field for problem in parsed.problems] == ["ghi_chu", "ghi_chu"]


def test_the_template_rows_are_valid_once_the_example_note_is_replaced() -> None:
    text = template_csv().replace("Ví dụ: xóa dòng này trước khi nhập", "Buổi sáng")
    parsed = parse(text, "mau.csv")
    assert parsed.problems == []
    assert [(row.commune_code, row.services) for row in parsed.rows] == [
        ("00004", ("vneid_activation", "dvc_submission")),
        ("00008", ("vneid_activation", "cashless_setup")),
    ]


def test_the_shipped_template_file_is_the_template() -> None:
    shipped = (ROOT / "content" / "field_log_template.csv").read_bytes()
    assert shipped == template_csv_bytes()
    assert shipped.startswith(codecs.BOM_UTF8)  # Excel then shows the Vietnamese letters
