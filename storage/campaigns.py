"""Subscriptions to a commune's news, campaigns and their recipients; never commits.

A campaign's recipients are written once, when it starts (one row per subscriber reached
through the channel they opted in on). Senders take rows one at a time: the row is marked
`sending` in its own committed transaction before the one attempt, so a row is attempted at
most once (see bot/features/campaigns/sender.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.campaign_models import CampaignRecipientRow, CampaignRow, SubscriptionRow
from storage.models import IdentityRow, PersonRow

__all__ = [
    "ZALO_OA_WINDOW",
    "Audience",
    "CampaignRepository",
    "Claimed",
    "SubscriptionRepository",
    "Summary",
]

# Zalo OA refuses customer-service messages to people silent for more than 7 days
# (shared/reference/channels.md); they are skipped, never reached by paid messages.
ZALO_OA_WINDOW = timedelta(days=7)
WINDOW_CHANNELS = frozenset({"zalo"})
OPEN_STATES = ("pending", "sending")


class SubscriptionRepository:
    """Who opted in to news of which commune."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, person_id: int) -> SubscriptionRow | None:
        return await self.session.get(SubscriptionRow, person_id)

    async def subscribe(
        self, person_id: int, commune_code: str, province_code: str, channel: str, now: datetime
    ) -> SubscriptionRow:
        row = await self.get(person_id)
        if row is None:
            row = SubscriptionRow(person_id=person_id, created_at=now)
            self.session.add(row)
        row.commune_code, row.province_code = commune_code, province_code
        row.channel, row.created_at = channel, now
        await self.session.flush()
        return row

    async def unsubscribe(self, person_id: int) -> bool:
        """Opt out: nothing more is sent, including rows of campaigns already running."""
        result = await self.session.execute(
            delete(SubscriptionRow).where(SubscriptionRow.person_id == person_id)
        )
        await self.session.execute(
            update(CampaignRecipientRow)
            .where(
                CampaignRecipientRow.person_id == person_id,
                CampaignRecipientRow.state == "pending",
            )
            .values(state="skipped", reason="unsubscribed")
        )
        return bool(getattr(result, "rowcount", 0))

    async def forget_person(self, person_id: int) -> None:
        """`/xoadulieu`: the subscription, and the chat ids on campaign rows."""
        await self.unsubscribe(person_id)
        await self.session.execute(
            update(CampaignRecipientRow)
            .where(CampaignRecipientRow.person_id == person_id)
            .values(person_id=None, external_id=None)
        )

    async def count(self, province_code: str, commune_code: str | None = None) -> int:
        query = select(func.count()).select_from(SubscriptionRow)
        query = query.where(SubscriptionRow.province_code == province_code)
        if commune_code is not None:
            query = query.where(SubscriptionRow.commune_code == commune_code)
        return int((await self.session.execute(query)).scalar_one())


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a campaign would reach, per channel: reachable and unreachable (Zalo OA window)."""

    reachable: dict[str, int]
    unreachable: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.reachable.values()) + sum(self.unreachable.values())


@dataclass(frozen=True, slots=True)
class Summary:
    """A campaign's delivery so far."""

    total: int
    pending: int
    sent: int
    failed: dict[str, int]
    skipped: dict[str, int]
    cancelled: int

    @property
    def settled(self) -> int:
        return self.sent + sum(self.failed.values()) + sum(self.skipped.values()) + self.cancelled


@dataclass(frozen=True, slots=True)
class Claimed:
    """A recipient row taken for its one attempt."""

    id: int
    campaign_id: int
    external_id: str


class CampaignRepository:
    """Campaigns and their recipients."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(
        self,
        province_code: str,
        commune_code: str | None,
        text: str,
        button_intent: str | None,
        created_by: int | None,
        now: datetime,
    ) -> CampaignRow:
        row = CampaignRow(
            province_code=province_code,
            commune_code=commune_code,
            text=text,
            button_intent=button_intent,
            status="draft",
            created_by=created_by,
            created_at=now,
            extra_allowed=False,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, campaign_id: int, *, lock: bool = False) -> CampaignRow | None:
        return await self.session.get(CampaignRow, campaign_id, with_for_update=lock)

    async def recent(
        self, limit: int = 50, provinces: list[str] | None = None
    ) -> list[CampaignRow]:
        query = select(CampaignRow).order_by(CampaignRow.id.desc()).limit(limit)
        if provinces is not None:
            query = query.where(CampaignRow.province_code.in_(provinces))
        return list((await self.session.execute(query)).scalars())

    async def same_day(
        self, province_code: str, commune_code: str | None, day: date, exclude: int
    ) -> list[CampaignRow]:
        """Campaigns started on `day` that reach any commune this one reaches."""
        query = select(CampaignRow).where(
            CampaignRow.province_code == province_code,
            CampaignRow.day == day,
            CampaignRow.id != exclude,
            CampaignRow.started_at.is_not(None),
        )
        if commune_code is not None:
            query = query.where(
                or_(CampaignRow.commune_code.is_(None), CampaignRow.commune_code == commune_code)
            )
        return list((await self.session.execute(query)).scalars())

    def _audience_query(self, campaign: CampaignRow):  # type: ignore[no-untyped-def]
        query = (
            select(
                SubscriptionRow.person_id,
                SubscriptionRow.commune_code,
                IdentityRow.channel,
                IdentityRow.external_id,
                IdentityRow.last_seen_at,
            )
            .join(
                IdentityRow,
                and_(
                    IdentityRow.person_id == SubscriptionRow.person_id,
                    IdentityRow.channel == SubscriptionRow.channel,
                ),
            )
            .join(PersonRow, PersonRow.id == SubscriptionRow.person_id)
            .where(
                SubscriptionRow.province_code == campaign.province_code,
                PersonRow.deleted_at.is_(None),
            )
            .order_by(SubscriptionRow.person_id, IdentityRow.id)
        )
        if campaign.commune_code is not None:
            query = query.where(SubscriptionRow.commune_code == campaign.commune_code)
        return query

    async def audience(self, campaign: CampaignRow, now: datetime) -> Audience:
        """The dry run: how many on each channel would receive it, how many cannot."""
        reachable: Counter[str] = Counter()
        unreachable: Counter[str] = Counter()
        seen: set[int] = set()
        for person_id, _, channel, _, last_seen in await self.session.execute(
            self._audience_query(campaign)
        ):
            if person_id in seen:
                continue
            seen.add(person_id)
            if channel in WINDOW_CHANNELS and last_seen < now - ZALO_OA_WINDOW:
                unreachable[channel] += 1
            else:
                reachable[channel] += 1
        return Audience(dict(reachable), dict(unreachable))

    async def add_recipients(self, campaign: CampaignRow, now: datetime) -> int:
        """One row per subscriber in scope; those Zalo OA cannot reach are skipped now."""
        rows: list[dict[str, object]] = []
        seen: set[int] = set()
        for person_id, commune, channel, external_id, last_seen in await self.session.execute(
            self._audience_query(campaign)
        ):
            if person_id in seen:
                continue
            seen.add(person_id)
            outside = channel in WINDOW_CHANNELS and last_seen < now - ZALO_OA_WINDOW
            rows.append(
                {
                    "campaign_id": campaign.id,
                    "person_id": person_id,
                    "channel": channel,
                    "external_id": external_id,
                    "commune_code": commune,
                    "state": "skipped" if outside else "pending",
                    "reason": "zalo_window" if outside else None,
                    "attempts": 0,
                }
            )
        for start in range(0, len(rows), 1000):
            await self.session.execute(insert(CampaignRecipientRow), rows[start : start + 1000])
        return len(rows)

    async def waiting_channels(self, now: datetime) -> set[str]:
        """Channels with a row ready to send (an idle worker takes no send slot for nothing)."""
        sending = select(CampaignRow.id).where(CampaignRow.status == "sending")
        query = (
            select(CampaignRecipientRow.channel)
            .where(
                CampaignRecipientRow.state == "pending",
                CampaignRecipientRow.campaign_id.in_(sending.scalar_subquery()),
                or_(
                    CampaignRecipientRow.not_before.is_(None),
                    CampaignRecipientRow.not_before <= now,
                ),
            )
            .distinct()
        )
        return set((await self.session.execute(query)).scalars())

    async def claim(self, channel: str, now: datetime, lease: timedelta) -> Claimed | None:
        """Take the next pending row of a sending campaign on `channel`, marked `sending`."""
        sending = select(CampaignRow.id).where(CampaignRow.status == "sending")
        chosen = (
            select(CampaignRecipientRow.id)
            .where(
                CampaignRecipientRow.state == "pending",
                CampaignRecipientRow.channel == channel,
                CampaignRecipientRow.campaign_id.in_(sending.scalar_subquery()),
                or_(
                    CampaignRecipientRow.not_before.is_(None),
                    CampaignRecipientRow.not_before <= now,
                ),
            )
            .order_by(CampaignRecipientRow.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        # Two statements: PostgreSQL may run an `IN (SELECT ... LIMIT 1)` inside an UPDATE
        # more than once, so the row is chosen (and locked) first, then marked.
        row_id = (await self.session.execute(chosen)).scalar_one_or_none()
        if row_id is None:
            return None
        found = (
            await self.session.execute(
                update(CampaignRecipientRow)
                .where(CampaignRecipientRow.id == row_id, CampaignRecipientRow.state == "pending")
                .values(
                    state="sending",
                    lease_until=now + lease,
                    attempts=CampaignRecipientRow.attempts + 1,
                )
                .returning(
                    CampaignRecipientRow.id,
                    CampaignRecipientRow.campaign_id,
                    CampaignRecipientRow.external_id,
                )
                .execution_options(synchronize_session=False)
            )
        ).first()
        if found is None:
            return None
        return Claimed(int(found[0]), int(found[1]), str(found[2] or ""))

    async def settle(
        self, row_id: int, state: str, now: datetime, reason: str | None = None
    ) -> None:
        """The attempt's outcome: sent, failed (with a reason)."""
        await self.session.execute(
            update(CampaignRecipientRow)
            .where(CampaignRecipientRow.id == row_id, CampaignRecipientRow.state == "sending")
            .values(
                state=state,
                reason=reason,
                lease_until=None,
                sent_at=now if state == "sent" else None,
            )
        )

    async def retry_later(self, row_id: int, at: datetime) -> None:
        """The platform refused before delivering (rate limit, outage): try once more later."""
        await self.session.execute(
            update(CampaignRecipientRow)
            .where(CampaignRecipientRow.id == row_id, CampaignRecipientRow.state == "sending")
            .values(state="pending", lease_until=None, not_before=at)
        )

    async def settle_interrupted(self, now: datetime) -> int:
        """Rows whose worker died mid-send: maybe delivered, never attempted again."""
        result = await self.session.execute(
            update(CampaignRecipientRow)
            .where(
                CampaignRecipientRow.state == "sending",
                CampaignRecipientRow.lease_until < now,
            )
            .values(state="failed", reason="interrupted", lease_until=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def finish_done(self, now: datetime) -> list[int]:
        """Sending campaigns with nothing left to send become done; their ids."""
        still = select(CampaignRecipientRow.campaign_id).where(
            CampaignRecipientRow.state.in_(OPEN_STATES)
        )
        done = list(
            (
                await self.session.execute(
                    select(CampaignRow)
                    .where(CampaignRow.status == "sending", CampaignRow.id.not_in(still))
                    .with_for_update(skip_locked=True)
                )
            ).scalars()
        )
        for campaign in done:
            campaign.status, campaign.finished_at = "done", now
        await self.session.flush()
        return [c.id for c in done]

    async def cancel_pending(self, campaign_id: int) -> int:
        result = await self.session.execute(
            update(CampaignRecipientRow)
            .where(
                CampaignRecipientRow.campaign_id == campaign_id,
                CampaignRecipientRow.state == "pending",
            )
            .values(state="cancelled")
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def summary(self, campaign_id: int) -> Summary:
        counts = (
            await self.session.execute(
                select(CampaignRecipientRow.state, CampaignRecipientRow.reason, func.count())
                .where(CampaignRecipientRow.campaign_id == campaign_id)
                .group_by(CampaignRecipientRow.state, CampaignRecipientRow.reason)
            )
        ).all()
        by_state: Counter[str] = Counter()
        failed: Counter[str] = Counter()
        skipped: Counter[str] = Counter()
        for state, reason, number in counts:
            by_state[state] += number
            if state == "failed":
                failed[reason or "other"] += number
            elif state == "skipped":
                skipped[reason or "other"] += number
        return Summary(
            total=sum(by_state.values()),
            pending=by_state["pending"] + by_state["sending"],
            sent=by_state["sent"],
            failed=dict(failed),
            skipped=dict(skipped),
            cancelled=by_state["cancelled"],
        )
