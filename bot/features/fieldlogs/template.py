"""The field-log template a leader starts from (content/field_log_template.csv).

The header in Vietnamese and two example rows; the examples' notes say to delete them, and the
import refuses rows that still say so (`parsing`), so a template sent back unchanged stores
nothing. A test keeps the shipped file equal to `template_csv_bytes()`.
"""

from __future__ import annotations

import csv
import io
from typing import Final

__all__ = [
    "EXAMPLE_NOTE",
    "TEMPLATE_HEADER",
    "TEMPLATE_ROWS",
    "template_csv",
    "template_csv_bytes",
]

EXAMPLE_NOTE: Final = "Ví dụ: xóa dòng này trước khi nhập"

TEMPLATE_HEADER: Final = (
    "Ngày",
    "Xã/Phường",
    "Địa điểm",
    "Dịch vụ",
    "Số người",
    "Thời gian (phút)",
    "Tình nguyện viên",
    "Ghi chú",
)
TEMPLATE_ROWS: Final = (
    (
        "05/10/2025",
        "Phường Ba Đình",
        "Nhà văn hóa tổ dân phố 5",
        "Kích hoạt tài khoản VNeID; Nộp hồ sơ dịch vụ công trực tuyến",
        "12",
        "120",
        "Nguyễn Văn An",
        EXAMPLE_NOTE,
    ),
    (
        "12/10/2025",
        "",
        "Đến từng nhà, thôn Đông",
        "vneid_activation; cashless_setup",
        "3",
        "",
        "Trần Thị Bình",
        f"{EXAMPLE_NOTE}. Xã/Phường để trống: dùng xã/phường của tổ",
    ),
)


def template_csv() -> str:
    """A sample file: the header and two example rows (which the import refuses to store)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TEMPLATE_HEADER)
    writer.writerows(TEMPLATE_ROWS)
    return out.getvalue()


def template_csv_bytes() -> bytes:
    """The template as Excel opens it with Vietnamese letters intact: UTF-8 with a BOM."""
    return template_csv().encode("utf-8-sig")
