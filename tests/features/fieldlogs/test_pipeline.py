"""The import as a whole: any file gives a precise answer; a bug of ours is never the file's.

`check_file` is what a command calls. Its result is of one of three kinds: good rows and row
problems naming a row and a column, a whole-file problem (told as the file's), or our own
failure (told as ours). The robustness tests assert the kind, not just "some result": a parser
that crashes would otherwise pass them as a "problem with the file".
"""

from __future__ import annotations

import logging
import random
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli import main
from bot.features.fieldlogs.cells import COLUMNS
from bot.features.fieldlogs.parsing import ParsedImport, Parser
from bot.features.fieldlogs.pipeline import ImportResult, check_file, parse_field_logs
from bot.features.fieldlogs.summary import format_internal_error
from tests.features.fieldlogs.files import HEADER, PROVINCES, TODAY, context, csv_text, resolve

NAME = "nhat_ky.csv"
REFUSED = f"Không nhập được tệp “{NAME}”, chưa có dòng nào được nhập.\n"
# The whole-file problems a file starting with a good header can still have.
AFTER_A_GOOD_HEADER = ("chỉ có dòng tiêu đề", "Không đọc được tệp CSV", "không phải bảng tính")


def check(data: bytes | str) -> ImportResult:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return check_file(raw, NAME, context())


def precise(result: ImportResult) -> ParsedImport:
    """The result is the file's: rows and problems naming row and column, or a file problem."""
    assert not result.internal_error, result.summary
    parsed = result.parsed
    assert parsed is not None
    if parsed.file_error is not None:
        assert (parsed.rows, parsed.problems, parsed.read) == ([], [], 0)
        assert result.summary == REFUSED + parsed.file_error
    else:
        assert parsed.read > 0
        assert parsed.read == len(parsed.rows) + parsed.rejected
        for problem in parsed.problems:
            assert problem.line >= 2
            assert problem.field in COLUMNS
            assert problem.message
    return parsed


# --- Any file gives a precise answer -----------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes_never_raise(seed: int) -> None:
    raw = random.Random(seed).randbytes(1 + seed * 97)
    assert precise(check(raw)).file_error is not None  # random bytes are no spreadsheet
    # The same bytes as a text editor saves them, under a good header: they reach the parser.
    as_text = raw.decode("utf-8", errors="replace").replace("\x00", "")
    parsed = precise(check(HEADER + "\n" + as_text))
    assert parsed.file_error is None or any(k in parsed.file_error for k in AFTER_A_GOOD_HEADER)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_a_result(data: bytes) -> None:
    precise(check(data))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_after_a_good_header_gives_a_result(body: str) -> None:
    parsed = precise(check(HEADER + "\n" + body))
    assert parsed.file_error is None or any(k in parsed.file_error for k in AFTER_A_GOOD_HEADER)


# --- Whose fault: the file's, or ours -----------------------------------------------------------

PRIVATE_NAME = "Nguyen Van An 0912345678.csv"  # a file name can be personal data
CELL = "Nhà bác Tư"


def _broken_row(*args: object) -> None:
    raise KeyError(CELL)  # a bug whose message quotes a cell, as real bugs do


def test_a_bug_in_the_parser_is_told_as_ours_and_logged_without_the_file(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(Parser, "row", _broken_row)
    data = csv_text(f"05/10/2025,,{CELL},other,1,,,").encode()
    with caplog.at_level(logging.DEBUG):
        result = check_file(data, PRIVATE_NAME, context())
    assert (result.internal_error, result.refused) == (True, True)
    assert result.summary == format_internal_error(PRIVATE_NAME)
    assert "phía chúng tôi" in result.summary
    assert "không phải do tệp" in result.summary
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in errors] == ["bot.features.fieldlogs.pipeline"]
    assert "KeyError" in caplog.text
    assert "_broken_row" in caplog.text  # the stack, to find the bug
    assert "Nguyen Van An" not in caplog.text
    assert "0912345678" not in caplog.text
    assert CELL not in caplog.text


def test_a_bug_propagates_out_of_the_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only `check_file`, at the edge, turns a bug into the apology: nothing below hides it."""
    monkeypatch.setattr(Parser, "row", _broken_row)
    with pytest.raises(KeyError):
        parse_field_logs(
            csv_text("05/10/2025,,,other,1,,,").encode(),
            NAME,
            today=TODAY,
            default_commune="00008",
            resolve_commune=resolve,
            province_of=PROVINCES.get,
        )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04" + bytes(100), "Không đọc được tệp Excel"),  # not a zip after all
        (b"PK\x03\x04" + bytes(100) + b"PK\x05\x06" + bytes(18), "Không đọc được tệp Excel"),
        ("ngày,dich_vu,so_nguoi\n".encode("cp1258"), "không phải mã UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "Excel cũ (.xls)"),
    ],
)
def test_a_reading_error_is_told_as_a_problem_with_the_file(
    data: bytes, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        result = check_file(data, PRIVATE_NAME, context())
    assert (result.internal_error, result.refused) == (False, True)
    assert result.parsed is not None
    assert result.parsed.file_error is not None
    assert reason in result.parsed.file_error
    assert result.summary.startswith(f"Không nhập được tệp “{PRIVATE_NAME}”, chưa có dòng nào")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "Nguyen Van An" not in caplog.text


def test_an_unreadable_workbook_is_logged_without_its_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """openpyxl's own failure is the file's; the log says which kind, not which file."""
    from tests.features.fieldlogs.files import xlsx_bytes

    good = xlsx_bytes([["ngay", "dich_vu", "so_nguoi"], ["05/10/2025", "other", 1]])
    with caplog.at_level(logging.DEBUG):
        result = check_file(good[: len(good) - 200], PRIVATE_NAME, context())
    assert result.parsed is not None
    assert result.parsed.file_error is not None
    assert "Không đọc được tệp Excel" in result.parsed.file_error
    assert "Nguyen Van An" not in caplog.text


def _stored(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "trolyso.db") as db:
        return int(db.execute("SELECT count(*) FROM field_logs").fetchone()[0])


def test_the_command_apologizes_for_a_bug_and_stores_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TROLYSO_DATA_DIR", str(tmp_path))
    path = tmp_path / "so-ghi-chep.csv"
    path.write_text(
        "ngay,xa_phuong,dich_vu,so_nguoi\n12/10/2025,xa ia grai gia lai,vneid_activation,5\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(Parser, "row", _broken_row)
    assert main(["fieldlog", "import", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out.strip() == format_internal_error("so-ghi-chep.csv")
    assert "Traceback" not in out + err
    assert _stored(tmp_path) == 0
    monkeypatch.undo()
    monkeypatch.setenv("TROLYSO_DATA_DIR", str(tmp_path))
    assert main(["fieldlog", "import", str(path)]) == 0  # the same file, once the bug is gone
    assert "Đã nhập 1 dòng" in capsys.readouterr().out
    assert _stored(tmp_path) == 1
