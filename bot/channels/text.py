"""Cutting long texts into platform-sized messages, shared by every channel adapter."""

from __future__ import annotations

__all__ = ["split_text", "text_length"]

# Where a long text may be cut, best first after paragraphs and lines: sentence, then word.
_SENTENCE_ENDS = (". ", "! ", "? ", "… ", "; ", ": ")


def text_length(text: str) -> int:
    """Length as the apps may count it (UTF-16 units: an emoji counts twice). Cautious."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def _cut_at(text: str, fit: int) -> int:
    """Where to cut `text`, so that `text[:cut]` has at most `fit` characters."""
    floor = fit // 2  # never leave a tiny chunk behind a separator found too early
    for separator in ("\n\n", "\n"):
        found = text.rfind(separator, 0, fit + 1)
        if found >= floor:
            return found
    best = max(text.rfind(end, 0, fit + 1) for end in _SENTENCE_ENDS)
    if best >= floor:
        return best + 1  # keep the full stop with its sentence
    space = text.rfind(" ", 0, fit + 1)
    return space if space > 0 else fit


def split_text(text: str, limit: int) -> list[str]:
    """Cut a text into pieces of at most `limit`, at paragraph, line, sentence or space."""
    rest = text.strip()
    chunks: list[str] = []
    while text_length(rest) > limit:
        cut = max(_cut_at(rest, _fit(rest, limit)), 1)
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if head:
            chunks.append(head)
    if rest:
        chunks.append(rest)
    return chunks
