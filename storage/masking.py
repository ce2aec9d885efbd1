"""Mask personal data in message text before it is stored anywhere.

Personal Data Protection Law 91/2025/QH15 and Decree 356/2025: the bot keeps only what it needs.
ID numbers, phone numbers, bank account and card numbers, e-mail addresses, OTP codes and
passwords are replaced by a label before any text reaches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from intents.normalize import tokenize

__all__ = ["Masked", "mask"]

_SEP = r"[ .\-]?"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(rf"(?<!\d)(\+?84|0){_SEP}[35789]\d(?:{_SEP}\d){{7}}(?!\d)")
# A chip ID (căn cước) has 12 digits, however they are grouped or spaced.
_ID_CARD = re.compile(rf"(?<!\d)(?<!\d[ .\-])\d(?:{_SEP}\d){{11}}(?![ .\-]?\d)")
_LONG_NUMBER = re.compile(r"(?<!\d)\d(?:[ .\-]?\d){7,18}(?!\d)")  # accounts, cards, old CMND
# 4 to 8 digits, maybe spaced or dashed ("1 2 3 4 5 6", "12-34-56"): a code, when the text
# speaks of codes or passwords.
_CODE = re.compile(r"(?<![\d/])\d(?:[ .\-]?\d){3,7}(?![\d/])")
_SECRET_WORDS = re.compile(
    r"\b(otp|code|ma xac (thuc|nhan)|mat khau|mk|pass(word)?|ma pin|pin|ma so)\b"
)
# "mã là 482913", "mã của tôi 482913": a code right after the word "mã", even without "OTP".
_CODE_AFTER_MA = re.compile(
    r"(\bm[aãáàảạ]\b\s*(?:(?:l[aà]|s[oố]|c[uủ]a\s+\S+)\s*)?[:=]?\s*)"
    r"(\d(?:[ .\-]?\d){3,7})(?![\d/])",
    re.IGNORECASE,
)
# The value after "mật khẩu là", "pass =" ...: up to five words, until a word that starts the
# rest of the sentence ("... mà không vào được") or a punctuation mark. A password may have
# spaces ("p@ss w0rd"); masking a word too many is better than leaving half a password.
_PASSWORD_VALUE = re.compile(
    r"((?:mật khẩu|mat khau|password|pass|mk)\s*(?:là|la|:|=)\s*)"
    r"(?!(?:gì|gi|j|sao|bao|như|nhu|thế|the|ntn|ở|o|cái|cai)\b)"  # a question, not a value
    r"([^\s,;]+(?:\s+(?!(?:mà|ma|nhưng|nhung|rồi|roi|thì|thi|nên|nen|vẫn|van|không|khong|"
    r"mới|moi|ạ|a|nhé|nhe)\b)[^\s,;]+){0,4})",
    re.IGNORECASE,
)


def _plain(text: str) -> str:
    """Lowercase words without marks (no squeezing: "pass" stays "pass")."""
    return " ".join(token.text for token in tokenize(text))


@dataclass(frozen=True)
class Masked:
    """Masked text, and what kinds of data were found (to warn the citizen)."""

    text: str
    found: frozenset[str]

    @property
    def secret(self) -> bool:
        """An OTP, password or ID number: things the bot must tell citizens never to send."""
        return bool(self.found & {"otp", "password", "id_card"})


def mask(text: str, limit: int | None = None) -> Masked:
    """Replace personal data in `text` by labels such as [số điện thoại].

    With `limit`, the masked text is cut to that many characters: masking comes first, so a
    number is never cut in half and left readable, and a text that grew by its labels still
    fits the column it is stored in.
    """
    found: set[str] = set()

    def label(kind: str, shown: str) -> str:
        found.add(kind)
        return shown

    text = _EMAIL.sub(lambda _: label("email", "[email]"), text)
    text = _PHONE.sub(lambda _: label("phone", "[số điện thoại]"), text)
    text = _ID_CARD.sub(lambda _: label("id_card", "[số định danh]"), text)
    text = _LONG_NUMBER.sub(lambda _: label("account", "[số tài khoản]"), text)
    text = _CODE_AFTER_MA.sub(lambda m: m.group(1) + label("otp", "[mã bí mật]"), text)
    if _SECRET_WORDS.search(_plain(text)):
        text = _PASSWORD_VALUE.sub(
            lambda m: (
                m.group(1) + label("password", "[mật khẩu]")
                if not m.group(2).startswith("[")
                else m.group(0)
            ),
            text,
        )
        text = _CODE.sub(lambda _: label("otp", "[mã bí mật]"), text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return Masked(text, frozenset(found))
