"""The local half of the bad-input corpus: `trolyso fieldlog import` files and chat commands.

A refused file names itself, the line and the column, exits non-zero and stores nothing; a
chat command with bad arguments gets a polite Vietnamese usage line or refusal (a distinctive
phrase of it is asserted) and changes nothing but the conversation's bookkeeping.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from collections.abc import Sequence

import openpyxl

from tests.faults.corpus import Answer, Case, Exit, ImportFile, Say, Who

__all__ = ["CHAT", "HEADER", "IMPORTS", "table"]

HEADER = "ngay,xa_phuong,dich_vu,so_nguoi"
GOOD = "12/10/2025,xa ia grai gia lai,vneid_activation,5"
NOTES = HEADER + ",ghi_chu"
OLD_XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


def table(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _with(old: str, new: str) -> bytes:
    """The good file with one cell changed."""
    return table(GOOD.replace(old, new))


def _workbook(rows: Sequence[Sequence[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip_of_text() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    return out.getvalue()


def _file(id: str, name: str, data: bytes, code: int, *words: str, imported: int = 0) -> Case:
    """A refused file (code 1) must name itself; the words are what else must be said."""
    named = (name, *words) if code else words
    return Case(id, "cli", ImportFile(name, data), Exit(code, named, imported))


GOOD_XLSX = _workbook([HEADER.split(","), GOOD.split(",")])
BAD_CELLS = _workbook([HEADER.split(","), [None, "xa ia grai gia lai", 42, -3]])
LATIN1 = table(GOOD + ",Bà con vui", header=NOTES).decode().encode("latin-1")
FORMULA = table(GOOD + ",\"=cmd|' /C calc'!A0\"", header=NOTES)

IMPORTS = [
    _file("cli-empty-file", "trong.csv", b"", 1, "Tệp trống"),
    _file("cli-only-header", "tieu-de.csv", table(), 1, "chỉ có dòng tiêu đề"),
    _file("cli-utf16", "utf16.csv", table(GOOD).decode().encode("utf-16"), 0, imported=1),
    _file("cli-latin1", "latin1.csv", LATIN1, 1, "UTF-8", "dòng 2"),
    _file("cli-bom", "bom.csv", codecs.BOM_UTF8 + table(GOOD), 0, "Đã nhập 1 dòng", imported=1),
    _file("cli-missing-header", "khong-tieu-de.csv", table(GOOD, header=GOOD), 1, "Thiếu cột"),
    _file(
        "cli-unknown-column",
        "cot-la.csv",
        table(GOOD + ",do", header=HEADER + ",mau_sac"),
        0,
        "mau_sac",
        imported=1,
    ),
    _file("cli-impossible-date", "ngay.csv", _with("12/10", "31/02"), 1, "dòng 2 (ngay)"),
    _file("cli-date-9999-99", "ngay2.csv", _with("12/10/2025", "9999-99"), 1, "dòng 2 (ngay)"),
    _file("cli-future-date", "ngay3.csv", _with("2025", "2099"), 1, "dòng 2 (ngay)"),
    _file("cli-negative-count", "am.csv", _with(",5", ",-5"), 1, "dòng 2 (so_nguoi)"),
    _file("cli-huge-count", "lon.csv", _with(",5", "," + "9" * 20), 1, "dòng 2 (so_nguoi)"),
    _file("cli-formula-count", "cong-thuc.csv", _with(",5", ",=1+1"), 1, "dòng 2 (so_nguoi)"),
    # Stored as the text it is: every export writes it as text, never as a formula.
    _file("cli-formula-notes", "ghi-chu.csv", FORMULA, 0, "Đã nhập 1 dòng", imported=1),
    _file(
        "cli-unknown-service", "dv.csv", _with("vneid_activation", "bay"), 1, "dòng 2 (dich_vu)"
    ),
    _file(
        "cli-mixed-rows",
        "tron.csv",
        table(GOOD, GOOD.replace(",5", ",abc")),
        0,
        "Đã nhập 1 dòng",
        "dòng 3 (so_nguoi)",
        imported=1,
    ),
    _file("cli-nul-bytes", "nul.csv", _with("ia grai", "ia\x00grai"), 1),
    _file("cli-very-long-line", "dai.csv", table(GOOD + "," + "a" * 2_000_000, header=NOTES), 1),
    _file("cli-zero-byte-xlsx", "trong.xlsx", b"", 1, "Tệp trống"),
    _file("cli-zip-not-xlsx", "zip.xlsx", _zip_of_text(), 1, "Excel"),
    _file("cli-truncated-xlsx", "cut.xlsx", GOOD_XLSX[: len(GOOD_XLSX) // 2], 1),
    _file("cli-old-xls", "cu.xls", OLD_XLS, 1, ".xls"),
    _file("cli-pdf-renamed", "bao-cao.csv", PDF, 1),
    _file("cli-xlsx-bad-cells", "o-loi.xlsx", BAD_CELLS, 1, "dòng 2 (ngay)", "dòng 2 (so_nguoi)"),
]


def _say(id: str, who: Who, text: str, *words: str) -> Case:
    return Case(id, "chat", Say(who, text), Answer(words))


def _press(id: str, who: Who, payload: str, *words: str) -> Case:
    return Case(id, "chat", Say(who, payload=payload), Answer(words))


OLD_BUTTON = "Nút này đã cũ"
CHAT = [
    _say("chat-moi-negative", "leader", "/moi -1 -5", "Cách dùng: /moi"),
    _say("chat-moi-words", "leader", "/moi abc", "Cách dùng: /moi"),
    _say("chat-moi-huge", "leader", "/moi 99999999999999999999999 1", "Cách dùng: /moi"),
    _say("chat-moi-5000-digits", "leader", "/moi " + "9" * 5000, "Cách dùng: /moi"),
    _say("chat-moi-by-citizen", "citizen", "/moi 2 7", "chỉ dành cho"),
    _say("chat-thamgia-without-code", "citizen", "/thamgia", "Cách dùng: /thamgia"),
    _say("chat-thamgia-10000-chars", "citizen", "/thamgia " + "A" * 10_000, "Mã mời không đúng"),
    _say("chat-lienket-sql", "citizen", "/lienket ;DROP TABLE people;--", "Mã liên kết không"),
    _say("chat-xa-garbage", "volunteer", "/xa @@##!!%%", "Không tìm thấy xã/phường"),
    _say("chat-baocao-9999-99", "leader", "/baocao 9999-99", "Cách dùng: /baocao"),
    _say("chat-unknown-command", "citizen", "/lenh", "không hiểu lệnh /lenh", "/trogiup"),
    _say("chat-command-with-nul", "citizen", "/tro\x00giup", "Lệnh cho mọi người"),
    _say("chat-only-a-slash", "citizen", "/", "chưa hiểu"),
    _say(
        "chat-goilai-unknown-ref", "citizen", "/goilai HT-ZZZZ", "Không tìm thấy yêu cầu HT-ZZZZ"
    ),
    _say("chat-goilai-10000-chars", "citizen", "/goilai " + "Z" * 10_000, "Không tìm thấy"),
    _say("chat-nhan-sql", "volunteer", "/nhan ;;;' OR 1=1", "Không tìm thấy yêu cầu"),
    _say("chat-toida-huge", "volunteer", "/toida 99999999999999999999", "Cách dùng: /toida"),
    _say("chat-toida-5000-digits", "volunteer", "/toida " + "9" * 5000, "Cách dùng: /toida"),
    _say("chat-toida-superscript", "volunteer", "/toida ²", "Cách dùng: /toida"),
    _say("chat-truc-garbage", "volunteer", "/truc maybe", "Cách dùng: /truc"),
    _say("chat-xoadulieu-wrong-word", "citizen", "/xoadulieu yes", "chắc chắn"),
    _say("chat-field-count-superscript", "counting", "²", "1000"),
    _say("chat-field-count-5000-digits", "counting", "9" * 5000, "1000"),
    _press("chat-rate-0", "rater", "r:{ref}:0", OLD_BUTTON),
    _press("chat-rate-6", "rater", "r:{ref}:6", OLD_BUTTON),
    _press("chat-rate-minus-1", "rater", "r:{ref}:-1", OLD_BUTTON),
    _press("chat-rate-superscript", "rater", "r:{ref}:²", OLD_BUTTON),
    _say("chat-rate-typed-6", "rater", "6", "hiểu"),
    _press("chat-claim-forged", "volunteer", "c:HT-FAKE1", "Không tìm thấy yêu cầu HT-FAKE1"),
    _press("chat-payload-garbage", "citizen", "zz:??", OLD_BUTTON),
    _press("chat-payload-too-long", "citizen", "i:" + "x" * 100, OLD_BUTTON),
    _press("chat-form-expired", "citizen", "k:step:value", OLD_BUTTON),
]
