"""Find the separate questions in one message ("... không đăng nhập được, với lại trả tiền sao").

A citizen often asks two things at once. The message is cut at question marks and line breaks,
then at explicit connectors that start a new question ("với lại", "ngoài ra", "hỏi thêm"...).
Commas and full stops are not cuts: they mostly separate a story from its question. Parts too
short to be a question on their own are glued to the previous part.

Every clause (cut at question marks, line breaks, commas) is scanned once (`scan_clauses`): the
parts are cut from its tokens, and the whole message's words are its tokens normalized, the same
words as normalizing the message itself, since the marks a message is cut at break words anyway.
"""

from __future__ import annotations

import re

from intents.lexicon import Lexicon
from intents.normalize import _scan, _squeeze, fold, normalize_scanned

__all__ = ["CONNECTORS", "Clause", "scan_clauses", "split_questions", "split_scanned", "words_of"]

Scanned = tuple[str, bool, str]  # a token as intents.normalize scans it: (folded, marked, raw)
Clause = list[Scanned]  # the tokens of a clause of a message

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


def _cut_at_connectors(tokens: list[Scanned]) -> list[list[Scanned]]:
    folded = [token[0] for token in tokens]
    parts: list[list[Scanned]] = [[]]
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


def scan_clauses(text: str) -> list[list[Clause]]:
    """The message cut at question marks and line breaks, each piece at its commas: every
    clause's tokens, scanned once."""
    return [[_scan(clause) for clause in _COMMAS.split(piece)] for piece in _BREAKS.split(text)]


def words_of(pieces: list[list[Clause]], lexicon: Lexicon) -> list[str]:
    """The normalized words of the whole message (`normalize_tokens` of its text): its
    clauses' tokens in order, since the marks it was cut at only ever break words."""
    return normalize_scanned(
        [token for piece in pieces for tokens in piece for token in tokens], lexicon
    )


_KEEP: frozenset[str] = frozenset()  # `fold` squeezes every word


def _clauses(pieces: list[list[Clause]], lexicon: Lexicon) -> list[list[Scanned]]:
    """Cut at question marks and line breaks; at a comma only where a new question starts.

    A comma starts a new question when the clause before it already asked one ("... ở đâu,")
    or the clause after it opens with "và", "còn", "với cả"...: "làm căn cước ở đâu, và đăng ký
    tạm trú thế nào". Other commas separate a story from its question and are kept. Each
    question's tokens are its clauses' (the tokens of the clauses joined by ", "). A clause with
    no words (",,", ", ?") cuts nothing: whether it is kept or dropped, the words are the same.
    """
    clauses: list[list[Scanned]] = []
    for piece in pieces:
        pending: list[Scanned] = []
        previous: list[Scanned] = []  # the tokens of the last clause of `pending`
        for tokens in piece:
            if pending:
                opener = tuple(_squeeze(folded, _KEEP) for folded, _, _ in tokens[:2])
                opens = opener[:1] in _COMMA_CONNECTORS or opener in _COMMA_CONNECTORS
                # Whether the clause before asked a question: only worked out when it matters.
                if opens or lexicon.question_kinds(normalize_scanned(previous, lexicon)):
                    clauses.append(pending)
                    pending = list(tokens)
                else:
                    pending.extend(tokens)  # "pending, clause"
            else:
                pending = list(tokens)
            previous = tokens
        clauses.append(pending)
    return clauses


def split_questions(text: str, lexicon: Lexicon) -> list[list[str]]:
    """The message's questions as lists of normalized words; one part when there is one."""
    return split_scanned(scan_clauses(text), lexicon)


def split_scanned(pieces: list[list[Clause]], lexicon: Lexicon) -> list[list[str]]:
    """`split_questions` of a message's clauses (`scan_clauses`)."""
    parts: list[list[str]] = []
    for piece in _clauses(pieces, lexicon):
        # Connectors are found on folded words before the lexicon drops or rewrites any; each
        # part is then normalized from the words as typed (marks decide teencode and fillers).
        for chunk in _cut_at_connectors(piece):
            words = normalize_scanned(chunk, lexicon)
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
