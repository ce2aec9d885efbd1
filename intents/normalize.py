"""Vietnamese text normalization: the matching key for citizen messages.

Pure functions, no I/O. Citizens type with or without diacritics, in NFC or NFD, with teencode
("ko", "dc") and elongations ("khônggg"); matching compares folded keys so that all of these
meet. Teencode is expanded only on tokens typed *without* diacritics: "ko" is "không", but a
token typed as "hồng" is never read as the Southern "hông" (không).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from intents.lexicon import Lexicon

__all__ = ["Token", "fold", "normalize", "normalize_tokens", "tokenize"]


def _build_fold_table() -> dict[int, str]:
    """Map every Latin letter with marks in U+00C0-U+024F and U+1E00-U+1EFF to its base letter."""
    table: dict[int, str] = {}
    for start, end in ((0x00C0, 0x024F), (0x1E00, 0x1EFF)):
        for code in range(start, end + 1):
            base = unicodedata.normalize("NFD", chr(code))[0].lower()
            if "a" <= base <= "z":
                table[code] = base
    # đ has no decomposition; ð (eth) is the usual mojibake of đ in legacy data.
    for letter in "đĐðÐ":
        table[ord(letter)] = "d"
    return table


_FOLD = _build_fold_table()
_SPACES = frozenset("\u200b\u00a0\u2028\u2029\u3000")
_REMOVED = frozenset("\u200c\u200d\ufeff\u00ad")
_LONG_RUN = re.compile(r"([a-z])\1{2,}")
_DOUBLE = re.compile(r"([a-np-z])\1")  # "oo" is legitimate (xoong, boong); other doubles are typos


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a message: its folded form and whether the user typed any diacritic in it."""

    text: str
    marked: bool
    raw: str = ""


def _fold_char(char: str) -> tuple[str, bool]:
    """Fold one lowercase NFC character: (ascii result or '' or ' ', whether it carried a mark)."""
    if "a" <= char <= "z" or "0" <= char <= "9":
        return char, False
    if char in "đð":
        return "d", False  # đ is a letter, not a diacritic: "đc" is still teencode
    mapped = _FOLD.get(ord(char))
    if mapped is not None:
        return mapped, True
    if char in _REMOVED:
        return "", False
    if char in _SPACES:
        return " ", False
    if unicodedata.category(char).startswith("M"):
        return "", True  # a combining mark NFC could not compose: drop it, keep the word whole
    return " ", False


def tokenize(text: str) -> list[Token]:
    """Split a message into folded tokens, remembering which tokens were typed with diacritics."""
    tokens: list[Token] = []
    letters: list[str] = []
    raw: list[str] = []
    marked = False
    for char in unicodedata.normalize("NFC", text).lower():
        folded, has_mark = _fold_char(char)
        if folded == " ":
            if letters:
                tokens.append(Token("".join(letters), marked, "".join(raw)))
            letters, raw, marked = [], [], False
            continue
        marked = marked or has_mark
        if folded:
            letters.append(folded)
            raw.append(char)
    if letters:
        tokens.append(Token("".join(letters), marked, "".join(raw)))
    return tokens


def _squeeze(word: str, protected: frozenset[str]) -> str:
    """Undo elongations ("khongggg", "dcc") except in known abbreviations such as "cccd"."""
    if word in protected or word.isdigit():
        return word
    return _DOUBLE.sub(r"\1", _LONG_RUN.sub(r"\1", word))


def fold(text: str, protected: Iterable[str] = ()) -> str:
    """Fold a message to lowercase ASCII words: no marks, đ→d, no punctuation, no elongations."""
    keep = frozenset(protected)
    return " ".join(_squeeze(token.text, keep) for token in tokenize(text))


def normalize_tokens(text: str, lexicon: Lexicon) -> list[str]:
    """Return the matching key of a message as a list of folded words.

    Steps: fold, squeeze elongations, drop fillers ("ạ", "nhé"; a filler typed without marks
    such as "nha" is dropped, but "nhà" typed with marks is a word and kept), expand teencode
    on unmarked tokens, then rewrite synonym phrases to their canonical form.
    """
    words: list[str] = []
    for token in tokenize(text):
        if (
            len(token.text) >= 3
            and len(set(token.text)) == 1
            and token.text not in lexicon.protected
        ):
            continue  # "jjjjjjj", "????" leftovers, "1111": keyboard noise, not a word
        word = _squeeze(token.text, lexicon.protected)
        if (token.raw if token.marked else word) in lexicon.fillers:
            continue
        if not token.marked:
            expansion = lexicon.teencode.get(word)
            if expansion is None and word != token.text:
                expansion = lexicon.teencode.get(token.text)
            if expansion is not None:
                words.extend(expansion)
                continue
        words.append(word)
    return lexicon.rewrite_synonyms(words)


def normalize(text: str, lexicon: Lexicon) -> str:
    """Return the matching key of a message as one space-separated string."""
    return " ".join(normalize_tokens(text, lexicon))
