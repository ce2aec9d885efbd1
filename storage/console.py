"""Sign-in links and sessions of the web console; never commits.

Tokens and session ids reach this module already hashed (SHA-256): the database never holds
anything a browser could present.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.console_models import ConsoleSessionRow, LoginLinkRow

__all__ = ["ConsoleRepository"]


class ConsoleRepository:
    """Links are taken at most once; sessions are read, touched and deleted by their digest."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_link(
        self, token_hash: str, person_id: int, now: datetime, expires_at: datetime
    ) -> None:
        self.session.add(
            LoginLinkRow(
                token_hash=token_hash, person_id=person_id, created_at=now, expires_at=expires_at
            )
        )
        await self.session.flush()

    async def take_link(self, token_hash: str, now: datetime) -> int | None:
        """Use a valid link: the person it was made for, or None (unknown, used, expired).

        One UPDATE with the conditions in it: two browsers racing with the same link cannot
        both win.
        """
        result = await self.session.execute(
            update(LoginLinkRow)
            .where(
                LoginLinkRow.token_hash == token_hash,
                LoginLinkRow.used_at.is_(None),
                LoginLinkRow.expires_at > now,
            )
            .values(used_at=now)
            .returning(LoginLinkRow.person_id)
            .execution_options(synchronize_session=False)
        )
        person_id = result.scalar_one_or_none()
        return int(person_id) if person_id is not None else None

    async def add_session(
        self, id_hash: str, person_id: int, csrf_token: str, now: datetime, expires_at: datetime
    ) -> ConsoleSessionRow:
        row = ConsoleSessionRow(
            id_hash=id_hash,
            person_id=person_id,
            csrf_token=csrf_token,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def get_session(self, id_hash: str) -> ConsoleSessionRow | None:
        return await self.session.get(ConsoleSessionRow, id_hash)

    async def touch(self, id_hash: str, now: datetime) -> None:
        await self.session.execute(
            update(ConsoleSessionRow)
            .where(ConsoleSessionRow.id_hash == id_hash)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )

    async def delete_session(self, id_hash: str) -> None:
        await self.session.execute(
            delete(ConsoleSessionRow).where(ConsoleSessionRow.id_hash == id_hash)
        )

    async def forget_person(self, person_id: int) -> None:
        """Every link and session of a person (they deleted their data, or lost their role)."""
        await self.session.execute(
            delete(ConsoleSessionRow).where(ConsoleSessionRow.person_id == person_id)
        )
        await self.session.execute(delete(LoginLinkRow).where(LoginLinkRow.person_id == person_id))

    async def forget_expired(self, now: datetime, idle_before: datetime) -> int:
        """Sessions past their absolute or idle expiry, and links past theirs."""
        sessions = await self.session.execute(
            delete(ConsoleSessionRow).where(
                or_(
                    ConsoleSessionRow.expires_at <= now,
                    ConsoleSessionRow.last_seen_at < idle_before,
                )
            )
        )
        links = await self.session.execute(
            delete(LoginLinkRow).where(LoginLinkRow.expires_at <= now)
        )
        return int(getattr(sessions, "rowcount", 0) or 0) + int(getattr(links, "rowcount", 0) or 0)
