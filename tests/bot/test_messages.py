"""Text is cleaned where it enters the core (issue 11 §10)."""

from hypothesis import given
from hypothesis import strategies as st

from bot.messages import ConversationKey, IncomingMessage, clean_text

KEY = ConversationKey("console", "a")


@given(st.text())
def test_any_text_becomes_storable(text: str) -> None:
    cleaned = IncomingMessage(KEY, text=text).text
    assert cleaned is not None
    cleaned.encode("utf-8")  # no lone surrogate left
    assert "\x00" not in cleaned


def test_ordinary_text_is_untouched() -> None:
    for text in ("xin chào", "dòng 1\ndòng 2\tcột", "Làm căn cước ở đâu?"):
        assert clean_text(text) == text
    assert IncomingMessage(KEY, payload="i:dvc.login\x00").payload == "i:dvc.login"
