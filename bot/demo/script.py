"""The script of the demo month: who asks for what, when, and how each request should go.

Only intentions live here ("this citizen asks about VNeID at 19:42 and ends the chat after
25 minutes"); nothing is stored. bot/demo/month.py acts the script out through the bot, so
what the database holds is what the product did with it. Everything follows
`random.Random(seed)`: the same seed gives the same month.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from bot.demo.cast import Team, TeamPlan
from bot.support.common import SupportConfig

__all__ = [
    "DAYS",
    "VIETNAM",
    "Outing",
    "Visit",
    "local",
    "plan_field_work",
    "plan_requests",
]

VIETNAM = timezone(timedelta(hours=7))
DAYS = 30
TOTAL_REQUESTS = 120
FIELD_LOGS = 25
ZERO = timedelta(0)
# A history request is over within this long (wait, hand-back, handling, rating): the month's
# requests start at least this long before `now`, so none is cut short by the present.
LONGEST_VISIT = timedelta(hours=3)
# Live requests near `now`: (team index, status, minutes ago, volunteer slug for active ones).
LIVE: tuple[tuple[int, str, int, str | None], ...] = (
    (0, "open", 48, None),
    (0, "open", 9, None),
    (1, "open", 27, None),
    (0, "active", 41, "minh"),
    (2, "active", 33, "dung"),
)

TOPIC_WEIGHTS = {
    "vneid": 40,
    "public_services": 30,
    "cashless_payment": 12,
    "digital_skills": 12,
    "other": 6,
}
MODE_WEIGHTS = {"chat": 74, "phone": 14, "in_person": 12}
FATE_WEIGHTS = {"closed": 84, "cancelled": 8, "unclaimed": 8}
OUTCOME_WEIGHTS = {"resolved": 70, "partly": 15, "referred": 10, "unresolved": 5}
RATING_WEIGHTS = {5: 55, 4: 30, 3: 10, 2: 3, 1: 2}
# Local hours when citizens write: mornings before the fields, evenings after them.
HOUR_WEIGHTS = {
    7: 3, 8: 6, 9: 8, 10: 8, 11: 6, 12: 2, 13: 3, 14: 5, 15: 6, 16: 6, 17: 4, 18: 3, 19: 6,
    20: 6, 21: 3,
}  # fmt: skip
OPENINGS = ("Tôi cần người giúp", "toi can nguoi giup", "Cho tôi gặp người hỗ trợ")

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
# Short exchanges (no personal data), relayed in chat sessions.
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


@dataclass
class Visit:
    """One help request as the script means it to go; offsets count from `created`."""

    team: int  # index in the cast's teams
    created: datetime
    topic: str
    mode: str
    phone: str | None
    description: str  # "" = the citizen presses "Bỏ qua"
    opening: str  # what the citizen types first
    fate: str  # closed, cancelled, unclaimed; or open, active (still live at `now`)
    cancel_after: timedelta = ZERO
    wait: timedelta = ZERO  # until the first claim
    handback: timedelta | None = None  # claim -> /tra (then a teammate claims)
    reclaim: timedelta = ZERO  # /tra -> the second claim
    handling: timedelta = ZERO  # the last claim -> the end
    ending: str = "volunteer"  # who ends it: volunteer, citizen, or idle (the idle timer)
    talk: list[tuple[timedelta, str, str]] = field(default_factory=list)  # after the claim
    outcome: str = ""
    services: tuple[str, ...] = ()
    outcome_after: timedelta = ZERO  # after the end
    rating: int | None = None
    rating_after: timedelta = ZERO  # after the end
    comment: str = ""
    volunteer: str | None = None  # a live active request: who has it

    @property
    def claimed_after(self) -> timedelta:
        """From `created` to the last claim."""
        if self.handback is None:
            return self.wait
        return self.wait + self.handback + self.reclaim


@dataclass(frozen=True)
class Outing:
    """A day of help in person, logged from the chat with /ghinhan that evening."""

    team: int
    volunteer: str  # slug
    at: datetime
    place: str
    services: tuple[str, ...]
    citizens: int
    duration: int  # minutes
    notes: str


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A Vietnam local time, as the UTC-aware datetime the database stores."""
    return datetime.combine(day, time(hour, minute, second), tzinfo=VIETNAM).astimezone(UTC)


def _pick(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _minutes(rng: random.Random, low: float, high: float, mode: float) -> timedelta:
    return timedelta(seconds=round(rng.triangular(low, high, mode) * 60))


def _visit(rng: random.Random, team: int, created: datetime, fate: str) -> Visit:
    topic = _pick(rng, TOPIC_WEIGHTS)
    mode = _pick(rng, MODE_WEIGHTS)
    phone = None
    if mode == "phone" or rng.random() < 0.06:
        phone = f"0900000{rng.randrange(1000):03d}"  # obviously fake, still well formed
    description = "" if rng.random() < 0.15 else rng.choice(DESCRIPTIONS[topic])
    opening = rng.choice(OPENINGS)
    return Visit(team, created, topic, mode, phone, description, opening, fate)


def _talk(rng: random.Random, topic: str, until: timedelta, lines: int = 0) -> list[Any]:
    """A short exchange spread over (0, until] after the claim."""
    script = RELAYS[topic][: lines or rng.randint(2, len(RELAYS[topic]))]
    step = max(until.total_seconds(), 60.0) / (len(script) + 1)
    return [
        (timedelta(seconds=round(step * (n + 1))), sender, text)
        for n, (sender, text) in enumerate(script)
    ]


def _closed(rng: random.Random, visit: Visit, config: SupportConfig, chats: int) -> bool:
    """A session that goes the whole way: claimed, ended, outcome, maybe rated.

    Returns whether it relays messages. The idle timer closes a session nobody writes in
    for `idle_timeout`, so a long chat is a chat with messages, and a call or a visit
    (nothing relayed) either ends sooner or is closed by the timer.
    """
    quiet = config.idle_timeout
    visit.wait = min(_minutes(rng, 2, 40, 7), config.giveup_timeout - timedelta(minutes=5))
    if rng.random() < 0.05:  # busy after all: back to the queue, a teammate takes it
        visit.handback = _minutes(rng, 3, 10, 5)
        visit.reclaim = _minutes(rng, 2, 12, 4)
    visit.handling = _minutes(rng, 10, 60, 20)
    if visit.handling >= quiet + timedelta(minutes=5) and rng.random() < 0.2:
        visit.ending = "idle"
    else:
        visit.ending = "volunteer" if rng.random() < 0.7 else "citizen"
    chatty = False
    if visit.mode == "chat":
        needed = visit.ending != "idle" and visit.handling >= quiet - timedelta(minutes=3)
        chatty = needed or (chats < 10 and rng.random() < 0.15)
    elif visit.ending != "idle":
        visit.handling = min(visit.handling, quiet - timedelta(minutes=5))
    if chatty:
        if visit.ending == "idle":
            until = visit.handling - quiet
        else:
            until = visit.handling - timedelta(minutes=1)
        if until > timedelta(minutes=1):
            visit.talk = _talk(rng, visit.topic, until)
    visit.outcome = _pick(rng, OUTCOME_WEIGHTS)
    services = SERVICES_BY_TOPIC[visit.topic]
    chosen = rng.sample(services, k=min(len(services), rng.choice((1, 1, 2))))
    visit.services = tuple(sorted(set(chosen)))
    visit.outcome_after = _minutes(rng, 1, 5, 2)
    if rng.random() < 0.7:
        rating = _pick(rng, RATING_WEIGHTS)
        if visit.outcome in ("unresolved", "referred") and rating > 3:
            rating -= 1
        visit.rating = rating
        visit.rating_after = _minutes(rng, 1, 25, 4)
        if rng.random() < 0.3:
            visit.comment = rng.choice(COMMENTS[rating])
    return bool(visit.talk)


def plan_requests(
    rng: random.Random,
    teams: Sequence[TeamPlan],
    first_day: date,
    now: datetime,
    config: SupportConfig,
) -> list[Visit]:
    """The month's requests: finished ones on the days before `today`, live ones near `now`."""
    days = [first_day + timedelta(days=n) for n in range(DAYS - 1)]
    # Fewer requests at the weekend, and more as the month goes on (word gets around).
    weights = [
        (1.5 if d.weekday() == 6 else 2.0 if d.weekday() == 5 else 3.0) * (1 + 0.6 * n / DAYS)
        for n, d in enumerate(days)
    ]
    moments = []
    for day in rng.choices(days, weights=weights, k=TOTAL_REQUESTS - len(LIVE)):
        moment = local(day, _pick(rng, HOUR_WEIGHTS), rng.randrange(60), rng.randrange(60))
        if moment > now - LONGEST_VISIT:  # late last night and `now` is early morning
            moment -= timedelta(days=1)
        moments.append(moment)
    visits: list[Visit] = []
    chats = 0
    shares = [t.share for t in teams]
    for created in sorted(moments):
        team = rng.choices(range(len(teams)), weights=shares)[0]
        visit = _visit(rng, team, created, _pick(rng, FATE_WEIGHTS))
        if visit.fate == "cancelled":
            visit.cancel_after = _minutes(rng, 3, 14, 5)
        elif visit.fate == "closed":
            chats += _closed(rng, visit, config, chats)
        visits.append(visit)
    for team, fate, minutes_ago, slug in LIVE:
        created = (now - timedelta(minutes=minutes_ago)).replace(microsecond=0)
        visit = _visit(rng, team, created, fate)
        if fate == "active":
            visit.mode, visit.volunteer = "chat", slug
            visit.wait = _minutes(rng, 2, 8, 4)
            talking = now - timedelta(minutes=2) - created - visit.wait
            visit.talk = _talk(rng, visit.topic, talking, lines=2)
        visits.append(visit)
    return visits


def plan_field_work(rng: random.Random, teams: Sequence[Team], first_day: date) -> list[Outing]:
    """Sundays at the cultural house, evenings door to door: logged after the fact."""
    days = [first_day + timedelta(days=n) for n in range(DAYS - 1)]
    weights = [4 if d.weekday() == 6 else 3 if d.weekday() == 5 else 1 for d in days]
    outings: list[Outing] = []
    for day in sorted(rng.choices(days, weights=weights, k=FIELD_LOGS)):
        index = rng.choices(range(len(teams)), weights=[t.plan.share for t in teams])[0]
        team = teams[index]
        member = rng.choices([m for m, _ in team.members], [m.weight for m, _ in team.members])[0]
        kind = team.commune.kind.lower()
        place = rng.choice(FIELD_PLACES).format(n=rng.randint(1, 9), kind=kind)
        services = rng.choices(list(FIELD_SERVICES), list(FIELD_SERVICES.values()), k=3)
        outings.append(
            Outing(
                team=index,
                volunteer=member.slug,
                at=local(day, 18, rng.randrange(60)),
                place=place,
                services=tuple(sorted(set(services))),
                citizens=rng.randint(3, 40),
                duration=rng.choice((60, 90, 120, 150, 180, 240)),
                notes=rng.choice(FIELD_NOTES),
            )
        )
    return outings
