"""Rendering for a platform without buttons: pieces of 2,000 characters and numbered choices."""

from __future__ import annotations

import pytest

from bot.channels.text import split_text, text_length
from bot.channels.zalo_bot.render import (
    RenderTexts,
    choice_lines,
    parse_choice_number,
    render,
)
from bot.messages import SHARE_CONTACT, Attachment, Button, Reply

TEXTS = RenderTexts(choose_by_number="Anh/chị gõ số để chọn:", file_unavailable="Không gửi tệp.")


def test_short_text_is_one_piece() -> None:
    assert split_text("  Xin chào bác  ", 2000) == ["Xin chào bác"]
    assert split_text("", 2000) == []


def test_paragraphs_are_kept_whole_when_they_fit() -> None:
    first, second = "a" * 1500, "b" * 1500
    assert split_text(f"{first}\n\n{second}", 2000) == [first, second]


def test_lines_then_spaces_then_a_hard_cut() -> None:
    lines = "\n".join(["dòng " * 50] * 12)  # no paragraph break at all
    pieces = split_text(lines, 600)
    assert all(text_length(p) <= 600 for p in pieces)
    assert all(p.endswith("dòng") for p in pieces)  # every cut at a line end or a space
    assert " ".join(p.replace("\n", " ") for p in pieces).split() == lines.split()
    word = "x" * 4500
    assert split_text(word, 2000) == ["x" * 2000, "x" * 2000, "x" * 500]


def test_a_boundary_far_too_early_is_not_used_when_a_later_one_exists() -> None:
    text = "Mở đầu.\n\n" + ("chữ " * 600)
    pieces = split_text(text, 2000)
    assert len(pieces[0]) > 1000  # not just "Mở đầu."


def test_emoji_count_twice_like_the_platform_counts_them() -> None:
    text = "😀" * 1500
    pieces = split_text(text, 2000)
    assert [len(p) for p in pieces] == [1000, 500]
    assert text_length(pieces[0]) == 2000


def test_choices_are_numbered_from_the_given_number() -> None:
    assert choice_lines(["Một", "Hai"], 3) == ["3. Một", "4. Hai"]
    reply = Reply(
        "Chọn:", (Button("Một", "a"), Button("📱 Số", SHARE_CONTACT), Button("Hai", "b"))
    )
    rendered = render(reply, TEXTS, first_number=3)
    assert rendered.messages == ("Chọn:\n\nAnh/chị gõ số để chọn:\n3. Một\n4. Hai",)
    assert rendered.payloads == ("a", "b")


def test_choices_that_do_not_fit_get_a_message_of_their_own() -> None:
    text = "a" * 1990
    rendered = render(Reply(text, (Button("Một", "a"),)), TEXTS)
    assert rendered.messages == (text, "Anh/chị gõ số để chọn:\n1. Một")


def test_a_reply_with_a_file_says_where_to_get_it() -> None:
    reply = Reply("Báo cáo:", attachment=Attachment("r.xlsx", b"PK", "application/x"))
    assert render(reply, TEXTS).messages == ("Báo cáo:\n\nKhông gửi tệp.",)
    assert render(Reply("", attachment=reply.attachment), TEXTS).messages == ("Không gửi tệp.",)


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("2", 2),
        (" 2 ", 2),
        ("2.", 2),
        ("2)", 2),
        ("12", 12),
        ("\t3 .\n", 3),
        ("2 người", None),
        ("hai", None),
        ("0912345678", None),
        ("-1", None),
        ("", None),
        (None, None),
    ],
)
def test_what_counts_as_a_typed_choice(typed: str | None, number: int | None) -> None:
    assert parse_choice_number(typed) == number
