"""`trolyso demo`: fill a fresh database with a month of clearly marked demo activity.

One province (Gia Lai), three communes with a team each, a leader and a few volunteers per
team, an operator and a citizen to play from the console, about 120 help requests over the
30 days ending `today` and about 25 field logs. Every demo name ends in " [DEMO]", every demo
request has `is_demo=True`, every field log `source="demo"`, every audit row `by="demo"`, and
every demo person has a console identity whose id starts with "demo-", so the demo is easy to
tell apart (and to find) later.

Requests unfold the way `bot.support.sessions` records them: created -> notified ->
[escalated] -> claimed -> [released -> notified -> claimed] -> ended / idle_closed -> outcome
-> [rated]; or cancelled; or escalated -> unclaimed. A few are still live near `now`: some
open (waiting in the queue) and some active (a volunteer is chatting).

No timers and no outbox rows are created, not even for the live requests: the bot must not
spam anyone (or escalate, give up, close idle sessions) the moment it starts on a demo
database. Live demo requests therefore stay open or active until somebody acts on them.

Reference codes and handles come from `storage.codes.new_code` (random); everything else
(times, topics, statuses, ratings, names...) follows `random.Random(seed)`.

`seed_demo` never commits: the caller owns the transaction.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.support.sessions import PSEUDONYMS
from intents.places import Commune, Places
from storage.codes import new_code
from storage.models import (
    AuditRow,
    FieldLogRow,
    HelpRequestRow,
    IdentityRow,
    PersonRow,
    RelayMessageRow,
    RequestEventRow,
    TeamRow,
    VolunteerCommuneRow,
    VolunteerRow,
)
from storage.people import HANDLE_LENGTH
from storage.support import REF_LENGTH, REF_PREFIX
from storage.vocabulary import ROLES, TOPICS

__all__ = [
    "DEMO_MARK",
    "VIETNAM",
    "DemoError",
    "DemoLogin",
    "DemoSummary",
    "database_is_empty",
    "render_summary",
    "seed_demo",
]

VIETNAM = timezone(timedelta(hours=7))
DEMO_MARK = "[DEMO]"
CHANNEL = "console"
PROVINCE = "gia lai"
DAYS = 30
TOTAL_REQUESTS = 120
FIELD_LOGS = 25
CLAIM_TIMEOUT = timedelta(minutes=15)  # as the default SupportConfig
GIVEUP_TIMEOUT = timedelta(minutes=60)
IDLE_TIMEOUT = timedelta(minutes=30)
SKILLS = tuple(code for code in TOPICS if code != "other")


class DemoError(Exception):
    """The demo cannot be seeded here; the message (Vietnamese) says why."""


class DemoLogin(NamedTuple):
    """Someone to play from the console: `trolyso chat --as <console_name>`."""

    console_name: str
    role: str  # a storage.vocabulary.ROLES code
    description: str  # Vietnamese


@dataclass(frozen=True)
class DemoSummary:
    """What was seeded, and who to play: what `trolyso demo` prints."""

    province: str  # "Gia Lai"
    communes: tuple[str, ...]  # labels, such as "Xã Ia Grai, Gia Lai"
    people: tuple[DemoLogin, ...]
    requests: int
    field_logs: int
    open_requests: int
    active_requests: int
    first_day: date  # the demo month, local dates (for `trolyso report --from/--to`)
    last_day: date


# --- The cast --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Member:
    given: str  # Vietnamese given name, shown as "<given> [DEMO]"
    slug: str  # ASCII: the console id is "demo-<slug>"
    skills: tuple[str, ...] = SKILLS
    on_duty: bool = False
    weight: int = 1  # how often they take requests and log field work


@dataclass(frozen=True, slots=True)
class _TeamPlan:
    commune_code: str
    share: int  # weight of the commune in the requests
    citizens: int  # size of the commune's pool of demo citizens
    leader: _Member
    volunteers: tuple[_Member, ...]


IA_GRAI = "23764"
TEAMS: tuple[_TeamPlan, ...] = (
    _TeamPlan(
        IA_GRAI,
        share=45,
        citizens=16,
        leader=_Member("Hùng", "totruong-iagrai"),
        volunteers=(
            _Member("Lan", "lan", ("vneid", "public_services", "digital_skills"), False, 4),
            _Member("Minh", "minh", ("vneid", "cashless_payment"), True, 3),
            _Member("Hoa", "hoa", ("public_services", "digital_skills"), True, 3),
            _Member("Tuấn", "tuan", ("cashless_payment", "digital_skills"), False, 2),
        ),
    ),
    _TeamPlan(
        "23575",  # Phường Pleiku
        share=35,
        citizens=14,
        leader=_Member("Thảo", "totruong-pleiku"),
        volunteers=(
            _Member("Mai", "mai", ("vneid", "public_services"), True, 3),
            _Member("Nam", "nam", ("cashless_payment", "digital_skills"), True, 2),
            _Member("Linh", "linh", SKILLS, False, 3),
        ),
    ),
    _TeamPlan(
        "23722",  # Xã Chư Păh
        share=20,
        citizens=10,
        leader=_Member("Sơn", "totruong-chupah"),
        volunteers=(
            _Member("Hương", "huong", ("vneid", "digital_skills"), True, 3),
            _Member("Dũng", "dung", ("public_services", "vneid"), True, 2),
            _Member("Trang", "trang", ("cashless_payment",), False, 2),
        ),
    ),
)
# Live requests near `now`: (commune, status, minutes ago, volunteer slug for active ones).
LIVE: tuple[tuple[str, str, int, str | None], ...] = (
    (IA_GRAI, "open", 48, None),
    (IA_GRAI, "open", 9, None),
    ("23575", "open", 27, None),
    (IA_GRAI, "active", 41, "minh"),
    ("23722", "active", 33, "dung"),
)

# --- What citizens ask, and what is said -------------------------------------------------

TOPIC_WEIGHTS = {
    "vneid": 40,
    "public_services": 30,
    "cashless_payment": 12,
    "digital_skills": 12,
    "other": 6,
}
MODE_WEIGHTS = {"chat": 74, "phone": 14, "in_person": 12}
STATUS_WEIGHTS = {"closed": 84, "cancelled": 8, "unclaimed": 8}
OUTCOME_WEIGHTS = {"resolved": 70, "partly": 15, "referred": 10, "unresolved": 5}
RATING_WEIGHTS = {5: 55, 4: 30, 3: 10, 2: 3, 1: 2}
# Local hours when citizens write: mornings before the fields, evenings after them.
HOUR_WEIGHTS = {
    7: 3, 8: 6, 9: 8, 10: 8, 11: 6, 12: 2, 13: 3, 14: 5, 15: 6, 16: 6, 17: 4, 18: 3, 19: 6,
    20: 6, 21: 3,
}  # fmt: skip

DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "vneid": (
        "Không đăng nhập được VNeID",
        "quen mat khau vneid",
        "Muốn kích hoạt tài khoản định danh điện tử mức 2",
        "Đổi điện thoại mới, chưa cài lại được VNeID",
        "Không nhận được mã kích hoạt VNeID",
    ),
    "public_services": (
        "Muốn làm giấy khai sinh cho cháu trên mạng",
        "Nộp hồ sơ đăng ký thường trú trực tuyến",
        "Không biết tra cứu hồ sơ đã nộp",
        "xin phieu ly lich tu phap qua mang",
        "Đăng ký kết hôn trực tuyến cần giấy tờ gì",
    ),
    "cashless_payment": (
        "Muốn trả tiền điện bằng điện thoại",
        "Cài ứng dụng ngân hàng giúp tôi",
        "Có người nhắn tin đòi chuyển tiền, không biết thật hay giả",
        "quet ma QR tra tien khong duoc",
    ),
    "digital_skills": (
        "Không biết gửi ảnh qua Zalo",
        "Điện thoại báo đầy bộ nhớ",
        "Chữ trên điện thoại nhỏ quá, muốn chỉnh to lên",
        "Muốn gọi video cho con ở xa",
    ),
    "other": (
        "Cần người đọc giúp thông báo của xã",
        "Hỏi cách xem lịch tiêm chủng cho cháu",
        "Không biết hỏi việc này ở đâu",
    ),
}
# Short exchanges (no personal data), kept as relay messages of a few chat sessions.
RELAYS: dict[str, tuple[tuple[str, str], ...]] = {
    "vneid": (
        ("citizen", "Chào cháu, bác không đăng nhập được VNeID."),
        ("volunteer", 'Dạ bác mở ứng dụng VNeID, bấm "Quên mật khẩu" giúp cháu nhé.'),
        ("citizen", "Được rồi, cảm ơn cháu nhiều."),
        ("volunteer", "Dạ không có gì ạ. Bác nhớ không đưa mã OTP cho ai nhé."),
    ),
    "public_services": (
        ("citizen", "Tôi muốn làm giấy khai sinh cho cháu nội trên mạng."),
        ("volunteer", "Dạ anh vào Cổng Dịch vụ công, đăng nhập bằng VNeID rồi chọn khai sinh ạ."),
        ("citizen", "Nộp xong rồi, cảm ơn em."),
        ("volunteer", "Dạ vài hôm anh tra cứu lại tình trạng hồ sơ giúp em nhé."),
    ),
    "cashless_payment": (
        ("citizen", "Em chỉ chị cách quét mã QR trả tiền điện với."),
        ("volunteer", "Dạ chị mở ứng dụng ngân hàng, bấm biểu tượng quét QR rồi đưa vào mã ạ."),
        ("citizen", "Trả được rồi em ơi."),
    ),
    "digital_skills": (
        ("citizen", "Điện thoại bác chữ nhỏ quá, đọc không được."),
        ("volunteer", "Dạ bác vào Cài đặt, chọn Màn hình, kéo cỡ chữ to lên ạ."),
        ("citizen", "Rõ lắm rồi, cảm ơn cháu."),
    ),
    "other": (
        ("citizen", "Cháu ơi, bác muốn hỏi một việc ở xã."),
        ("volunteer", "Dạ bác nói giúp cháu việc gì, cháu hỏi tổ rồi báo bác ạ."),
    ),
}
SERVICES_BY_TOPIC: dict[str, tuple[str, ...]] = {
    "vneid": ("vneid_activation", "vneid_activation", "vneid_other"),
    "public_services": ("dvc_submission", "dvc_submission", "dvc_account"),
    "cashless_payment": ("cashless_setup", "cashless_use", "scam_advice"),
    "digital_skills": ("digital_skills", "digital_skills", "scam_advice"),
    "other": ("other",),
}
COMMENTS: dict[int, tuple[str, ...]] = {
    5: ("Cháu hướng dẫn dễ hiểu lắm", "Cảm ơn tổ rất nhiều", "Nhanh và nhiệt tình"),
    4: ("Được việc, cảm ơn", "Chờ hơi lâu nhưng được việc"),
    3: ("Tạm được",),
    2: ("Chưa làm xong, phải ra xã",),
    1: ("Chờ lâu quá",),
}
FIELD_PLACES = (
    "Nhà văn hóa thôn {n}",
    "Nhà văn hóa thôn {n}",
    "Nhà văn hóa làng {n}",
    "Hội trường UBND {kind}",
    "Điểm Bưu điện văn hóa {kind}",
    "Sân nhà rông trung tâm",
    "Chợ trung tâm {kind}",
    "Đến từng nhà ở thôn {n}",
)
FIELD_SERVICES = {
    "vneid_activation": 10,
    "vneid_other": 4,
    "dvc_submission": 6,
    "dvc_account": 3,
    "cashless_setup": 4,
    "cashless_use": 3,
    "scam_advice": 5,
    "digital_skills": 4,
}
FIELD_NOTES = (
    "",
    "",
    "Hướng dẫn bà con kích hoạt VNeID mức 2",
    "Tuyên truyền phòng chống lừa đảo qua mạng",
    "Nhắc bà con mang theo căn cước và điện thoại",
    "Phối hợp với công an xã",
    "Hướng dẫn nộp hồ sơ trực tuyến",
)


# --- Seeding ---------------------------------------------------------------------------------


@dataclass
class _Team:
    plan: _TeamPlan
    commune: Commune
    row: TeamRow
    leader: PersonRow
    members: list[tuple[_Member, PersonRow]] = field(default_factory=list)  # leader first
    citizens: list[PersonRow] = field(default_factory=list)


@dataclass
class _Cast:
    """Everybody in the demo, and the console id each one is reached at."""

    teams: list[_Team]
    console: dict[int, str]  # person id -> "demo-..."


@dataclass
class _Event:
    at: datetime
    kind: str
    actor_id: int | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Request:
    row: HelpRequestRow
    events: list[_Event]
    messages: list[tuple[datetime, str, str]]  # (at, sender, text)


def _local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A Vietnam local time, as the UTC-aware datetime the database stores."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=VIETNAM).astimezone(UTC)


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _minutes(rng: random.Random, low: float, high: float, mode: float) -> timedelta:
    return timedelta(seconds=round(rng.triangular(low, high, mode) * 60))


class _Codes:
    """Handles and reference codes not used yet (in the database or in this demo)."""

    def __init__(self, handles: set[str], refs: set[str]) -> None:
        self.handles, self.refs = handles, refs

    @classmethod
    async def load(cls, session: AsyncSession) -> _Codes:
        handles = set((await session.execute(select(PersonRow.handle))).scalars())
        refs = set((await session.execute(select(HelpRequestRow.ref))).scalars())
        return cls(handles, refs)

    def handle(self) -> str:
        while (code := new_code(HANDLE_LENGTH)) in self.handles:
            pass
        self.handles.add(code)
        return code

    def ref(self) -> str:
        while (code := REF_PREFIX + new_code(REF_LENGTH)) in self.refs:
            pass
        self.refs.add(code)
        return code


def _demo_name(given: str) -> str:
    return f"{given} {DEMO_MARK}"


def _communes(places: Places) -> tuple[str, list[Commune]]:
    province = places.find_province(PROVINCE)
    communes = [places.commune(plan.commune_code) for plan in TEAMS]
    found = [c for c in communes if c is not None]
    if province is None or len(found) != len(TEAMS):
        raise DemoError(
            "Dữ liệu mẫu dùng tỉnh Gia Lai, nhưng máy chủ này không phục vụ tỉnh Gia Lai "
            "(xem TROLYSO_PROVINCES)."
        )
    if any(c.province_code != province.code for c in found):  # pragma: no cover - data error
        raise DemoError("Danh mục xã/phường không khớp với tỉnh Gia Lai.")
    return province.short, found


async def database_is_empty(session: AsyncSession) -> bool:
    """True when nobody, no help request and no field log is stored yet."""
    for column in (PersonRow.id, HelpRequestRow.id, FieldLogRow.id):
        if (await session.execute(select(column).limit(1))).first() is not None:
            return False
    return True


async def seed_demo(
    session: AsyncSession,
    places: Places,
    *,
    today: date,
    seed: int = 7,
    now: datetime | None = None,
) -> DemoSummary:
    """Add the demo to the database; never commits (the caller owns the transaction).

    The month is the 30 local days ending `today`. Finished requests happen on the days
    before `today`; the live ones (open, active) a few minutes before `now`, which defaults
    to 09:00 local time on `today` (pass the real clock from the CLI).
    """
    if now is None:
        now = _local(today, 9)
    elif now.tzinfo is None:
        raise ValueError("naive datetime: use timezone-aware UTC times")
    rng = random.Random(seed)
    province, communes = _communes(places)
    codes = await _Codes.load(session)
    first_day = today - timedelta(days=DAYS - 1)
    setup_at = _local(first_day - timedelta(days=7), 8)

    cast = await _add_people(session, codes, communes, setup_at)
    requests = _history(rng, codes, cast, first_day)
    requests += _live(rng, codes, cast, now)
    session.add_all([r.row for r in requests])
    await session.flush()
    for request in requests:
        session.add_all(
            RequestEventRow(
                request_id=request.row.id,
                kind=e.kind,
                actor_id=e.actor_id,
                at=e.at,
                detail=e.detail,
            )
            for e in sorted(request.events, key=lambda e: e.at)
        )
        session.add_all(
            RelayMessageRow(request_id=request.row.id, sender=sender, text=text, at=at)
            for at, sender, text in request.messages
        )
    logs = _field_logs(rng, cast.teams, first_day)
    session.add_all(logs)
    await session.flush()

    statuses = [r.row.status for r in requests]
    return DemoSummary(
        province=province,
        communes=tuple(c.label for c in communes),
        people=_logins(cast.teams),
        requests=len(requests),
        field_logs=len(logs),
        open_requests=statuses.count("open"),
        active_requests=statuses.count("active"),
        first_day=first_day,
        last_day=today,
    )


async def _add_people(
    session: AsyncSession, codes: _Codes, communes: Sequence[Commune], at: datetime
) -> _Cast:
    """Teams, leaders, volunteers, the operator, the citizen to play, and demo citizens."""
    team_rows = [
        TeamRow(
            name=f"Tổ công nghệ số cộng đồng {commune.label} {DEMO_MARK}",
            commune_code=commune.code,
            province_code=commune.province_code,
            created_at=at,
        )
        for commune in communes
    ]
    session.add_all(team_rows)
    await session.flush()

    def person(role: str, name: str | None, team: TeamRow | None = None) -> PersonRow:
        return PersonRow(
            handle=codes.handle(),
            role=role,
            display_name=name,
            team_id=team.id if team else None,
            created_at=at,
        )

    operator = person("operator", _demo_name("Quản trị"))
    citizen = person("citizen", _demo_name("Người dân"))
    consoles: list[tuple[PersonRow, str]] = [(operator, "quantri"), (citizen, "nguoidan")]
    teams: list[_Team] = []
    for plan, commune, row in zip(TEAMS, communes, team_rows, strict=True):
        team = _Team(plan, commune, row, person("leader", _demo_name(plan.leader.given), row))
        team.members.append((plan.leader, team.leader))
        team.members += [
            (m, person("volunteer", _demo_name(m.given), row)) for m in plan.volunteers
        ]
        consoles += [(p, m.slug) for m, p in team.members]
        teams.append(team)
    number = 0
    for team in teams:
        for _ in range(team.plan.citizens):
            number += 1
            team.citizens.append(person("citizen", None))
            consoles.append((team.citizens[-1], f"dan-{number:02d}"))
    session.add_all(p for p, _ in consoles)
    await session.flush()

    session.add_all(
        IdentityRow(person_id=p.id, channel=CHANNEL, external_id=f"demo-{slug}", last_seen_at=at)
        for p, slug in consoles
    )
    audit = [
        AuditRow(
            at=at,
            actor_id=None,
            action="role_change",
            target=operator.handle,
            detail={"old": "citizen", "new": "operator", "by": "demo"},
        )
    ]
    for team in teams:
        for member, p in team.members:
            leader = member is team.plan.leader
            session.add(
                VolunteerRow(
                    person_id=p.id,
                    skills=[] if leader else list(member.skills),
                    on_duty=member.on_duty,
                    max_sessions=2,
                )
            )
            session.add(VolunteerCommuneRow(person_id=p.id, commune_code=team.commune.code))
            audit.append(
                AuditRow(
                    at=at + timedelta(minutes=5 if leader else 30),
                    actor_id=operator.id if leader else p.id,
                    action="role_change",
                    target=p.handle,
                    detail={"old": "citizen", "new": p.role, "team": team.row.id, "by": "demo"},
                )
            )
    session.add_all(audit)
    await session.flush()
    return _Cast(teams, {p.id: f"demo-{slug}" for p, slug in consoles})


def _new_request(
    rng: random.Random,
    codes: _Codes,
    cast: _Cast,
    team: _Team,
    citizen: PersonRow,
    created: datetime,
    status: str,
) -> HelpRequestRow:
    topic = _pick(rng, TOPIC_WEIGHTS)
    mode = _pick(rng, MODE_WEIGHTS)
    phone = None
    if mode == "phone" or rng.random() < 0.06:
        phone = f"0900000{rng.randrange(1000):03d}"  # obviously fake, still well formed
    description = "" if rng.random() < 0.15 else rng.choice(DESCRIPTIONS[topic])
    return HelpRequestRow(
        ref=codes.ref(),
        citizen_id=citizen.id,
        citizen_channel=CHANNEL,
        citizen_external_id=cast.console[citizen.id],
        pseudonym=rng.choice(PSEUDONYMS),
        team_id=team.row.id,
        topic=topic,
        commune_code=team.commune.code,
        province_code=team.commune.province_code,
        description=description,
        mode=mode,
        phone=phone,
        status=status,
        services=[],
        is_demo=True,
        created_at=created,
        last_activity_at=created,
    )


def _volunteer(rng: random.Random, team: _Team, not_this: PersonRow | None = None) -> PersonRow:
    members = [(m, p) for m, p in team.members if p is not not_this]
    return rng.choices([p for _, p in members], weights=[m.weight for m, _ in members])[0]


def _claim(cast: _Cast, request: HelpRequestRow, volunteer: PersonRow) -> None:
    request.volunteer_id = volunteer.id
    request.volunteer_channel = CHANNEL
    request.volunteer_external_id = cast.console[volunteer.id]


def _history(rng: random.Random, codes: _Codes, cast: _Cast, first_day: date) -> list[_Request]:
    """The finished requests of the month, on the days before `today`."""
    days = [first_day + timedelta(days=n) for n in range(DAYS - 1)]
    # Fewer requests at the weekend, and more as the month goes on (word gets around).
    weights = [
        (1.5 if d.weekday() == 6 else 2.0 if d.weekday() == 5 else 3.0) * (1 + 0.6 * n / DAYS)
        for n, d in enumerate(days)
    ]
    count = TOTAL_REQUESTS - len(LIVE)
    moments = sorted(
        _local(day, _pick(rng, HOUR_WEIGHTS), rng.randrange(60), rng.randrange(60))
        for day in rng.choices(days, weights=weights, k=count)
    )
    requests: list[_Request] = []
    chats = 0
    teams = cast.teams
    for created in moments:
        team = rng.choices(teams, weights=[t.plan.share for t in teams])[0]
        citizen = rng.choice(team.citizens)
        status = _pick(rng, STATUS_WEIGHTS)
        row = _new_request(rng, codes, cast, team, citizen, created, status)
        events = [_Event(created, "created", citizen.id)]
        messages: list[tuple[datetime, str, str]] = []
        if status == "cancelled":
            events.append(_Event(created, "notified", None, {"count": rng.randint(1, 3)}))
            events.append(_Event(created + _minutes(rng, 3, 14, 5), "cancelled", citizen.id))
        elif status == "unclaimed":
            notified = rng.choice((0, 0, 1, 2))
            events.append(_Event(created, "notified", None, {"count": notified}))
            escalated = created if notified == 0 else created + CLAIM_TIMEOUT
            events.append(_Event(escalated, "escalated", None, {"leaders": 1}))
            events.append(_Event(created + GIVEUP_TIMEOUT, "unclaimed", None))
        else:
            with_messages = row.mode == "chat" and chats < 10 and rng.random() < 0.15
            chats += with_messages
            _closed(rng, cast, team, citizen, row, events, messages if with_messages else None)
        requests.append(_Request(row, events, messages))
    return requests


def _closed(
    rng: random.Random,
    cast: _Cast,
    team: _Team,
    citizen: PersonRow,
    row: HelpRequestRow,
    events: list[_Event],
    messages: list[tuple[datetime, str, str]] | None,
) -> None:
    """A session that went the whole way: claimed, ended, outcome, maybe rated."""
    created = row.created_at
    events.append(_Event(created, "notified", None, {"count": rng.randint(1, 3)}))
    wait = _minutes(rng, 2, 40, 7)
    if wait > CLAIM_TIMEOUT:
        events.append(_Event(created + CLAIM_TIMEOUT, "escalated", None, {"leaders": 1}))
    claimed = created + wait
    volunteer = _volunteer(rng, team)
    events.append(_Event(claimed, "claimed", volunteer.id))
    if rng.random() < 0.05:  # busy after all: back to the queue, a teammate takes it
        released = claimed + _minutes(rng, 3, 10, 5)
        events.append(_Event(released, "released", volunteer.id))
        events.append(_Event(released, "notified", None, {"count": rng.randint(1, 2)}))
        volunteer = _volunteer(rng, team, not_this=volunteer)
        claimed = released + _minutes(rng, 2, 12, 4)
        events.append(_Event(claimed, "claimed", volunteer.id))
    _claim(cast, row, volunteer)
    handling = _minutes(rng, 10, 60, 20)
    ended = claimed + handling
    idle = handling >= timedelta(minutes=35) and rng.random() < 0.2
    if idle:
        events.append(_Event(ended, "idle_closed", None))
        talk_until = ended - IDLE_TIMEOUT
    elif rng.random() < 0.7:
        events.append(_Event(ended, "ended", volunteer.id, {"by": "volunteer"}))
        talk_until = ended - timedelta(minutes=1)
    else:
        events.append(_Event(ended, "ended", citizen.id, {"by": "citizen"}))
        talk_until = ended - timedelta(minutes=1)
    if messages is not None:
        messages += _talk(rng, row.topic, claimed, talk_until)
    row.status = "closed"
    row.last_activity_at = ended
    row.outcome = _pick(rng, OUTCOME_WEIGHTS)
    services = SERVICES_BY_TOPIC[row.topic]
    row.services = sorted(set(rng.sample(services, k=min(len(services), rng.choice((1, 1, 2))))))
    outcome_at = ended + _minutes(rng, 1, 5, 2)
    events.append(_Event(outcome_at, "outcome", volunteer.id, {"outcome": row.outcome}))
    if rng.random() < 0.7:
        rating = _pick(rng, RATING_WEIGHTS)
        if row.outcome in ("unresolved", "referred") and rating > 3:
            rating -= 1
        row.rating = rating
        events.append(
            _Event(ended + _minutes(rng, 1, 25, 4), "rated", citizen.id, {"rating": rating})
        )
        if rng.random() < 0.3:
            row.rating_comment = rng.choice(COMMENTS[rating])


def _talk(
    rng: random.Random, topic: str, since: datetime, until: datetime
) -> list[tuple[datetime, str, str]]:
    """A short exchange spread between `since` and `until`."""
    lines = RELAYS[topic][: rng.randint(2, len(RELAYS[topic]))]
    span = max((until - since).total_seconds(), 60.0)
    step = span / (len(lines) + 1)
    return [
        (since + timedelta(seconds=round(step * (n + 1))), sender, text)
        for n, (sender, text) in enumerate(lines)
    ]


def _live(rng: random.Random, codes: _Codes, cast: _Cast, now: datetime) -> list[_Request]:
    """Requests still waiting (open) or in progress (active) a few minutes before `now`."""
    by_commune = {t.commune.code: t for t in cast.teams}
    free = {t.commune.code: rng.sample(t.citizens, k=len(t.citizens)) for t in cast.teams}
    requests: list[_Request] = []
    for commune_code, status, minutes_ago, slug in LIVE:
        team = by_commune[commune_code]
        citizen = free[commune_code].pop()  # one live request per citizen
        created = (now - timedelta(minutes=minutes_ago)).replace(microsecond=0)
        row = _new_request(rng, codes, cast, team, citizen, created, status)
        events = [_Event(created, "created", citizen.id)]
        messages: list[tuple[datetime, str, str]] = []
        events.append(_Event(created, "notified", None, {"count": rng.randint(1, 2)}))
        if status == "open":
            if created + CLAIM_TIMEOUT <= now:
                events.append(_Event(created + CLAIM_TIMEOUT, "escalated", None, {"leaders": 1}))
        else:
            volunteer = next(p for m, p in team.members if m.slug == slug)
            row.mode = "chat"
            claimed = created + _minutes(rng, 2, 8, 4)
            events.append(_Event(claimed, "claimed", volunteer.id))
            _claim(cast, row, volunteer)
            messages = _talk(rng, row.topic, claimed, now - timedelta(minutes=2))[:2]
            row.last_activity_at = messages[-1][0]
        requests.append(_Request(row, events, messages))
    return requests


def _field_logs(rng: random.Random, teams: list[_Team], first_day: date) -> list[FieldLogRow]:
    """Sundays at the cultural house, evenings door to door: logged after the fact."""
    days = [first_day + timedelta(days=n) for n in range(DAYS - 1)]
    weights = [4 if d.weekday() == 6 else 3 if d.weekday() == 5 else 1 for d in days]
    logs: list[FieldLogRow] = []
    for day in sorted(rng.choices(days, weights=weights, k=FIELD_LOGS)):
        team = rng.choices(teams, weights=[t.plan.share for t in teams])[0]
        shares = [m.weight for m, _ in team.members]
        _, volunteer = rng.choices(team.members, weights=shares)[0]
        kind = team.commune.kind.lower()
        place = rng.choice(FIELD_PLACES).format(n=rng.randint(1, 9), kind=kind)
        services = sorted(
            set(rng.choices(list(FIELD_SERVICES), list(FIELD_SERVICES.values()), k=3))
        )
        logs.append(
            FieldLogRow(
                day=day,
                commune_code=team.commune.code,
                province_code=team.commune.province_code,
                team_id=team.row.id,
                volunteer_id=volunteer.id,
                volunteer_name=volunteer.display_name,
                place=place,
                services=services,
                citizens_helped=rng.randint(3, 40),
                duration_minutes=rng.choice((60, 90, 120, 150, 180, 240)),
                notes=rng.choice(FIELD_NOTES),
                source="demo",
                created_at=_local(day, 18, rng.randrange(60)),
            )
        )
    return logs


# --- What the CLI prints -----------------------------------------------------------------


def _logins(teams: list[_Team]) -> tuple[DemoLogin, ...]:
    people = [
        DemoLogin(
            "demo-nguoidan",
            "citizen",
            "Người dân chưa có yêu cầu nào: thử nhờ tình nguyện viên giúp (xem bên dưới)",
        ),
        DemoLogin(
            "demo-quantri",
            "operator",
            "Quản trị viên: nhận yêu cầu ở mọi xã, giao tổ trưởng (/totruong), thu hồi quyền",
        ),
    ]
    for team in teams:
        place = team.commune.name
        for member, person in team.members:
            if person is team.leader:
                people.append(
                    DemoLogin(
                        f"demo-{member.slug}",
                        "leader",
                        f"Tổ trưởng {place}: tạo mã mời (/moi), nhận báo khi chưa ai nhận",
                    )
                )
                continue
            skills = ", ".join(TOPICS[s] for s in member.skills)
            duty = "đang trực" if member.on_duty else "chưa bật trực"
            people.append(
                DemoLogin(
                    f"demo-{member.slug}",
                    "volunteer",
                    f"Tình nguyện viên {place}, {duty}; giúp: {skills}",
                )
            )
    return tuple(people)


def _day(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def render_summary(summary: DemoSummary) -> str:
    """What `trolyso demo` prints: what was made, who to play, and what to try first."""
    width = max(len(p.console_name) for p in summary.people)
    role_width = max(len(ROLES[p.role]) for p in summary.people)
    lines = [
        f"Đã tạo dữ liệu DEMO ở tỉnh {summary.province} (mọi tên đều có đuôi {DEMO_MARK}):",
        f"  • Xã/phường: {'; '.join(summary.communes)}",
        f"  • {summary.requests} yêu cầu hỗ trợ từ {_day(summary.first_day)} đến "
        f"{_day(summary.last_day)} ({summary.open_requests} đang chờ nhận, "
        f"{summary.active_requests} đang hỗ trợ)",
        f"  • {summary.field_logs} buổi hỗ trợ trực tiếp",
        "",
        "Tài khoản dùng thử (trolyso chat --as TÊN):",
        *(
            f"  {p.console_name:<{width}}  {ROLES[p.role]:<{role_width}}  {p.description}"
            for p in summary.people
        ),
        "",
        "Thử ngay với hai cửa sổ dòng lệnh:",
        "  Cửa sổ 1 (tình nguyện viên): trolyso chat --as demo-lan",
        "    gõ /truc bat để bật trực, /hangdoi để xem yêu cầu đang chờ, "
        'gõ số của nút "Tôi nhận giúp" để nhận.',
        "  Cửa sổ 2 (người dân): trolyso chat --as demo-nguoidan",
        '    gõ "tôi cần người giúp", chọn việc, gõ "xã Ia Grai, Gia Lai" rồi làm theo',
        "    hướng dẫn; cửa sổ 1 sẽ nhận được thông báo có người cần giúp.",
        "  Nhắn qua lại giữa hai cửa sổ; gõ /ketthuc khi xong, rồi ghi kết quả và chấm điểm.",
        "",
        "Báo cáo của cả tháng:",
        f"  trolyso report --from {summary.first_day.isoformat()} "
        f"--to {summary.last_day.isoformat()} --province '{summary.province}' --format table",
        "",
        "Hẹn giờ và tin nhắn chờ gửi không được tạo: khởi động bot không làm phiền ai; các yêu "
        "cầu đang chờ/đang hỗ trợ giữ nguyên cho tới khi có người xử lý.",
    ]
    return "\n".join(lines)
