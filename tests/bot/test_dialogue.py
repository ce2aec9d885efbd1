"""Whole conversations through the dialogue core, no channel involved."""

import copy
from dataclasses import replace

import pytest

from bot import payloads
from bot.dialogue import MENU_TOPICS, Dialogue
from bot.messages import ConversationKey, IncomingMessage, Reply
from bot.state import ConversationState

ALICE = ConversationKey("console", "alice")
BOB = ConversationKey("telegram", "bob")


def text(body: str, key: ConversationKey = ALICE) -> IncomingMessage:
    return IncomingMessage(key, text=body)


def press(payload: str, key: ConversationKey = ALICE) -> IncomingMessage:
    return IncomingMessage(key, payload=payload, kind="button")


def payload_actions(reply: Reply) -> list[str]:
    return [b.payload for b in reply.buttons]


async def test_greeting_shows_the_topic_menu_and_a_person(dialogue: Dialogue, content) -> None:
    [reply] = await dialogue.handle(text("xin chao"))
    assert payload_actions(reply) == [*(f"t:{t}" for t in MENU_TOPICS), "h"]
    assert reply.text == content.intents["bot.greeting"].answer


async def test_answer_has_follow_ups_and_feedback(dialogue: Dialogue, content) -> None:
    [reply] = await dialogue.handle(text("quen mat khau vneid"))
    intent = content.intents["vneid.account_issue"]
    assert reply.text == intent.answer
    assert reply.intent == "vneid.account_issue"
    actions = payload_actions(reply)
    assert actions[: len(intent.follow_ups)] == [f"i:{i}" for i in intent.follow_ups]
    assert actions[-3:] == [
        "f+:vneid.account_issue",
        "f-:vneid.account_issue",
        "s:vneid.account_issue",
    ]
    assert all(len(p.encode()) <= 64 for p in actions)


async def test_sources_button_lists_sources_and_the_review_date(
    dialogue: Dialogue, content
) -> None:
    intent = content.intents["dvc.login"]
    [reply] = await dialogue.handle(press("s:dvc.login"))
    for source in intent.sources:
        assert source.url in reply.text
        assert source.title in reply.text
    assert f"{intent.reviewed:%d/%m/%Y}" in reply.text
    assert intent.title in reply.text
    [old] = await dialogue.handle(press("s:no.such_intent"))
    assert old.text == content.messages.expired_button


async def test_two_questions_in_one_message_get_two_answers(dialogue: Dialogue, content) -> None:
    replies = await dialogue.handle(
        text(
            "đổi số điện thoại nên không đăng nhập VNeID được, "
            "với lại trả tiền điện bằng điện thoại sao"
        )
    )
    assert [r.intent for r in replies] == ["vneid.account_issue.new_phone", "cashless.bills"]
    assert replies[0].text == content.intents["vneid.account_issue.new_phone"].answer
    assert replies[1].text.startswith(content.messages.second_question)
    assert replies[1].text.endswith(content.intents["cashless.bills"].answer)


async def test_everyday_topics_are_declined_and_never_bring_a_volunteer(
    dialogue: Dialogue, content
) -> None:
    for message in ("hom nay an gi", "xo so mien bac hom nay", "gia vang hom nay bao nhieu"):
        [reply] = await dialogue.handle(text(message))
        assert reply.intent is not None
        assert reply.intent.startswith("oos."), message
        assert reply.text == content.intents[reply.intent].answer
        assert payload_actions(reply) == ["m"]  # back to the menu, no person offered
    [miss] = await dialogue.handle(text("xyzzy plugh qwertz"))
    assert miss.text == content.messages.fallback
    assert "h" not in payload_actions(miss)


async def test_pressing_a_follow_up_answers_it(dialogue: Dialogue, content) -> None:
    [reply] = await dialogue.handle(press("i:safety.otp"))
    assert reply.text == content.intents["safety.otp"].answer


async def test_two_fallbacks_in_a_row_offer_a_person(dialogue: Dialogue, content) -> None:
    [first] = await dialogue.handle(text("xyzzy plugh qwertz"))
    assert first.text == content.messages.fallback
    assert payload_actions(first) == [f"t:{t}" for t in MENU_TOPICS]
    [second] = await dialogue.handle(text("blorp zzyzx frobnicate"))
    assert second.text == content.messages.fallback_offer_person
    assert payload_actions(second)[0] == "h"


async def test_an_answer_resets_the_fallback_streak(dialogue: Dialogue, content) -> None:
    await dialogue.handle(text("xyzzy plugh qwertz"))
    await dialogue.handle(text("lam cccd o dau"))
    [reply] = await dialogue.handle(text("blorp zzyzx frobnicate"))
    assert reply.text == content.messages.fallback


async def test_conversations_are_kept_apart(dialogue: Dialogue, content) -> None:
    await dialogue.handle(text("xyzzy plugh qwertz", ALICE))
    [bob] = await dialogue.handle(text("blorp zzyzx frobnicate", BOB))
    assert bob.text == content.messages.fallback


async def test_clarification_offers_titled_choices_and_none_of_these(
    content, matcher, store
) -> None:
    matcher_wide = copy.copy(matcher)
    matcher_wide.thresholds = replace(matcher.thresholds, ambiguity_gap=0.5)
    dialogue = Dialogue(content, matcher_wide, store)
    [reply] = await dialogue.handle(text("quen mat khau vneid"))
    assert reply.text == content.messages.clarify_prompt
    actions = payload_actions(reply)
    assert 3 <= len(actions) <= 4
    assert actions[-1] == "n"
    assert [b.title for b in reply.buttons[:-1]] == [
        content.intents[a.removeprefix("i:")].title for a in actions[:-1]
    ]
    state = await store.load(ALICE)
    assert state.pending_choices == tuple(a.removeprefix("i:") for a in actions[:-1])
    [after_none] = await dialogue.handle(press("n"))
    assert after_none.text == content.messages.fallback


async def test_topic_menu_lists_top_level_intents(dialogue: Dialogue, content) -> None:
    [reply] = await dialogue.handle(press("t:cashless_payment"))
    ids = [a.removeprefix("i:") for a in payload_actions(reply)[:-1]]
    assert ids == [i.id for i in content.in_topic("cashless_payment")]
    assert all(i.count(".") == 1 for i in ids)


async def test_feedback_is_acknowledged(dialogue: Dialogue, content) -> None:
    [thanks] = await dialogue.handle(press("f+:dvc.login"))
    assert thanks.text == content.messages.feedback_thanks
    [sorry] = await dialogue.handle(press("f-:dvc.login"))
    assert sorry.text == content.messages.feedback_sorry
    assert payload_actions(sorry)[0] == "h"


@pytest.mark.parametrize("payload", ["i:no.such_intent", "zzz", "i:", "t", "x" * 100])
async def test_unknown_or_old_buttons_get_a_polite_answer(dialogue: Dialogue, content, payload):
    [reply] = await dialogue.handle(press(payload))
    assert reply.text == content.messages.expired_button


async def test_photos_and_stickers_get_what_the_bot_reads(dialogue: Dialogue, content) -> None:
    [reply] = await dialogue.handle(IncomingMessage(ALICE, kind="other"))
    assert reply.text == content.messages.not_text


async def test_help_request_without_a_handoff_says_where_to_go(dialogue: Dialogue, content):
    [reply] = await dialogue.handle(text("toi can nguoi huong dan truc tiep"))
    assert reply.text == content.messages.handoff_unavailable
    assert "i:team.contact" in payload_actions(reply)


async def test_help_request_goes_to_the_handoff_when_there_is_one(content, matcher, store):
    started = []

    class RecordingHandoff:
        async def start(
            self, message: IncomingMessage, state: ConversationState
        ) -> tuple[list[Reply], ConversationState]:
            started.append(message.key)
            return [Reply("Đã nhận yêu cầu")], state

    dialogue = Dialogue(content, matcher, store, handoff=RecordingHandoff())
    [reply] = await dialogue.handle(press(payloads.encode("person")))
    assert reply.text == "Đã nhận yêu cầu"
    assert started == [ALICE]


async def test_decoys_answer_with_a_way_back_to_the_menu(dialogue: Dialogue, content) -> None:
    [reply] = await dialogue.handle(text("lam ho chieu o dau"))
    assert reply.intent == "oos.passport"
    assert payload_actions(reply)[-1] == "m"


async def test_citizen_text_never_reaches_the_logs(dialogue: Dialogue, caplog) -> None:
    caplog.set_level("DEBUG")
    secret = "quen mat khau vneid so 0912345678"
    await dialogue.handle(text(secret))
    assert "0912345678" not in caplog.text
    assert "quen mat khau" not in caplog.text
    assert "intent=vneid.account_issue" in caplog.text


def test_payload_round_trip_and_limits() -> None:
    assert payloads.parse(payloads.encode("answer", "dvc.login")) == payloads.Payload(
        "answer", "dvc.login"
    )
    assert payloads.parse("m") == payloads.Payload("menu")
    with pytest.raises(ValueError, match="64 bytes"):
        payloads.encode("answer", "x" * 70)


async def test_a_citizen_sending_an_otp_is_warned_first(dialogue: Dialogue, content) -> None:
    replies = await dialogue.handle(text("ma otp cua toi la 483920 nguoi ta xin co dua ko"))
    assert replies[0].text == content.messages.secret_warning
    assert replies[1].intent == "safety.otp"


async def test_ordinary_numbers_do_not_trigger_the_warning(dialogue: Dialogue, content) -> None:
    [reply] = await dialogue.handle(text("ngay 10/10 nam 2025 co hoat dong gi"))
    assert reply.text == content.messages.clarify_prompt  # the question itself, no warning
    assert payload_actions(reply) == ["i:nds.activities", "i:nds.date", "n"]


async def test_an_unclear_second_question_is_asked_about_not_dropped(
    dialogue: Dialogue, content, store
) -> None:
    replies = await dialogue.handle(
        text("quên mật khẩu VNeID thì làm sao, với lại tổ công nghệ số")
    )
    assert replies[0].intent == "vneid.account_issue"
    assert len(replies) == 2
    asked = replies[1]
    assert asked.text.startswith(content.messages.second_question)
    assert content.messages.clarify_prompt in asked.text
    offered = [b.payload.removeprefix("i:") for b in asked.buttons[:-1]]
    assert offered == ["team.what_is", "team.contact", "team.join"]
    assert asked.buttons[-1].payload == "n"
    assert (await store.load(ALICE)).pending_choices == tuple(offered)
