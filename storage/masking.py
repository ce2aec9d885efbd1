"""Mask personal data in message text before it is stored anywhere.

Personal Data Protection Law 91/2025/QH15 and Decree 356/2025: the bot keeps only what it needs.
ID numbers, phone numbers, bank account and card numbers, e-mail addresses, OTP codes and
passwords are replaced by a label before any text reaches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from intents.normalize import fold

__all__ = ["Masked", "mask"]

_SEP = r"[ .\-]?"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(rf"(?<!\d)(\+?84|0){_SEP}[35789]\d(?:{_SEP}\d){{7}}(?!\d)")
_ID_CARD = re.compile(rf"(?<!\d)\d{{3}}(?:{_SEP}\d{{3}}){{3}}(?!\d)")  # 12 digits, maybe grouped
_LONG_NUMBER = re.compile(r"(?<!\d)\d(?:[ .\-]?\d){7,18}(?!\d)")  # accounts, cards, old CMND
_CODE = re.compile(r"(?<![\d/])\d{4,8}(?![\d/])")
_SECRET_WORDS = re.compile(r"\b(otp|ma xac (thuc|nhan)|mat khau|mk|pass(word)?|ma pin|pin)\b")
_PASSWORD_VALUE = re.compile(
    r"((?:mật khẩu|mat khau|password|pass|mk)\s*(?:là|la|:|=)\s*)(\S+)", re.IGNORECASE
)


@dataclass(frozen=True)
class Masked:
    """Masked text, and what kinds of data were found (to warn the citizen)."""

    text: str
    found: frozenset[str]

    @property
    def secret(self) -> bool:
        """An OTP, password or ID number: things the bot must tell citizens never to send."""
        return bool(self.found & {"otp", "password", "id_card"})


def mask(text: str) -> Masked:
    """Replace personal data in `text` by labels such as [số điện thoại]."""
    found: set[str] = set()

    def label(kind: str, shown: str) -> str:
        found.add(kind)
        return shown

    text = _EMAIL.sub(lambda _: label("email", "[email]"), text)
    text = _PHONE.sub(lambda _: label("phone", "[số điện thoại]"), text)
    text = _ID_CARD.sub(lambda _: label("id_card", "[số định danh]"), text)
    text = _LONG_NUMBER.sub(lambda _: label("account", "[số tài khoản]"), text)
    if _SECRET_WORDS.search(fold(text)):
        text = _PASSWORD_VALUE.sub(
            lambda m: (
                m.group(1) + label("password", "[mật khẩu]")
                if not m.group(2).startswith("[")
                else m.group(0)
            ),
            text,
        )
        text = _CODE.sub(lambda _: label("otp", "[mã bí mật]"), text)
    return Masked(text, frozenset(found))
