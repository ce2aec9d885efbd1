"""Help requests, their events and the messages relayed inside them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.codes import new_code, normalize_code
from storage.models import HelpRequestRow, RelayMessageRow, RequestEventRow

__all__ = ["REF_PREFIX", "HelpRequestRepository"]

REF_PREFIX = "HT"
REF_LENGTH = 4


class HelpRequestRepository:
    """Create, find, claim and close help requests; never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def new_ref(self) -> str:
        """A reference code not used yet, such as HT7K4P (shown as HT-7K4P)."""
        while True:
            ref = REF_PREFIX + new_code(REF_LENGTH)
            if await self.by_ref(ref) is None:
                return ref

    async def add(self, request: HelpRequestRow) -> HelpRequestRow:
        self.session.add(request)
        await self.session.flush()
        return request

    async def by_ref(self, ref: str) -> HelpRequestRow | None:
        code = normalize_code(ref)
        if not code.startswith(REF_PREFIX):
            code = REF_PREFIX + code
        query = select(HelpRequestRow).where(HelpRequestRow.ref == code)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def get(self, request_id: int, lock: bool = False) -> HelpRequestRow | None:
        query = select(HelpRequestRow).where(HelpRequestRow.id == request_id)
        if lock:
            query = query.with_for_update()
        return (await self.session.execute(query)).scalar_one_or_none()

    async def lock(self, request: HelpRequestRow) -> HelpRequestRow:
        """Re-read a request under a row lock (PostgreSQL) and refresh its fields."""
        query = select(HelpRequestRow).where(HelpRequestRow.id == request.id).with_for_update()
        await self.session.execute(query.execution_options(populate_existing=True))
        return request

    async def open_for_citizen(self, citizen_id: int) -> HelpRequestRow | None:
        """The citizen's request that is still waiting or in progress, if any."""
        query = (
            select(HelpRequestRow)
            .where(
                HelpRequestRow.citizen_id == citizen_id,
                HelpRequestRow.status.in_(("open", "active")),
            )
            .order_by(HelpRequestRow.id.desc())
            .limit(1)
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    async def pseudonyms_in_use(self, commune_code: str) -> set[str]:
        """Pseudonyms of the commune's open and active requests (a volunteer sees these)."""
        query = select(HelpRequestRow.pseudonym).where(
            HelpRequestRow.commune_code == commune_code,
            HelpRequestRow.status.in_(("open", "active")),
        )
        return set((await self.session.execute(query)).scalars())

    async def active_for_volunteer(self, volunteer_id: int) -> list[HelpRequestRow]:
        query = (
            select(HelpRequestRow)
            .where(HelpRequestRow.volunteer_id == volunteer_id, HelpRequestRow.status == "active")
            .order_by(HelpRequestRow.last_activity_at.desc())
        )
        return list((await self.session.execute(query)).scalars())

    async def queue(self, commune_codes: list[str], limit: int = 10) -> list[HelpRequestRow]:
        """Requests still waiting for a volunteer in these communes, oldest first."""
        query = (
            select(HelpRequestRow)
            .where(HelpRequestRow.status == "open", HelpRequestRow.commune_code.in_(commune_codes))
            .order_by(HelpRequestRow.created_at)
            .limit(limit)
        )
        return list((await self.session.execute(query)).scalars())

    async def claim(
        self, request: HelpRequestRow, volunteer_id: int, channel: str, external_id: str
    ) -> bool:
        """Take an open request. Exactly one of several simultaneous claims wins.

        A conditional UPDATE is atomic on both engines: PostgreSQL re-checks the WHERE clause
        after waiting for a competing writer, SQLite has one writer at a time.
        """
        result = await self.session.execute(
            update(HelpRequestRow)
            .where(HelpRequestRow.id == request.id, HelpRequestRow.status == "open")
            .values(
                status="active",
                volunteer_id=volunteer_id,
                volunteer_channel=channel,
                volunteer_external_id=external_id,
            )
            .execution_options(synchronize_session=False)
        )
        won = getattr(result, "rowcount", 0) == 1
        await self.session.refresh(request)
        return won

    async def event(
        self,
        request: HelpRequestRow,
        kind: str,
        at: datetime,
        actor_id: int | None = None,
        **detail: Any,
    ) -> None:
        """Record a state change; durations in reports come from these rows.

        Inserting it also moves the request's `first_*_at` copy (storage.request_times).
        """
        self.session.add(
            RequestEventRow(
                request_id=request.id, kind=kind, actor_id=actor_id, at=at, detail=detail
            )
        )
        await self.session.flush()

    async def events(self, request: HelpRequestRow) -> list[RequestEventRow]:
        query = (
            select(RequestEventRow)
            .where(RequestEventRow.request_id == request.id)
            .order_by(RequestEventRow.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def relay(self, request: HelpRequestRow, sender: str, text: str, at: datetime) -> None:
        """Keep a relayed message (already masked) for the session log."""
        self.session.add(RelayMessageRow(request_id=request.id, sender=sender, text=text, at=at))
        request.last_activity_at = at
        await self.session.flush()

    async def relayed(self, request: HelpRequestRow) -> list[RelayMessageRow]:
        query = (
            select(RelayMessageRow)
            .where(RelayMessageRow.request_id == request.id)
            .order_by(RelayMessageRow.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def of_citizen(self, citizen_id: int) -> list[HelpRequestRow]:
        query = (
            select(HelpRequestRow)
            .where(HelpRequestRow.citizen_id == citizen_id)
            .order_by(HelpRequestRow.id)
        )
        return list((await self.session.execute(query)).scalars())

    async def purge_messages(self, before: datetime) -> int:
        """Delete relayed messages older than the retention period; returns how many."""
        result = await self.session.execute(
            delete(RelayMessageRow).where(RelayMessageRow.at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def forget_details_before(self, before: datetime) -> int:
        """Blank the description and phone number of requests older than `before`.

        The consent text promises the phone number goes after the retention period; the
        request itself stays, for the counts. Returns how many requests were blanked.
        """
        result = await self.session.execute(
            update(HelpRequestRow)
            .where(
                HelpRequestRow.created_at < before,
                or_(HelpRequestRow.description != "", HelpRequestRow.phone.is_not(None)),
            )
            .values(description="", phone=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def anonymize_citizen(self, citizen_id: int) -> int:
        """Remove a citizen's words and contact from their requests; keep the counts."""
        requests = await self.of_citizen(citizen_id)
        for request in requests:
            await self.session.execute(
                delete(RelayMessageRow).where(RelayMessageRow.request_id == request.id)
            )
            request.description = ""
            request.phone = None
            request.rating_comment = None
            request.citizen_external_id = None
            request.citizen_id = None
        await self.session.flush()
        return len(requests)
