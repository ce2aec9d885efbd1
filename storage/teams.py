"""Teams and the invite codes their leaders hand out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.codes import new_code, normalize_code
from storage.models import InviteRow, TeamRow

__all__ = ["INVITE_LENGTH", "TeamRepository"]

INVITE_LENGTH = 10  # 24**10 codes: with 5 tries per 10 minutes, guessing is hopeless


class TeamRepository:
    """Teams of a commune and their invites; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, team_id: int) -> TeamRow | None:
        return await self.session.get(TeamRow, team_id)

    async def of_commune(self, commune_code: str) -> list[TeamRow]:
        query = select(TeamRow).where(TeamRow.commune_code == commune_code).order_by(TeamRow.id)
        return list((await self.session.execute(query)).scalars())

    async def create(
        self, name: str, commune_code: str, province_code: str, now: datetime
    ) -> TeamRow:
        team = TeamRow(
            name=name, commune_code=commune_code, province_code=province_code, created_at=now
        )
        self.session.add(team)
        await self.session.flush()
        return team

    async def all(self) -> list[TeamRow]:
        return list((await self.session.execute(select(TeamRow).order_by(TeamRow.id))).scalars())

    async def new_invite(
        self,
        team: TeamRow,
        created_by: int | None,
        max_uses: int,
        expires_at: datetime,
        now: datetime,
    ) -> InviteRow:
        while True:
            code = new_code(INVITE_LENGTH)
            if code.startswith("XA"):  # reads as a commune poster's "xa<code>" to a person
                continue
            if await self.session.get(InviteRow, code) is None:
                break
        invite = InviteRow(
            code=code,
            team_id=team.id,
            created_by=created_by,
            max_uses=max_uses,
            uses=0,
            expires_at=expires_at,
            created_at=now,
        )
        self.session.add(invite)
        await self.session.flush()
        return invite

    async def invite(self, code: str) -> InviteRow | None:
        return await self.session.get(InviteRow, normalize_code(code))

    async def use_invite(self, invite: InviteRow, now: datetime) -> bool:
        """Count one use, atomically; False if it is used up, expired or revoked."""
        result = await self.session.execute(
            update(InviteRow)
            .where(
                InviteRow.code == invite.code,
                InviteRow.uses < InviteRow.max_uses,
                InviteRow.expires_at > now,
                InviteRow.revoked_at.is_(None),
            )
            .values(uses=InviteRow.uses + 1)
            .execution_options(synchronize_session=False)
        )
        await self.session.refresh(invite)
        return getattr(result, "rowcount", 0) == 1

    async def revoke_invite(self, invite: InviteRow, now: datetime) -> bool:
        """Mark a code revoked, atomically; False when it was revoked already."""
        result = await self.session.execute(
            update(InviteRow)
            .where(InviteRow.code == invite.code, InviteRow.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        await self.session.refresh(invite)
        return getattr(result, "rowcount", 0) == 1

    async def live_invites(self, team_ids: list[int] | None, now: datetime) -> list[InviteRow]:
        """Codes that can still be used (not revoked, not expired, uses left), newest first;
        `team_ids` None: every team's."""
        query = select(InviteRow).where(
            InviteRow.revoked_at.is_(None),
            InviteRow.expires_at > now,
            InviteRow.uses < InviteRow.max_uses,
        )
        if team_ids is not None:
            query = query.where(InviteRow.team_id.in_(team_ids))
        query = query.order_by(InviteRow.created_at.desc(), InviteRow.code).limit(200)
        return list((await self.session.execute(query)).scalars())
