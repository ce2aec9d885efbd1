"""A message scanned once (intents/questions.py `scan_clauses`) gives the words and questions of
scanning it whole and then each clause and question again, as `Matcher.match` first did.

The reference is the code it replaced, kept here: every clause re-scanned as text.
"""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from content import Content
from intents import Lexicon, normalize_tokens
from intents.evaluation import load_cases
from intents.normalize import fold, normalize_scanned, tokenize
from intents.questions import (
    _BREAKS,
    _COMMA_CONNECTORS,
    _COMMAS,
    MAX_PARTS,
    MIN_WORDS,
    _cut_at_connectors,
    scan_clauses,
    split_questions,
    words_of,
)
from tests.conftest import DATA


def _clauses_reference(text: str, lexicon: Lexicon) -> list[str]:
    clauses: list[str] = []
    for piece in _BREAKS.split(text):
        pending = ""
        previous = ""
        for clause in _COMMAS.split(piece):
            if pending:
                opener = tuple(fold(clause).split()[:2])
                opens = opener[:1] in _COMMA_CONNECTORS or opener in _COMMA_CONNECTORS
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


def _split_reference(text: str, lexicon: Lexicon) -> list[list[str]]:
    parts: list[list[str]] = []
    for piece in _clauses_reference(text, lexicon):
        tokens = [(t.text, t.marked, t.raw) for t in tokenize(piece)]
        for chunk in _cut_at_connectors(tokens):
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


# Words and marks that cut, join and rewrite: connectors, question words, fillers, teencode,
# marks typed apart (NFD), a stray combining mark, characters that fold oddly.
PIECES = [
    "với lại",
    "vs lại",
    "ngoài ra",
    "hỏi thêm",
    "và",
    "vàaa",
    "còn",
    "Cònnn",
    "với cả",
    "cùng với",
    "ở đâu",
    "o dau",
    "thế nào",
    "là gì",
    "bao giờ",
    "tại sao",
    "làm căn cước",
    "mat khau vneid",
    "ko",
    "dc",
    "ạ",
    "nhé",
    "nha",
    "nhà",
    "khônggg",
    "cccd",
    "đăng ký",
    "đa\u0306ng",
    "\u0301a",
    "İ",
    "ΑΣ",
    "😀",
    "1111",
    "Email",
]
SEPARATORS = [" ", " ", " ", ", ", ",", ";", " , ", ", , ", "? ", "?", "？", "!", "\n", ",,", "\t"]
messages = st.lists(
    st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)), max_size=14
).map(lambda pairs: "".join(piece + separator for piece, separator in pairs))
any_text = st.text(
    alphabet=st.sampled_from("aăâđeêoôơuưy àáạđ?？!,;.\n\t\u0301\u0323 İΣ😀"), max_size=40
)


@given(st.one_of(messages, any_text))
@example("tôi muốn làm căn cước, vàaa đăng ký tạm trú thì sao")  # an elongated opener
@example("làm căn cước ở đâu, , và đăng ký tạm trú?? ngoài ra hỏi thêm mật khẩu")
@settings(max_examples=600)
def test_words_and_questions_scanned_once_are_those_scanned_again(
    content: Content, text: str
) -> None:
    lexicon = content.lexicon
    clauses = scan_clauses(text)
    assert words_of(clauses, lexicon) == normalize_tokens(text, lexicon)
    assert split_questions(text, lexicon) == _split_reference(text, lexicon)


def test_the_evaluation_set_splits_as_before(content: Content) -> None:
    lexicon = content.lexicon
    cut = 0
    for case in load_cases(DATA / "eval_set.jsonl"):
        clipped = case.text[:600]
        assert words_of(scan_clauses(clipped), lexicon) == normalize_tokens(clipped, lexicon)
        parts = split_questions(clipped, lexicon)
        assert parts == _split_reference(clipped, lexicon), case.text
        cut += len(parts) > 1
    assert cut >= 20  # the set exercises messages of two questions
