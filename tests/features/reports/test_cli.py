"""`trolyso report`: arguments, places, files, exit statuses, and the clock it reports at."""

from __future__ import annotations

import argparse
import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.features.reports.cli import add_report_parser, run_report
from intents.places import Places

CLOCK = datetime(2025, 7, 2, 1, 30, tzinfo=UTC)  # 08:30 on 2 July in Vietnam


def clock() -> datetime:
    return CLOCK


@pytest.fixture(scope="module")
def places() -> Places:
    """The shipped administrative units (34 provinces, 3,321 communes)."""
    return Places.load()


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="trolyso")
    add_report_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["report", *argv])


PERIOD = ("--from", "2025-06-01", "--to", "2025-06-30")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2025-02-30", "tháng 2/2025 không có ngày 30"),
        ("2025-13-01", "không có tháng 13"),
        ("2025/06/01", "không đúng dạng YYYY-MM-DD"),
        ("hôm qua", "không đúng dạng YYYY-MM-DD"),
    ],
)
def test_bad_dates_are_argparse_errors(
    value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse("--from", value, "--to", "2025-06-30")
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "argument --from" in error
    assert message in error


async def test_table_to_stdout_for_a_commune_named_with_its_province(
    contact_db: AsyncEngine, places: Places, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(*PERIOD, "--commune", "ngoc ha", "--province", "Hà Nội")
    assert await run_report(args, contact_db, places, clock) == 0
    out = capsys.readouterr().out
    assert "Phường Ngọc Hà, Hà Nội (mã 00008)" in out
    assert "Hà Nội (mã 01)" in out
    assert "MINH6" in out  # R9 is the only request of Ngọc Hà
    assert "Lan" not in out


async def test_an_ambiguous_commune_lists_the_candidates(
    contact_db: AsyncEngine, places: Places, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_report(parse(*PERIOD, "--commune", "Tân Phú"), contact_db, places, clock) == 2
    error = capsys.readouterr().err
    assert "Có nhiều xã/phường ứng với 'Tân Phú'" in error
    for label in ("Xã Tân Phú, Nghệ An (mã 17272)", "Phường Tân Phú, Hồ Chí Minh (mã 27031)"):
        assert label in error
    assert error.count("  - ") == 6  # every province that has one, not only the first five
    assert "--province" in error

    capsys.readouterr()
    args = parse(*PERIOD, "--commune", "Tân Phú", "--province", "tphcm")
    assert await run_report(args, contact_db, places, clock) == 0
    assert "Phường Tân Phú, Hồ Chí Minh (mã 27031)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--province", "Atlantis"), "Không tìm thấy tỉnh/thành phố 'Atlantis'"),
        (("--commune", "Ngọc Hà", "--province", "79"), "'Ngọc Hà' trong tỉnh/thành phố đã"),
        (("--commune", "Ba Đình", "--province", "79"), "Phường Gia Định, Hồ Chí Minh"),
        (("--commune", "zzzzzz qqqq"), "Không tìm thấy xã/phường 'zzzzzz qqqq'"),
        (("--commune", "00004", "--province", "79"), "không thuộc tỉnh/thành phố"),
        (("--team", "999"), "không có tổ số 999"),
        (("--format", "png"), "định dạng png cần --output"),
    ],
)
async def test_unusable_arguments_exit_2(
    contact_db: AsyncEngine,
    places: Places,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    message: str,
) -> None:
    assert await run_report(parse(*PERIOD, *argv), contact_db, places, clock) == 2
    assert message in capsys.readouterr().err


async def test_period_ending_before_it_starts(
    contact_db: AsyncEngine, places: Places, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse("--from", "2025-06-30", "--to", "2025-06-01")
    assert await run_report(args, contact_db, places, clock) == 2
    assert "--to 2025-06-01 đứng trước --from 2025-06-30" in capsys.readouterr().err


async def test_files_by_code(contact_db: AsyncEngine, places: Places, tmp_path: Path) -> None:
    xlsx, table, png = tmp_path / "bao-cao.xlsx", tmp_path / "bao-cao.txt", tmp_path / "b.png"
    args = parse(*PERIOD, "--province", "01", "--output", str(table))
    assert await run_report(args, contact_db, places, clock) == 0
    assert "Hà Nội (mã 01)" in table.read_text(encoding="utf-8")
    args = parse(*PERIOD, "--commune", "00004", "--format", "xlsx", "--output", str(xlsx))
    assert await run_report(args, contact_db, places, clock) == 0
    workbook = load_workbook(xlsx)
    overview = {row[0]: row[1] for row in workbook["Tổng quan"].iter_rows(values_only=True)}
    assert overview["Xã/phường/đặc khu"] == "Phường Ba Đình, Hà Nội (mã 00004)"
    assert overview["Tổng số yêu cầu hỗ trợ"] == 7
    args = parse(*PERIOD, "--format", "png", "--output", str(tmp_path / "missing" / "b.png"))
    assert await run_report(args, contact_db, places, clock) == 1  # the folder does not exist
    assert not png.exists()


async def test_png_without_the_charts_extra_says_what_to_install(
    contact_db: AsyncEngine,
    places: Places,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 11 §17: without matplotlib, `--format png` ended in a traceback."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name)
    )
    png = tmp_path / "b.png"
    args = parse(*PERIOD, "--format", "png", "--output", str(png))
    assert await run_report(args, contact_db, places, clock) == 1
    err = capsys.readouterr().err
    assert "trolyso[charts]" in err
    assert "Traceback" not in err
    assert not png.exists()


# --- Byte for byte what the command wrote before the report became a feature folder ----------

GOLDEN = Path(__file__).parent / "golden"
# Written by the code of commit 558a274 (bot/report_cli.py, storage/reports.py) on the
# figures suite's example database, with its clock fixed at CLOCK.
GOLDEN_CASES = {
    "june-table.txt": ["--format", "table"],
    "june.csv": ["--format", "csv"],
    "june.xlsx": ["--format", "xlsx"],
    "hanoi-ngoc-ha.txt": ["--province", "01", "--commune", "ngoc ha"],
    "team-1.csv": ["--team", "1", "--format", "csv"],
    "hcm-summer.txt": ["--from", "2025-05-01", "--to", "2025-07-31", "--province", "79"],
}


def xlsx_parts(data: bytes) -> dict[str, bytes]:
    """Every member of the workbook, except the wall-clock times openpyxl stamps on it."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["docProps/core.xml"] = re.sub(
        rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\1", parts["docProps/core.xml"]
    )
    return parts


@pytest.mark.parametrize("name", GOLDEN_CASES)
async def test_output_is_byte_identical_to_before(
    name: str, contact_db: AsyncEngine, places: Places, tmp_path: Path
) -> None:
    argv = GOLDEN_CASES[name]
    period = [] if "--from" in argv else list(PERIOD)
    written = tmp_path / name
    args = parse(*period, *argv, "--output", str(written))
    assert await run_report(args, contact_db, places, clock) == 0
    expected = (GOLDEN / name).read_bytes()
    if name.endswith(".xlsx"):
        assert xlsx_parts(written.read_bytes()) == xlsx_parts(expected)
    else:
        assert written.read_bytes() == expected


async def test_stdout_is_the_file_and_the_time_is_the_clocks(
    contact_db: AsyncEngine, places: Places, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_report(parse(*PERIOD), contact_db, places, clock) == 0
    out = capsys.readouterr().out
    assert out == (GOLDEN / "june-table.txt").read_text(encoding="utf-8")
    assert "Lập lúc           : 02/07/2025 08:30 (giờ Việt Nam)" in out
