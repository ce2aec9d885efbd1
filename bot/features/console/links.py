"""One-time sign-in links of the web console: made by /dangnhap and `trolyso console`.

A link carries 256 random bits; the database keeps only their SHA-256 digest, bound to one
person, used at most once, for ten minutes. Light on purpose (no web library): the chat
composes it at start-up.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from bot.messages import Reply
from bot.support.common import Turn
from content.support_texts import SupportTexts
from storage.console import ConsoleRepository
from storage.models import PersonRow
from storage.vocabulary import ROLE_RANK

__all__ = [
    "LINK_LIFETIME",
    "LOGIN_PATH",
    "ChatLogin",
    "can_use_console",
    "digest",
    "issue_link",
    "new_secret",
]

LINK_LIFETIME = timedelta(minutes=10)
LOGIN_PATH = "/admin/login"


def new_secret() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What the database keeps of a token or session id: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def can_use_console(person: PersonRow) -> bool:
    """Team leaders and operators; the same ranks as the chat's commands."""
    return person.deleted_at is None and ROLE_RANK.get(person.role, 0) >= ROLE_RANK["leader"]


async def issue_link(turn: Turn, person: PersonRow, base_url: str, by: str) -> str:
    """A new sign-in link for `person` (who must be allowed), audited with who asked."""
    token = new_secret()
    await ConsoleRepository(turn.session).add_link(
        digest(token), person.id, turn.now, turn.now + LINK_LIFETIME
    )
    await turn.audit.record("console_link", turn.now, person.id, person.handle, by=by)
    return f"{base_url.rstrip('/')}{LOGIN_PATH}?token={token}"


@dataclass(frozen=True)
class ChatLogin:
    """/dangnhap: the link for a leader or operator; a polite refusal for anyone else."""

    base_url: str
    texts: SupportTexts

    async def __call__(self, turn: Turn, person: PersonRow) -> list[Reply]:
        t = self.texts
        if not can_use_console(person):
            await turn.audit.record(
                "denied", turn.now, person.id, person.handle, command="dangnhap"
            )
            return [Reply(t("console_refused"))]
        if not self.base_url:
            return [Reply(t("console_unavailable"))]
        url = await issue_link(turn, person, self.base_url, by="chat")
        minutes = int(LINK_LIFETIME.total_seconds() // 60)
        return [Reply(t("console_link", url=url, minutes=minutes))]
