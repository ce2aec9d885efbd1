"""Campaign rules and the sender, through the real core, on SQLite and PostgreSQL.

Citizens opt in through the chat; campaigns are created and started by the rules the
console and `trolyso broadcast` use; the sender runs its rounds against a recording
platform (the only fake).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.delivery import SendError
from bot.features.campaigns import rules
from bot.features.campaigns.rules import CampaignError
from bot.features.campaigns.sender import CampaignSender, Wording
from bot.features.console.scope import Scope, scope_of
from bot.services import Bot
from intents.places import Places
from storage.campaign_models import CampaignRecipientRow, CampaignRow, SubscriptionRow
from storage.campaigns import CampaignRepository
from storage.models import AuditRow, IdentityRow, PersonRow
from tests.features.campaigns.conftest import RecordingSender
from tests.support.conftest import texts
from tests.support.test_sessions import make_team

WORDING = Wording("Gõ /tatnhantin để ngừng nhận tin.", "Ngừng nhận tin", "Xem hướng dẫn")
IA_GRAI = "xa ia grai gia lai"
OTHER = "phuong pleiku gia lai"


async def subscribe(people, name: str, place: str = IA_GRAI) -> None:
    reply = await people(name).say(f"/nhantin {place}")
    assert "Đã đăng ký" in reply[0].text


def sender_of(bot: Bot) -> CampaignSender:
    return CampaignSender(bot.sessions, bot.clock, WORDING, default_rate=0)


async def run(bot: Bot, platform: RecordingSender) -> int:
    return await sender_of(bot).round([(platform.channel, platform, None)])


async def start(
    bot: Bot, places: Places, scope: Scope, actor: int | None, place: str | None, **kw: bool
) -> CampaignRow:
    """As the console and the command line do: create and start, or audit the refusal."""
    target = rules.resolve_target(places, "gia lai", place)
    text = "Thứ Bảy này có buổi hướng dẫn VNeID tại nhà văn hóa."
    try:
        async with bot.sessions.begin() as session:
            campaign = await rules.create(session, scope, actor, target, text, None, bot.clock())
            return await rules.start(session, scope, actor, campaign.id, bot.clock(), **kw)
    except CampaignError as error:
        async with bot.sessions.begin() as session:
            await rules.record_refusal(session, actor, error, bot.clock())
        raise


async def test_subscribers_get_it_once_with_the_way_out_and_no_one_else(
    people, bot: Bot, places: Places
) -> None:
    for name in ("a", "b", "c"):
        await subscribe(people, name)
    await subscribe(people, "elsewhere", OTHER)
    await subscribe(people, "gone")
    await people("gone").say("/tatnhantin")
    await people("never").say("xin chào")  # never opted in
    campaign = await start(bot, places, rules.OPERATOR, None, "ia grai")
    platform = RecordingSender()
    assert await run(bot, platform) == 3
    assert sorted(platform.chats()) == ["a", "b", "c"]
    for _, reply in platform.sent:
        assert reply.text.endswith("Gõ /tatnhantin để ngừng nhận tin.")
        assert any(b.title == "Ngừng nhận tin" for b in reply.buttons)
    assert await run(bot, platform) == 0  # nothing is sent twice
    async with bot.sessions() as session:
        summary = await CampaignRepository(session).summary(campaign.id)
        refreshed = await CampaignRepository(session).get(campaign.id)
        assert refreshed is not None
        assert refreshed.status == "done"
        actions = [a.action for a in (await session.execute(select(AuditRow))).scalars()]
    assert (summary.total, summary.sent, summary.pending) == (3, 3, 0)
    assert {"campaign_created", "campaign_started"} <= set(actions)


async def test_the_stop_button_unsubscribes(people, bot: Bot, places: Places) -> None:
    await subscribe(people, "a")
    await start(bot, places, rules.OPERATOR, None, "ia grai")
    platform = RecordingSender()
    await run(bot, platform)
    [(_, reply)] = platform.sent
    stop = next(b for b in reply.buttons if b.title == "Ngừng nhận tin")
    answer = await people("a").send_payload(stop.payload)
    assert "Đã ngừng gửi tin" in answer[0].text


async def test_a_leader_reaches_only_their_own_commune(people, bot: Bot, places: Places) -> None:
    _leader, _, _ = await make_team(people)  # leader of Xã Ia Grai
    await subscribe(people, "mine")
    await subscribe(people, "theirs", OTHER)
    async with bot.sessions() as session:
        identity = (
            await session.execute(select(IdentityRow).where(IdentityRow.external_id == "leader"))
        ).scalar_one()
        person = await session.get(PersonRow, identity.person_id)
        assert person is not None
        scope = await scope_of(session, person, places, False)
    with pytest.raises(CampaignError) as refused:
        await start(bot, places, scope, person.id, "pleiku")
    assert refused.value.key == "campaign_not_yours"
    with pytest.raises(CampaignError):  # nor the whole province
        await start(bot, places, scope, person.id, None)
    async with bot.sessions() as session:
        denied = (
            await session.execute(select(AuditRow).where(AuditRow.action == "denied"))
        ).scalars()
        assert any(row.target == "campaign" for row in denied)
    await start(bot, places, scope, person.id, "ia grai")
    platform = RecordingSender()
    await run(bot, platform)
    assert platform.chats() == ["mine"]


async def test_one_campaign_a_day_per_commune_unless_an_operator_allows(
    people, bot: Bot, places: Places, clock
) -> None:
    await subscribe(people, "a")
    await start(bot, places, rules.OPERATOR, None, "ia grai")
    with pytest.raises(CampaignError) as again:
        await start(bot, places, rules.OPERATOR, None, "ia grai")
    assert again.value.key == "campaign_daily_limit"
    with pytest.raises(CampaignError):  # a province campaign reaches Ia Grai too
        await start(bot, places, rules.OPERATOR, None, None)
    leader_scope = Scope("leader", communes=frozenset({places.search(IA_GRAI).candidates[0].code}))
    with pytest.raises(CampaignError):  # a leader cannot lift the limit
        await start(bot, places, leader_scope, None, "ia grai", allow_more=True)
    extra = await start(bot, places, rules.OPERATOR, None, "ia grai", allow_more=True)
    assert extra.extra_allowed
    await start(bot, places, rules.OPERATOR, None, "pleiku")  # another commune: fine
    clock.advance(days=1)
    await start(bot, places, rules.OPERATOR, None, "ia grai")  # the next day: fine


async def test_pause_resume_cancel_and_the_summary_adds_up(
    people, bot: Bot, places: Places, clock
) -> None:
    for number in range(6):
        await subscribe(people, f"p{number}")
    await subscribe(people, "zalo_silent")
    async with bot.sessions.begin() as session:  # an old Zalo OA chat: outside the window
        identity = (
            await session.execute(
                select(IdentityRow).where(IdentityRow.external_id == "zalo_silent")
            )
        ).scalar_one()
        identity.channel, identity.last_seen_at = "zalo", clock.now - timedelta(days=8)
        subscription = await session.get(SubscriptionRow, identity.person_id)
        assert subscription is not None
        subscription.channel = "zalo"
    campaign = await start(bot, places, rules.OPERATOR, None, "ia grai")
    async with bot.sessions.begin() as session:
        await rules.pause(session, rules.OPERATOR, None, campaign.id, clock.now)
    platform = RecordingSender(refuse={"p5": SendError("blocked", final=True, kind="blocked")})
    assert await run(bot, platform) == 0  # paused: nothing goes out
    async with bot.sessions.begin() as session:
        await rules.resume(session, rules.OPERATOR, None, campaign.id, clock.now)
        # Two rows were taken by a worker that died mid-send: never sent again.
        rows = (
            await session.execute(
                select(CampaignRecipientRow).where(
                    CampaignRecipientRow.external_id.in_(["p0", "p1"])
                )
            )
        ).scalars()
        for row in rows:
            row.state, row.lease_until = "sending", clock.now - timedelta(seconds=1)
    sender = sender_of(bot)
    await sender.round([("console", platform, None)])
    assert sorted(platform.chats()) == ["p2", "p3", "p4"]
    async with bot.sessions() as session:
        summary = await CampaignRepository(session).summary(campaign.id)
    assert summary.sent == 3
    assert summary.failed == {"interrupted": 2, "blocked": 1}
    assert summary.skipped == {"zalo_window": 1}
    assert summary.total == summary.settled == 7
    with pytest.raises(CampaignError):
        async with bot.sessions.begin() as session:
            await rules.resume(session, rules.OPERATOR, None, campaign.id, clock.now)


async def test_cancel_stops_what_was_not_sent(people, bot: Bot, places: Places, clock) -> None:
    for number in range(3):
        await subscribe(people, f"p{number}")
    campaign = await start(bot, places, rules.OPERATOR, None, "ia grai")
    async with bot.sessions.begin() as session:
        await rules.cancel(session, rules.OPERATOR, None, campaign.id, clock.now)
    platform = RecordingSender()
    assert await run(bot, platform) == 0
    async with bot.sessions() as session:
        summary = await CampaignRepository(session).summary(campaign.id)
    assert (summary.cancelled, summary.sent, summary.total) == (3, 0, 3)


async def test_unsubscribing_during_a_campaign_stops_it_for_that_citizen(
    people, bot: Bot, places: Places
) -> None:
    await subscribe(people, "a")
    await subscribe(people, "b")
    campaign = await start(bot, places, rules.OPERATOR, None, "ia grai")
    await people("b").say("/tatnhantin")
    platform = RecordingSender()
    await run(bot, platform)
    assert platform.chats() == ["a"]
    async with bot.sessions() as session:
        summary = await CampaignRepository(session).summary(campaign.id)
    assert summary.skipped == {"unsubscribed": 1}


async def test_a_leader_sends_from_the_chat_only_to_their_commune(
    people, bot: Bot, places: Places
) -> None:
    leader, _, _ = await make_team(people)  # leader of Xã Ia Grai
    await subscribe(people, "mine")
    await subscribe(people, "theirs", OTHER)
    draft = texts(await leader.say("/guitin Sáng thứ Bảy tổ hướng dẫn cài VNeID."))
    assert "Bản nháp số 1" in draft
    assert "Xã Ia Grai" in draft
    assert "1 người đăng ký" in draft
    # Another commune's leader (an operator made one) cannot send the draft of Ia Grai.
    operator, other = people("operator"), people("other_leader")
    handle = (await other.say("/toi"))[0].text.split("Mã của anh/chị: ")[1].split()[0]
    await operator.say(f"/totruong {handle} {OTHER}")
    assert "Không tìm thấy chiến dịch số 1" in texts(await other.say("/guitin gui 1"))
    assert "chỉ dành cho" in texts(await people("mine").say("/guitin gui 1"))
    started = texts(await leader.press("Gửi ngay"))
    assert "Đã bắt đầu gửi đợt tin số 1 tới 1 người" in started
    platform = RecordingSender()
    await run(bot, platform)
    assert platform.chats() == ["mine"]
