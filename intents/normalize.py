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

__all__ = ["Token", "fold", "normalize", "normalize_scanned", "normalize_tokens", "tokenize"]


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
_REPEAT = re.compile(r"([a-z])\1")  # what both patterns above need to change a word


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


class _FoldTable(dict[int, str]):
    """`str.translate` table from `_fold_char`, filled on first sight of each character.

    `raw=False` maps a character to its folded letter, '' (dropped) or ' ' (a word break);
    `raw=True` keeps letters as typed and maps the rest the same way, so the two translations
    of a text break into words at the same places and their words align letter by letter.
    """

    def __init__(self, raw: bool) -> None:
        super().__init__()
        self.raw = raw

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded, has_mark = _fold_char(char)
        if not folded and has_mark:
            _COMBINING.add(char)
        value = char if self.raw and folded not in ("", " ") else folded
        if len(self) < _TABLE_LIMIT:  # bounded: junk input must not grow memory
            self[code] = value
        return value


_TABLE_LIMIT = 20_000
_COMBINING: set[str] = set()  # combining marks seen (NFC could not compose them)
_FOLDED = _FoldTable(raw=False)
_RAW = _FoldTable(raw=True)
_ASCII_WORD = re.compile(r"[a-z0-9]+")


def tokenize(text: str) -> list[Token]:
    """Split a message into folded tokens, remembering which tokens were typed with diacritics."""
    return [Token(folded, marked, raw) for folded, marked, raw in _scan(text)]


def _scan(text: str) -> list[tuple[str, bool, str]]:
    """The tokens of `tokenize` as plain tuples (folded, marked, raw): cheaper to make and hash.

    Two `str.translate` passes (folded and as typed) instead of a loop over characters: the
    same tokens as `_tokenize_chars`, several times faster.
    """
    lowered = unicodedata.normalize("NFC", text).lower()
    if lowered.isascii():
        return [(word, False, word) for word in _ASCII_WORD.findall(lowered)]
    folded_words = lowered.translate(_FOLDED).split(" ")
    if not _COMBINING.isdisjoint(lowered):
        # A stray combining mark marks its word: rare, read one character at a time.
        return [(t.text, t.marked, t.raw) for t in _tokenize_chars(lowered)]
    raw_words = lowered.translate(_RAW).split(" ")
    tokens: list[tuple[str, bool, str]] = []
    for folded, raw in zip(folded_words, raw_words, strict=True):
        if folded:
            # A word is marked when folding changed a letter other than đ (a letter, no mark).
            marked = folded != raw and folded != raw.replace("đ", "d").replace("ð", "d")
            tokens.append((folded, marked, raw))
    return tokens


def _tokenize_chars(lowered: str) -> list[Token]:
    """Tokenize a lowercased NFC text one character at a time (the reference for `tokenize`)."""
    tokens: list[Token] = []
    letters: list[str] = []
    raw: list[str] = []
    marked = False
    for char in lowered:
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
    if word in protected or word.isdigit() or not _REPEAT.search(word):
        return word  # nothing to squeeze: most words, and the cheap test
    return _DOUBLE.sub(r"\1", _LONG_RUN.sub(r"\1", word))


def fold(text: str, protected: Iterable[str] = ()) -> str:
    """Fold a message to lowercase ASCII words: no marks, đ→d, no punctuation, no elongations."""
    keep = frozenset(protected)
    return " ".join(_squeeze(folded, keep) for folded, _, _ in _scan(text))


def normalize_tokens(text: str, lexicon: Lexicon) -> list[str]:
    """Return the matching key of a message as a list of folded words.

    Steps: fold, squeeze elongations, drop fillers ("ạ", "nhé"; a filler typed without marks
    such as "nha" is dropped, but "nhà" typed with marks is a word and kept), expand teencode
    on unmarked tokens, then rewrite synonym phrases to their canonical form.
    """
    return normalize_scanned(_scan(text), lexicon)


def normalize_scanned(tokens: Iterable[tuple[str, bool, str]], lexicon: Lexicon) -> list[str]:
    """`normalize_tokens` of tokens already scanned as (folded, marked, raw) triples: for a
    part of a message cut from its tokens (intents/questions.py), without scanning it again."""
    words: list[str] = []
    memo = lexicon.token_memo
    for folded, marked, raw in tokens:
        # What a token becomes depends on its folded form alone, or, typed with marks, on
        # how it was typed (the folded form follows from it).
        key = "\x01" + raw if marked else folded
        found = memo.get(key)
        if found is None:
            found = _token_words(folded, marked, raw, lexicon)
            if len(memo) < _MEMO_LIMIT:  # bounded: junk input must not grow memory
                memo[key] = found
        words.extend(found)
    return lexicon.rewrite_synonyms(words)


_MEMO_LIMIT = 50_000


def _token_words(text: str, marked: bool, raw: str, lexicon: Lexicon) -> tuple[str, ...]:
    """What one token becomes: nothing (noise, a filler), its teencode expansion, or itself."""
    if len(text) >= 3 and len(set(text)) == 1 and text not in lexicon.protected:
        return ()  # "jjjjjjj", "????" leftovers, "1111": keyboard noise, not a word
    word = _squeeze(text, lexicon.protected)
    if (raw if marked else word) in lexicon.fillers:
        return ()
    if not marked:
        expansion = lexicon.teencode.get(word)
        if expansion is None and word != text:
            expansion = lexicon.teencode.get(text)
        if expansion is not None:
            return tuple(expansion)
    return (word,)


def normalize(text: str, lexicon: Lexicon) -> str:
    """Return the matching key of a message as one space-separated string."""
    return " ".join(normalize_tokens(text, lexicon))
