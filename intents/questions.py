"""Find the separate questions in one message ("... không đăng nhập được, với lại trả tiền sao").

A citizen often asks two things at once. The message is cut at question marks and line breaks,
then at explicit connectors that start a new question ("với lại", "ngoài ra", "hỏi thêm"...).
Commas and full stops are not cuts: they mostly separate a story from its question. Parts too
short to be a question on their own are glued to the previous part.
"""

from __future__ import annotations

import re

from intents.lexicon import Lexicon
from intents.normalize import Token, fold, normalize_scanned, normalize_tokens, tokenize

__all__ = ["CONNECTORS", "split_questions"]

# Folded phrases that start a second question. Kept narrow on purpose: "và" or "còn" alone also
# join two halves of one question ("VNeID và dịch vụ công").
CONNECTORS: tuple[tuple[str, ...], ...] = tuple(
    tuple(fold(phrase).split())
    for phrase in (
        "với lại",
        "vs lại",
        "mà với lại",
        "ngoài ra",
        "thêm nữa",
        "còn nữa là",
        "hỏi thêm",
        "cho hỏi thêm",
        "tiện hỏi",
        "tiện thể hỏi",
        "một câu nữa",
        "câu nữa là",
        "còn một chuyện nữa",
        "còn chuyện nữa",
        "cái nữa là",
        "thêm câu nữa",
    )
)
_BREAKS = re.compile(r"[?？!\n]+")
_COMMAS = re.compile(r"[,;]+")
# Words that open a new question right after a comma (folded).
_COMMA_CONNECTORS = frozenset(
    tuple(fold(phrase).split()) for phrase in ("và", "còn", "với cả", "vs", "thêm", "cùng với")
)
MIN_WORDS = 3
MAX_PARTS = 3


def _index_connectors() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Connectors by their first word, in CONNECTORS order: most words start none."""
    found: dict[str, list[tuple[str, ...]]] = {}
    for connector in CONNECTORS:
        found.setdefault(connector[0], []).append(connector)
    return {word: tuple(connectors) for word, connectors in found.items()}


_BY_FIRST_WORD = _index_connectors()


def _cut_at_connectors(tokens: list[Token]) -> list[list[Token]]:
    folded = [token.text for token in tokens]
    parts: list[list[Token]] = [[]]
    index = 0
    while index < len(tokens):
        for connector in _BY_FIRST_WORD.get(folded[index], ()):
            size = len(connector)
            if tuple(folded[index : index + size]) == connector:
                parts.append([])
                index += size
                break
        else:
            parts[-1].append(tokens[index])
            index += 1
    return parts


def _clauses(text: str, lexicon: Lexicon) -> list[str]:
    """Cut at question marks and line breaks; at a comma only where a new question starts.

    A comma starts a new question when the clause before it already asked one ("... ở đâu,")
    or the clause after it opens with "và", "còn", "với cả"...: "làm căn cước ở đâu, và đăng ký
    tạm trú thế nào". Other commas separate a story from its question and are kept.
    """
    clauses: list[str] = []
    for piece in _BREAKS.split(text):
        pending = ""
        previous = ""  # the last clause of `pending`
        for clause in _COMMAS.split(piece):
            if pending:
                opener = tuple(fold(clause).split()[:2])
                opens = opener[:1] in _COMMA_CONNECTORS or opener in _COMMA_CONNECTORS
                # Whether the clause before asked a question: only worked out when it matters.
                if opens or lexicon.question_kinds(normalize_tokens(previous, lexicon)):
                    clauses.append(pending)
                    pending = clause
                else:
                    pending = f"{pending}, {clause}"
            else:
                pending = clause
            previous = clause
        clauses.append(pending)
    return clauses


def split_questions(text: str, lexicon: Lexicon) -> list[list[str]]:
    """The message's questions as lists of normalized words; one part when there is one."""
    parts: list[list[str]] = []
    for piece in _clauses(text, lexicon):
        # Connectors are found on folded words before the lexicon drops or rewrites any; each
        # part is then normalized from the words as typed (marks decide teencode and fillers).
        for chunk in _cut_at_connectors(tokenize(piece)):
            words = normalize_scanned([(t.text, t.marked, t.raw) for t in chunk], lexicon)
            if not words:
                continue
            if parts and len(words) < MIN_WORDS:
                parts[-1].extend(words)
            else:
                parts.append(words)
    if len(parts) > 1 and len(parts[0]) < MIN_WORDS:
        parts[1] = parts[0] + parts[1]
        del parts[0]
    return parts[:MAX_PARTS]
