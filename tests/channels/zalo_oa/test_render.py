"""Replies as OA messages: the 2,000-character limit, five buttons, titles, no files."""

from __future__ import annotations

import pytest

from bot import payloads
from bot.channels.text import split_text, text_length
from bot.channels.zalo_oa.render import (
    MAX_BUTTON_TITLE,
    OARenderer,
    parse_button_text,
)
from bot.messages import SHARE_CONTACT, Attachment, Button, Reply

MORE = "Các lựa chọn khác:"
NOTICE = "📎 Tệp báo cáo không gửi được qua Zalo."


@pytest.fixture
def renderer() -> OARenderer:
    return OARenderer(MORE, NOTICE)


def _long_answer() -> str:
    sentence = "Anh/chị mở ứng dụng VNeID, chọn Đăng nhập rồi làm theo hướng dẫn trên màn hình. "
    paragraph = (sentence * 6).strip()
    return "\n\n".join([paragraph] * 12)[:5000]


def test_a_5000_character_answer_is_split_with_buttons_only_on_the_last(renderer):
    text = _long_answer()
    assert len(text) == 5000
    buttons = (Button("Xem thêm", payloads.encode("menu")), Button("Gặp người", "h"))
    messages = renderer.render(Reply(text, buttons))
    assert len(messages) >= 3
    assert all(text_length(m["text"]) <= 2000 for m in messages)
    assert all("attachment" not in m for m in messages[:-1])
    last = messages[-1]["attachment"]["payload"]["buttons"]
    assert [b["payload"] for b in last] == ["#m", "#h"]
    # Cut at paragraphs, never inside a word: every word survives in order.
    assert " ".join(m["text"] for m in messages).split() == text.split()
    assert all(m["text"].endswith(".") for m in messages[:-1])


def test_one_long_paragraph_is_cut_at_sentences_then_spaces():
    sentences = "Câu số một rất dài. " * 300
    chunks = split_text(sentences, 2000)
    assert all(len(c) <= 2000 for c in chunks)
    assert all(c.endswith(".") for c in chunks)
    words = "chữ " * 1500
    chunks = split_text(words, 2000)
    assert all(len(c) <= 2000 for c in chunks)
    assert " ".join(chunks).split() == words.split()


def test_a_word_longer_than_the_limit_is_cut_hard():
    chunks = split_text("x" * 4500, 2000)
    assert [len(c) for c in chunks] == [2000, 2000, 500]


def test_emoji_count_twice_against_the_limit():
    chunks = split_text("😀" * 1500, 2000)
    assert [text_length(c) for c in chunks] == [2000, 1000]


def test_more_than_five_buttons_go_on_follow_up_messages(renderer):
    buttons = tuple(Button(f"Chủ đề {n}", payloads.encode("topic", f"t{n}")) for n in range(12))
    messages = renderer.render(Reply("Anh/chị chọn chủ đề:", buttons))
    groups = [m["attachment"]["payload"]["buttons"] for m in messages]
    assert [len(g) for g in groups] == [5, 5, 2]
    assert [m["text"] for m in messages] == ["Anh/chị chọn chủ đề:", MORE, MORE]
    payload_order = [b["payload"] for g in groups for b in g]
    assert payload_order == [f"#t:t{n}" for n in range(12)]


def test_titles_are_cut_and_share_contact_is_dropped(renderer):
    long_title = "Kích hoạt tài khoản định danh điện tử " * 5
    buttons = (Button(long_title, "m"), Button("📱 Gửi số", SHARE_CONTACT))
    [message] = renderer.render(Reply("Chọn:", buttons))
    [button] = message["attachment"]["payload"]["buttons"]
    assert len(button["title"]) == MAX_BUTTON_TITLE
    assert button["title"].endswith("…")
    assert button == {"title": button["title"], "type": "oa.query.hide", "payload": "#m"}


def test_a_file_becomes_a_polite_notice(renderer):
    report = Attachment("bao-cao.xlsx", b"PK\x03\x04", "application/vnd.ms-excel")
    messages = renderer.render(Reply("📊 Báo cáo tháng 10.", attachment=report))
    assert messages == [{"text": f"📊 Báo cáo tháng 10.\n\n{NOTICE}"}]


def test_buttons_without_text_still_get_a_heading(renderer):
    messages = renderer.render(Reply("", (Button("Menu", "m"),)))
    assert messages[0]["text"] == MORE
    assert renderer.render(Reply("   ")) == []


@pytest.mark.parametrize(
    ("text", "payload"),
    [
        ("#m", "m"),
        ("  #t:vneid ", "t:vneid"),
        ("#c:HT-7K4P", "c:HT-7K4P"),
        ("#hashtag", None),
        ("m", None),
        ("#", None),
        ("#" + "i:" + "x" * 80, None),
    ],
)
def test_a_tap_is_told_from_typed_text(text: str, payload: str | None):
    assert parse_button_text(text) == payload
