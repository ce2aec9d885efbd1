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


async def test_a_failed_job_is_logged_without_its_message(caplog) -> None:
    """An exception's message can quote what was stored ("invalid input ... 'xin chao ...'");
    the log keeps the type and the stack, never the text."""
    import logging

    from bot.channels.base import ChatQueue
    from bot.logs import hashed_id

    said = "toi ten Lan, sdt " + "0912" + "345678"

    async def job() -> None:
        raise ValueError(f"invalid input for query argument $3: {said!r}")

    queue = ChatQueue()
    with caplog.at_level(logging.DEBUG):
        await queue.run("chat-1", job)
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert "ValueError" in logged
    assert f"job failed chat={hashed_id('chat-1')} error=ValueError" in logged
    assert "chat-1" not in logged  # a chat is named by its keyed hash only
    assert "0912345678" not in logged
    assert "toi ten Lan" not in logged
