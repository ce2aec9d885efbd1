"""Vietnamese tone-mark placement: one style for display, de-duplication and comparison.

The same word is written "hòa" (old style) or "hoà" (new style), and people misplace marks
("tòan"). Matching keys are folded so they do not care, but content checks and displays do.
`unify_tones` removes each syllable's tone mark and puts it back by rule.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["unify_tones"]

_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")  # grave, acute, tilde, hook, dot below
_QUALITY = frozenset("\u0306\u0302\u031b")  # breve, circumflex, horn: part of the vowel itself
_VOWELS = frozenset("aeiouy")
_WORD = re.compile(r"[^\W\d_]+")
_OPEN_PAIRS_NEW_STYLE = frozenset({"oa", "oe", "uy"})


def _split_tone(syllable: str) -> tuple[list[str], str | None]:
    """Return the syllable's letters without tone mark (NFD per letter) and the tone mark."""
    tone: str | None = None
    letters: list[str] = []
    for char in syllable:
        parts = unicodedata.normalize("NFD", char)
        kept = "".join(part for part in parts if part not in _TONES)
        for part in parts:
            if part in _TONES and tone is None:
                tone = part
        letters.append(kept)
    return letters, tone


def _base(letter: str) -> str:
    return letter[0].lower()


def _tone_position(letters: list[str], new_style: bool) -> int | None:
    """Index of the letter that carries the tone, by the orthographic rules."""
    bases = [_base(letter) for letter in letters]
    start = 0
    while start < len(bases) and bases[start] not in _VOWELS:
        start += 1
    if start == len(bases):
        return None
    word_start = "".join(bases[:start])
    # "qu" and "gi" (before another vowel) belong to the initial consonant.
    if (
        (
            (word_start == "q" and bases[start] == "u")
            or (word_start == "g" and bases[start] == "i" and start + 1 < len(bases))
        )
        and start + 1 < len(bases)
        and bases[start + 1] in _VOWELS
    ):
        start += 1
    end = start
    while end < len(bases) and bases[end] in _VOWELS:
        end += 1
    nucleus = range(start, end)
    marked = [i for i in nucleus if any(part in _QUALITY for part in letters[i][1:])]
    if marked:
        return marked[-1]
    if end < len(bases):  # closed syllable: the last vowel
        return end - 1
    size = end - start
    if size == 1:
        return start
    if size >= 3:
        return start + 1
    pair = bases[start] + bases[start + 1]
    if pair in _OPEN_PAIRS_NEW_STYLE and new_style:
        return start + 1
    return start


def _unify_syllable(syllable: str, new_style: bool) -> str:
    letters, tone = _split_tone(syllable)
    if tone is None:
        return unicodedata.normalize("NFC", syllable)
    position = _tone_position(letters, new_style)
    if position is None:
        return unicodedata.normalize("NFC", syllable)
    letters[position] = letters[position] + tone
    return unicodedata.normalize("NFC", "".join(letters))


def unify_tones(text: str, new_style: bool = False) -> str:
    """Put every syllable's tone mark in one place: old style "hòa" or new style "hoà"."""
    text = unicodedata.normalize("NFC", text)
    return _WORD.sub(lambda match: _unify_syllable(match.group(0), new_style), text)
