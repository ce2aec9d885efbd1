"""The webhook half of the bad-input corpus: Telegram, Zalo Bot and Zalo OA deliveries.

A refused delivery (4xx) must cause no send at all; `answered` says whether an accepted one
gets the citizen a reply (True), nothing (False) or either (None).
"""

from __future__ import annotations

import codecs
from typing import Any

from tests.faults.corpus import DROP, Case, Http, Post, Target, deep, extra, oa, tg, zb

__all__ = ["TELEGRAM", "ZALO", "ZALOBOT"]

TOO_DEEP = 10_000
LONG_TEXT = "Cho tôi hỏi cách cài VNeID. " * 180  # about 5,000 characters
RTL = "\u202ecach cai vneid\u202c \u200f\u061c"
NUL = "cach cai\u0000 vneid"
PERSON = {"id": 5550001, "is_bot": False, "first_name": "B"}
CHAT = {"id": 5550001, "type": "private"}
M = "result.message"  # the Zalo Bot message, inside its envelope


def _case(target: Target, id: str, body: bytes, status: int, **options: Any) -> Case:
    answered = options.pop("answered", False if status != 200 else None)
    return Case(id, target, Post(body, **options), Http(status, answered))


def _tg(id: str, body: bytes, status: int, **options: Any) -> Case:
    return _case("telegram", id, body, status, **options)


def _zb(id: str, body: bytes, status: int, **options: Any) -> Case:
    return _case("zalobot", id, body, status, **options)


def _oa(id: str, body: bytes, status: int, **options: Any) -> Case:
    return _case("zalo", id, body, status, **options)


def _button(data: object) -> bytes:
    query = {"id": "1", "from": PERSON, "chat_instance": "1", "data": data}
    return tg({"message": DROP, "callback_query": query})


def _shared(part: str, value: object) -> bytes:
    return tg({"message.text": DROP, f"message.{part}": value})


TELEGRAM = [
    _tg("tg-wrong-secret", tg(), 403, authentic=False),
    _tg("tg-empty-body", b"", 400),
    _tg("tg-not-json", b"update_id=1&text=hi", 400),
    _tg("tg-not-utf8", b'{"update_id": 1, "x": "\xff\xfe"}', 400),
    _tg("tg-utf16", tg().decode().encode("utf-16"), 400),
    _tg("tg-bom", codecs.BOM_UTF8 + tg(), 400),
    _tg("tg-json-array", b"[" + tg() + b"]", 400),
    _tg("tg-json-string", b'"update"', 400),
    _tg("tg-json-number", b"700000001", 400),
    _tg("tg-json-null", b"null", 400),
    _tg("tg-deep-nesting", deep(tg(), TOO_DEEP), 400),
    _tg("tg-nesting-500", deep(tg(), 500), 400),
    _tg("tg-nan", tg({"message.date": float("nan")}), 400),
    _tg("tg-infinity", tg({"extra": float("inf")}), 400),
    _tg(
        "tg-minus-infinity", _shared("location", {"latitude": float("-inf"), "longitude": 1}), 400
    ),
    _tg("tg-float-overflow", extra(tg(), b"1e400"), 400),
    _tg("tg-5000-digit-number", extra(tg(), b"9" * 5000), 400),
    _tg("tg-update-id-string", tg({"update_id": "700000001"}), 400),
    _tg("tg-update-id-bool", tg({"update_id": True}), 400),
    _tg("tg-update-id-missing", tg({"update_id": DROP}), 400),
    _tg("tg-message-string", tg({"message": "hi"}), 400),
    _tg("tg-text-object", tg({"message.text": {"a": 1}}), 400),
    _tg("tg-text-number", tg({"message.text": 42}), 400),
    _tg("tg-text-list", tg({"message.text": ["cach", "cai"]}), 400),
    _tg("tg-text-null", tg({"message.text": None}), 200, answered=True),  # "only text"
    _tg("tg-chat-id-abc", tg({"message.chat.id": "abc"}), 400),
    _tg("tg-chat-id-null", tg({"message.chat.id": None}), 400),
    _tg("tg-chat-id-float", tg({"message.chat.id": 5550001.5}), 400),
    _tg("tg-chat-id-huge", tg({"message.chat.id": 2**70}), 400),
    _tg("tg-chat-id-negative-private", tg({"message.chat.id": -5550001}), 400),
    _tg("tg-chat-missing", tg({"message.chat": DROP}), 400),
    _tg("tg-chat-type-number", tg({"message.chat.type": 1}), 400),
    _tg("tg-from-id-string", tg({"message.from.id": "5550001"}), 400),
    _tg("tg-date-huge", tg({"message.date": 10**20}), 400),
    _tg("tg-callback-data-too-long", _button("x" * 65), 400),
    _tg("tg-callback-data-object", _button({"x": 1}), 400),
    _tg("tg-contact-phone-number", _shared("contact", {"phone_number": 84912345678}), 400),
    _tg("tg-location-strings", _shared("location", {"latitude": "13.9", "longitude": "1"}), 400),
    _tg(
        "tg-my-chat-member-shape",
        tg({"message": DROP, "my_chat_member": {"chat": CHAT, "new_chat_member": "kicked"}}),
        400,
    ),
    _tg("tg-group-message", tg({"message.chat": {"id": -1001234567890, "type": "group"}}), 200),
    _tg("tg-unknown-kind", tg({"message": DROP, "future_kind": {"chat": CHAT}}), 200),
    _tg("tg-edited-message", tg().replace(b'"message"', b'"edited_message"'), 200),
    _tg("tg-edited-message-garbage", tg({"message": DROP, "edited_message": "x"}), 400),
    _tg("tg-extra-fields", tg({"future": [1], "message.future": True}), 200, answered=True),
    _tg("tg-nul-in-text", tg({"message.text": NUL}), 200, answered=True),
    _tg("tg-lone-surrogate", tg({"message.text": "cach \ud800 vneid"}), 200, answered=True),
    _tg("tg-rtl-marks", tg({"message.text": RTL}), 200, answered=True),
    _tg("tg-long-text", tg({"message.text": LONG_TEXT}), 200, answered=True),
    _tg("tg-emoji-only", tg({"message.text": "🙏🙏🇻🇳👨‍👩‍👧"}), 200, answered=True),
    _tg("tg-duplicate", tg(), 200, answered=True, twice=True),
    _tg("tg-oversized", tg({"message.text": "a" * 1_100_000}), 413),
    _tg("tg-text-plain-type", tg(), 200, answered=True, content_type="text/plain"),
]

ZALOBOT = [
    _zb("zb-wrong-secret", zb(), 403, authentic=False),
    _zb("zb-empty-body", b"", 400),
    _zb("zb-not-json", b"<xml>hi</xml>", 400),
    _zb("zb-json-array", b"[" + zb() + b"]", 400),
    _zb("zb-json-number", b"1e999", 400),
    _zb("zb-deep-nesting", deep(zb(), TOO_DEEP), 400),
    _zb("zb-nan", zb({f"{M}.date": float("nan")}), 400),
    _zb("zb-infinity", zb({"result.extra": float("inf")}), 400),
    _zb("zb-event-name-number", zb({"result.event_name": 7}), 400),
    _zb("zb-event-name-missing", zb({"result.event_name": DROP}), 400),
    _zb("zb-result-string", b'{"ok": true, "result": "x"}', 400),
    _zb("zb-unknown-event", zb({"result.event_name": "message.reaction.received"}), 200),
    _zb("zb-message-missing", zb({M: DROP}), 400),
    _zb("zb-chat-id-number", zb({f"{M}.chat.id": 12345}), 400),
    _zb("zb-chat-id-empty", zb({f"{M}.chat.id": ""}), 400),
    _zb("zb-chat-id-null", zb({f"{M}.chat.id": None}), 400),
    _zb("zb-chat-id-symbols", zb({f"{M}.chat.id": "../x y"}), 400),
    _zb("zb-chat-id-long", zb({f"{M}.chat.id": "a" * 200}), 400),
    _zb("zb-text-object", zb({f"{M}.text": {"a": 1}}), 400),
    _zb("zb-text-number", zb({f"{M}.text": 12}), 400),
    _zb("zb-is-bot-string", zb({f"{M}.from.is_bot": "no"}), 400),
    _zb("zb-sent-by-a-bot", zb({f"{M}.from.is_bot": True}), 200),
    _zb("zb-date-string", zb({f"{M}.date": "yesterday"}), 400),
    _zb("zb-message-id-object", zb({f"{M}.message_id": {"a": 1}}), 400),
    _zb("zb-group-chat", zb({f"{M}.chat.chat_type": "GROUP"}), 200),
    _zb("zb-extra-fields", zb({"result.future": [1], f"{M}.sticker": "x"}), 200, answered=True),
    _zb("zb-nul-in-text", zb({f"{M}.text": NUL}), 200, answered=True),
    _zb("zb-lone-surrogate", zb({f"{M}.text": "cach \udfff cai vneid"}), 200, answered=True),
    _zb("zb-long-text", zb({f"{M}.text": LONG_TEXT}), 200, answered=True),
    _zb("zb-duplicate", zb(), 200, answered=True, twice=True),
    _zb("zb-oversized", zb({f"{M}.text": "a" * 70_000}), 413),
    _zb(
        "zb-form-type", zb(), 200, answered=True, content_type="application/x-www-form-urlencoded"
    ),
]

ZALO = [
    _oa("oa-bad-signature", oa(), 401, authentic=False),
    _oa("oa-stale-timestamp", oa({"timestamp": "1699003881354"}), 401),
    _oa("oa-timestamp-object", oa({"timestamp": {"ms": 1}}), 401),
    _oa("oa-empty-body", b"", 400),
    _oa("oa-not-json", b"\x00\x01binary", 400),
    _oa("oa-json-array", b"[1, 2]", 400),
    _oa("oa-deep-nesting", deep(oa(), TOO_DEEP), 400),
    _oa("oa-nesting-100", deep(oa(), 100), 400),
    _oa("oa-nan", oa({"extra": float("nan")}), 400),
    _oa("oa-infinity", oa({"message.extra": float("-inf")}), 400),
    _oa("oa-event-name-number", oa({"event_name": 5}), 400),
    _oa("oa-sender-id-object", oa({"sender.id": {"id": 1}}), 400),
    _oa("oa-sender-id-abc", oa({"sender.id": "abc"}), 400),
    _oa("oa-sender-missing", oa({"sender": DROP}), 400),
    _oa("oa-text-object", oa({"message.text": {"a": 1}}), 400),
    _oa("oa-text-number", oa({"message.text": 3}), 400),
    _oa("oa-msg-id-list", oa({"message.msg_id": [1]}), 400),
    _oa("oa-unknown-event", oa({"event_name": "user_asking_for_the_moon"}), 200),
    _oa("oa-extra-fields", oa({"future": {"x": 1}, "sender.name": "B"}), 200, answered=True),
    _oa("oa-nul-in-text", oa({"message.text": NUL}), 200, answered=True),
    _oa("oa-lone-surrogate", oa({"message.text": "cach cai vneid \ud83d"}), 200, answered=True),
    _oa("oa-duplicate", oa(), 200, answered=True, twice=True),
    _oa("oa-oversized", oa({"message.text": "a" * 300_000}), 413),
]
