"""The demo's subscribers (issue 15): a few hundred citizens of the demo communes who opted in to
news of their commune (/nhantin), on Telegram, the Zalo Bot and the Zalo OA, some of the Zalo
OA ones silent for more than 7 days (so a dry run shows who cannot be reached), and the dry
run a leader would see for their commune. Nobody is messaged: no campaign is started.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.cast import Cast
from storage.campaign_models import CampaignRow, SubscriptionRow
from storage.campaigns import CampaignRepository
from storage.people import PeopleRepository

__all__ = ["SUBSCRIBERS_PER_COMMUNE", "DryRun", "add_subscribers"]

SUBSCRIBERS_PER_COMMUNE = (120, 100, 80)  # by team, in the cast's order
CHANNELS = {"telegram": 45, "zalobot": 35, "zalo": 20}  # where they opted in, by weight
SILENT_SHARE = 0.4  # of the Zalo OA subscribers, silent for more than the 7-day window


@dataclass(frozen=True)
class DryRun:
    """What `trolyso broadcast --dry-run` shows the first team's leader for their commune."""

    commune: str  # "Xã Ia Grai, Gia Lai"
    commune_name: str  # the name to type after --commune
    leader_handle: str = field(compare=False)  # handles are drawn at random
    reachable: dict[str, int]
    unreachable: dict[str, int]


async def add_subscribers(
    session: AsyncSession, cast: Cast, now: datetime, rng: random.Random
) -> tuple[int, DryRun]:
    """Subscribers for every demo commune; returns how many, and the first commune's dry run."""
    people = PeopleRepository(session)
    channels, weights = list(CHANNELS), list(CHANNELS.values())
    added = 0
    for team, count in zip(cast.teams, SUBSCRIBERS_PER_COMMUNE, strict=False):
        commune = team.commune
        for _ in range(count):
            added += 1
            channel = rng.choices(channels, weights)[0]
            silent = channel == "zalo" and rng.random() < SILENT_SHARE
            last_seen = now - timedelta(days=rng.randint(8, 25) if silent else rng.randint(0, 6))
            person = await people.resolve(channel, f"demo-tin-{added:04d}", last_seen)
            await people.set_home_commune(person, commune.code, last_seen)
            session.add(
                SubscriptionRow(
                    person_id=person.id,
                    commune_code=commune.code,
                    province_code=commune.province_code,
                    channel=channel,
                    created_at=last_seen,
                )
            )
    await session.flush()
    first = cast.teams[0]
    probe = CampaignRow(
        province_code=first.commune.province_code, commune_code=first.commune.code
    )  # never added to the session: only its place is read
    audience = await CampaignRepository(session).audience(probe, now)
    leader = first.member(first.plan.leader.slug)
    dry_run = DryRun(
        commune=first.commune.label,
        commune_name=first.commune.short,
        leader_handle=leader.handle,
        reachable=audience.reachable,
        unreachable=audience.unreachable,
    )
    return added, dry_run
