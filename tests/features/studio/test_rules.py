"""The studio's rules without a database: the list's folded search and its order, the form's
reading of lines and dates, and the versions' diff of an edited intent."""

from __future__ import annotations

from datetime import date

from bot.features.content_versions.publish import diff_of
from bot.features.studio.form import as_fields, read_draft
from bot.features.studio.listing import rows_of
from content import Content
from content.published import Overlay

TODAY = date(2026, 12, 1)


def test_search_folds_and_puts_names_before_examples(content: Content) -> None:
    rows = rows_of(content.intents.values(), TODAY, "DANG NHẬP dịch vu")
    assert rows[0].id == "dvc.login"  # its title holds every word
    assert len(rows) > 1  # others only by an example
    assert rows_of(content.intents.values(), TODAY, "dvc.login")[0].id == "dvc.login"
    assert rows_of(content.intents.values(), TODAY, "khong co dau xyzzy") == []
    everything = rows_of(content.intents.values(), TODAY)
    assert len(everything) == len(content.intents)
    assert not any(row.overdue for row in everything)
    later = rows_of(content.intents.values(), date(2030, 1, 1), "dvc.login")
    assert later[0].overdue
    only = rows_of(content.intents.values(), TODAY, topic="out_of_scope")
    assert only
    assert {row.topic for row in only} == {"out_of_scope"}


def test_the_form_reads_what_it_shows_and_dates_either_way(content: Content) -> None:
    intent = content.intents["dvc.login"]
    draft = read_draft(as_fields(intent), content.intents, fixed_id=intent.id)
    assert draft.errors == {}
    assert draft.intent == intent
    fields = as_fields(intent) | {
        "reviewed": "01/12/2026",
        "review_by": "2027-06-01",
        "examples": as_fields(intent)["examples"] + "\r\n\r\n  \n" + intent.examples[0],
    }
    draft = read_draft(fields, content.intents, fixed_id=intent.id)
    assert draft.intent is not None
    assert draft.intent.reviewed == date(2026, 12, 1)
    assert draft.intent.examples == intent.examples  # blank lines and repeats dropped
    bad = read_draft(
        as_fields(intent)
        | {"sources": "Báo | ftp://x | 2026-01-01\nBáo | https://a.vn | 31/02/2026"},
        content.intents,
        fixed_id=intent.id,
    )
    assert bad.intent is None
    assert bad.errors["sources"] == [
        "Dòng 1: địa chỉ «ftp://x» phải là địa chỉ web bắt đầu bằng http:// hoặc https://.",
        "Dòng 2: ngày «31/02/2026» chưa đúng dạng ngày/tháng/năm.",
    ]
    new = read_draft(as_fields(intent) | {"id": "Sai Mã"}, content.intents)
    assert "id" in new.errors


def test_diff_of_an_edited_intent_names_its_fields_and_examples(content: Content) -> None:
    intent = content.intents["dvc.login"]
    edited = intent.model_copy(
        update={"answer": "Trả lời mới.", "examples": [*intent.examples[1:], "câu mới"]}
    )
    old = Overlay().adding("dvc.login", ["câu thêm trước"])
    new = Overlay(0, {}, {}).replacing(edited)
    [change] = diff_of(old, new, content)
    assert change["intent"] == "dvc.login"
    assert change["fields"] == ["answer"]
    assert change["answer"] == [intent.answer, "Trả lời mới."]
    assert change["added"] == ["câu mới"]
    assert change["removed"] == [intent.examples[0], "câu thêm trước"]
    assert change["new"] is False
    # Without the baseline (the stored form of older callers) the examples alone are compared.
    assert diff_of(old, new) == [
        {"intent": "dvc.login", "added": [], "removed": ["câu thêm trước"]}
    ]
