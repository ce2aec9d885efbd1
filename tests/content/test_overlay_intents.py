"""Whole intents in a published overlay: replace a shipped one, add a new one, survive a
round trip through the stored JSON, and never break the bot when a stored one is invalid."""

from __future__ import annotations

from content.loader import Content
from content.published import Overlay, apply_overlay


def test_an_intent_replaces_the_shipped_one_and_a_new_one_is_added(content: Content) -> None:
    shipped = next(iter(content.intents.values()))
    edited = shipped.model_copy(update={"answer": "Câu trả lời mới đã được kiểm tra."})
    new = shipped.model_copy(
        update={"id": shipped.id + ".moi", "title": "Mục mới", "follow_ups": []}
    )
    overlay = Overlay(3).replacing(edited).replacing(new).adding(new.id, ["một câu hỏi thêm"])

    stored = Overlay.from_json(3, overlay.as_json())
    assert stored == overlay
    result = apply_overlay(content, stored)

    assert result.intents[shipped.id].answer == "Câu trả lời mới đã được kiểm tra."
    assert result.intents[new.id].examples[-1] == "một câu hỏi thêm"
    assert len(result.intents) == len(content.intents) + 1
    assert content.intents[shipped.id].answer == shipped.answer  # the baseline is untouched


def test_a_stored_intent_that_fails_the_schema_is_skipped(content: Content) -> None:
    shipped = next(iter(content.intents.values()))
    broken = shipped.model_dump(mode="json") | {"examples": ["chỉ một câu"]}
    result = apply_overlay(content, Overlay(4, {}, {shipped.id: broken}))
    assert result.intents[shipped.id] == shipped
