"""Telegram updates -> the core's `IncomingMessage`; pure functions over PTB objects."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.messages import Channel, ConversationKey, IncomingMessage

__all__ = ["ALLOWED_UPDATES", "chat_of", "to_incoming"]

# The update types the bot asks Telegram for (set explicitly: omitted, Telegram keeps the old
# list). my_chat_member says when a person blocks or unblocks the bot.
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
_LEFT = {ChatMemberStatus.BANNED, ChatMemberStatus.LEFT}


def chat_of(update: Update) -> str | None:
    """The private chat an update belongs to (its conversation key); None for groups.

    Only a positive integer is a private chat: a malformed id (the webhook refuses them, a
    replayed or polled update might still carry one) must never become an outbox address.
    """
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return None
    if isinstance(chat.id, bool) or not isinstance(chat.id, int) or chat.id <= 0:
        return None
    return str(chat.id)


def to_incoming(update: Update) -> IncomingMessage | None:
    """What the person did, for the core; None for updates the bot does not act on.

    The update id becomes the message id, so a redelivered update changes nothing.
    """
    chat = chat_of(update)
    if chat is None:
        return None
    key = ConversationKey(Channel.TELEGRAM.value, chat)
    update_id = str(update.update_id)
    if update.callback_query is not None:
        query = update.callback_query
        return IncomingMessage(
            key,
            payload=query.data if isinstance(query.data, str) else "",
            kind="button",
            message_id=update_id,
            received_at=datetime.now(UTC),
        )
    if update.my_chat_member is not None:
        if update.my_chat_member.new_chat_member.status in _LEFT:
            return IncomingMessage(key, kind="left", message_id=update_id)
        return None
    message = update.message
    if message is None:
        return None
    return _from_message(key, message, update_id)


def _from_message(key: ConversationKey, message: Message, update_id: str) -> IncomingMessage:
    at = message.date.astimezone(UTC) if message.date else datetime.now(UTC)
    if isinstance(message.text, str):
        return IncomingMessage(key, text=message.text, message_id=update_id, received_at=at)
    if message.contact is not None:
        contact = message.contact
        own = contact.user_id is not None and message.from_user is not None
        own = own and contact.user_id == message.from_user.id  # type: ignore[union-attr]
        own = own and isinstance(contact.phone_number, str)
        if own:  # the "share my phone number" button, pressed by the person themself
            return IncomingMessage(
                key, contact_phone=contact.phone_number, message_id=update_id, received_at=at
            )
        return IncomingMessage(key, kind="other", message_id=update_id, received_at=at)
    if message.location is not None:
        point = (message.location.latitude, message.location.longitude)
        return IncomingMessage(
            key, kind="location", location=point, message_id=update_id, received_at=at
        )
    # Photos (perhaps of an ID card), voice, stickers, files: never downloaded, never read.
    return IncomingMessage(key, kind="other", message_id=update_id, received_at=at)
