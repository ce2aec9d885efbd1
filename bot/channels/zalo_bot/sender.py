"""Replies out on the Zalo Bot platform: plain messages, buttons as remembered numbers.

The platform has no buttons and no edits: choices are numbered in the text and the numbers
stored (storage/choices.py) so that a typed "2" can be read as the choice it named.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.zalo_bot.client import ZaloBotClient, ZaloBotError
from bot.channels.zalo_bot.convert import CHANNEL
from bot.channels.zalo_bot.render import RenderTexts, render
from bot.delivery import SendError
from bot.logs import hashed_id
from bot.messages import Reply, plain_buttons
from bot.services import Clock
from content.support_texts import SupportTexts
from storage.choices import CONTINUE_WINDOW, ChoiceMenuRepository
from storage.db import one_statement

__all__ = ["ZaloBotSender", "render_texts", "send_error"]

logger = logging.getLogger(__name__)


def render_texts(texts: SupportTexts) -> RenderTexts:
    """The renderer's words from content/support.yaml."""
    return RenderTexts(
        choose_by_number=texts("choose_by_number"),
        file_unavailable=texts("zalo_attachment_elsewhere"),
    )


def send_error(error: ZaloBotError) -> SendError:
    """What a failed call means for the outbox row: retry, wait, or give up (and why)."""
    code = error.code
    reason = str(error)
    words = error.description.lower()
    if error.network or code is None or code >= 500 or code == 408:
        return SendError(reason)
    if code == 429 or "too many" in words or "rate limit" in words:
        return SendError(reason, retry_after=error.retry_after or 30.0)
    if code == 401:  # the token: the operator fixes the setting, the row waits and retries
        return SendError(reason)
    if code == 403 or "block" in words:
        return SendError(reason, final=True, kind="blocked")
    return SendError(reason, final=True, kind="other")


class ZaloBotSender:
    """Sends a reply as plain messages; buttons become numbers remembered in the database.

    An answer's replies carry their numbers (`Reply.menu_from`: from 1, counting on across
    the replies of one answer) and the answer stored their menu in its own transaction, so
    they are sent without touching the database. A notification continues a menu shown
    within `menu_window` and is remembered after the send; one without choices (a
    volunteer's words, a claim notice) ends an older menu, so a number typed in a
    conversation is read as words, never as a stale choice.

    Edits are impossible on this platform: the new text is sent as a new message. A reply
    split in several messages is sent again whole if a later piece fails (at least once).
    """

    channel = CHANNEL

    def __init__(
        self,
        client: ZaloBotClient,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        texts: RenderTexts,
        *,
        menu_window: timedelta = CONTINUE_WINDOW,
    ) -> None:
        self.client = client
        self.sessions = sessions
        self.clock = clock
        self.texts = texts
        self.menu_window = menu_window

    async def send(self, external_id: str, reply: Reply) -> str | None:
        first = reply.menu_from  # an answer's reply: its answer stored the menu
        if first is None:
            first = await self._first_number(external_id, reply)
        rendered = render(reply, self.texts, first)
        last: str | None = None
        for text in rendered.messages:
            try:
                last = await self.client.send_message(external_id, text)
            except ZaloBotError as error:
                raise send_error(error) from None
        if rendered.payloads and reply.menu_from is None:
            # After the send: a failed send must not shift the numbers of the retry.
            try:
                # A menu from 1 is one upsert; one that continues reads the earlier one, locked.
                writing = one_statement(self.sessions) if first <= 1 else self.sessions.begin()
                async with writing as session:
                    await ChoiceMenuRepository(session).remember(
                        self.channel,
                        external_id,
                        rendered.payloads,
                        self.clock(),
                        first_number=first,
                    )
            except SQLAlchemyError:  # sent already: typed numbers will read as text
                logger.exception("numbered choices not stored chat=%s", hashed_id(external_id))
        return last

    async def _first_number(self, external_id: str, reply: Reply) -> int:
        """A notification's first number: it continues a menu shown moments ago; one without
        choices ends an older menu (`CONTINUE_WINDOW`). An answer's reply carries its own
        (`Reply.menu_from`), and its answer stored the menu (`Bot.answer(numbered=True)`).
        """
        async with one_statement(self.sessions) as session:
            menus = ChoiceMenuRepository(session)
            now = self.clock()
            if plain_buttons(reply.buttons):
                return await menus.next_number(self.channel, external_id, now, self.menu_window)
            await menus.forget_stale(self.channel, external_id, now, self.menu_window)
            return 1

    async def edit(self, external_id: str, platform_message_id: str, reply: Reply) -> str | None:
        """No edits on this platform: say it again in a new message."""
        return await self.send(external_id, reply)
