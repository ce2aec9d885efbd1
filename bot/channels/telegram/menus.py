"""Vietnamese command menus ("/" list): citizens see theirs, volunteers and leaders theirs.

The default scope shows the citizen commands; a volunteer, leader or operator gets a
per-chat menu, set again whenever their role differs from the one the menu was made for.
"""

from __future__ import annotations

import logging

from telegram import Bot as TelegramBot
from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.logs import hashed_id
from bot.services import Bot
from bot.support.commands import MENU_TEXTS, MENUS
from storage.people import PeopleRepository

__all__ = ["CommandMenus"]

logger = logging.getLogger(__name__)


class CommandMenus:
    """Keeps each chat's command menu in line with the person's role."""

    def __init__(self, bot: Bot, telegram: TelegramBot) -> None:
        self.bot = bot
        self.telegram = telegram

    def commands(self, role: str) -> list[BotCommand]:
        t = self.bot.assistant.t
        return [BotCommand(name, t(MENU_TEXTS[name])) for name in MENUS[role]]

    async def set_default(self) -> None:
        """The menu of everyone without a role: the citizen commands."""
        await self.telegram.set_my_commands(self.commands("citizen"), BotCommandScopeDefault())

    async def refresh(self, chat_id: str | None = None, limit: int = 50) -> int:
        """Set the menus that show an outdated role (one chat, or any); returns how many."""
        async with self.bot.sessions.begin() as session:
            people = PeopleRepository(session)
            outdated = [
                (identity.id, identity.external_id, role)
                for identity, role in await people.menu_outdated("telegram", chat_id, limit)
            ]
        done = 0
        for identity_id, external_id, role in outdated:
            scope = BotCommandScopeChat(int(external_id))
            try:
                if role == "citizen":
                    await self.telegram.delete_my_commands(scope)
                else:
                    await self.telegram.set_my_commands(self.commands(role), scope)
            except TelegramError as error:
                logger.warning("menu not set chat_id=%s error=%s", hashed_id(external_id), error)
                continue
            async with self.bot.sessions.begin() as session:
                await PeopleRepository(session).set_menu_role(identity_id, role)
            done += 1
        return done
