"""The demo's people: three Gia Lai teams, their leaders and volunteers, an operator, citizens.

This is the one part of the demo written straight into the database. No chat path gives a
person a display name, makes the first operator (that is `TROLYSO_OPERATORS`) or marks a team
"[DEMO]", so the cast is reference data, seeded like a deployment's initial set-up; everything
the cast then does in the month goes through the bot (see bot/demo/month.py).

Every demo name ends in " [DEMO]", every audit row of the set-up says `by="demo"`, and every
demo person has a console identity whose id starts with "demo-".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.demo.summary import DEMO_MARK, DemoLogin
from intents.places import Commune, Places
from storage.codes import new_code
from storage.models import (
    AuditRow,
    FieldLogRow,
    HelpRequestRow,
    IdentityRow,
    PersonRow,
    TeamRow,
    VolunteerCommuneRow,
    VolunteerRow,
)
from storage.people import HANDLE_LENGTH
from storage.vocabulary import TOPICS

__all__ = [
    "CHANNEL",
    "TEAMS",
    "Cast",
    "DemoError",
    "Member",
    "Team",
    "add_cast",
    "database_is_empty",
    "find_communes",
    "logins",
]

CHANNEL = "console"
PROVINCE = "gia lai"
SKILLS = tuple(code for code in TOPICS if code != "other")


class DemoError(Exception):
    """The demo cannot be seeded here; the message (Vietnamese) says why."""


@dataclass(frozen=True, slots=True)
class Member:
    given: str  # Vietnamese given name, shown as "<given> [DEMO]"
    slug: str  # ASCII: the console id is "demo-<slug>"
    skills: tuple[str, ...] = SKILLS
    on_duty: bool = False
    weight: int = 1  # how often they take requests and log field work


@dataclass(frozen=True, slots=True)
class TeamPlan:
    commune_code: str
    share: int  # weight of the commune in the requests
    citizens: int  # size of the commune's pool of demo citizens
    leader: Member
    volunteers: tuple[Member, ...]


IA_GRAI = "23764"
TEAMS: tuple[TeamPlan, ...] = (
    TeamPlan(
        IA_GRAI,
        share=45,
        citizens=16,
        leader=Member("Hùng", "totruong-iagrai"),
        volunteers=(
            Member("Lan", "lan", ("vneid", "public_services", "digital_skills"), False, 4),
            Member("Minh", "minh", ("vneid", "cashless_payment"), True, 3),
            Member("Hoa", "hoa", ("public_services", "digital_skills"), True, 3),
            Member("Tuấn", "tuan", ("cashless_payment", "digital_skills"), False, 2),
        ),
    ),
    TeamPlan(
        "23575",  # Phường Pleiku
        share=35,
        citizens=14,
        leader=Member("Thảo", "totruong-pleiku"),
        volunteers=(
            Member("Mai", "mai", ("vneid", "public_services"), True, 3),
            Member("Nam", "nam", ("cashless_payment", "digital_skills"), True, 2),
            Member("Linh", "linh", SKILLS, False, 3),
        ),
    ),
    TeamPlan(
        "23722",  # Xã Chư Păh
        share=20,
        citizens=10,
        leader=Member("Sơn", "totruong-chupah"),
        volunteers=(
            Member("Hương", "huong", ("vneid", "digital_skills"), True, 3),
            Member("Dũng", "dung", ("public_services", "vneid"), True, 2),
            Member("Trang", "trang", ("cashless_payment",), False, 2),
        ),
    ),
)


@dataclass
class Team:
    plan: TeamPlan
    commune: Commune
    row: TeamRow
    members: list[tuple[Member, PersonRow]] = field(default_factory=list)  # leader first
    citizens: list[tuple[PersonRow, str]] = field(default_factory=list)  # (person, console id)

    def member(self, slug: str) -> PersonRow:
        return next(p for m, p in self.members if m.slug == slug)


@dataclass
class Cast:
    """Everybody in the demo, and the console id each one is reached at."""

    province: str  # "Gia Lai"
    teams: list[Team]
    console: dict[int, str]  # person id -> "demo-..."

    @property
    def people_ids(self) -> list[int]:
        return list(self.console)


def find_communes(places: Places) -> tuple[str, list[Commune]]:
    """The province's short name and the demo's communes, or a DemoError saying why not."""
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


def _demo_name(given: str) -> str:
    return f"{given} {DEMO_MARK}"


async def add_cast(session: AsyncSession, places: Places, at: datetime) -> Cast:
    """Teams, leaders, volunteers, the operator, the citizen to play, and demo citizens."""
    province, communes = find_communes(places)
    handles = set((await session.execute(select(PersonRow.handle))).scalars())

    def handle() -> str:
        while (code := new_code(HANDLE_LENGTH)) in handles:
            pass
        handles.add(code)
        return code

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
            handle=handle(),
            role=role,
            display_name=name,
            team_id=team.id if team else None,
            created_at=at,
        )

    operator = person("operator", _demo_name("Quản trị"))
    consoles: list[tuple[PersonRow, str]] = [
        (operator, "quantri"),
        (person("citizen", _demo_name("Người dân")), "nguoidan"),
    ]
    teams: list[Team] = []
    for plan, commune, row in zip(TEAMS, communes, team_rows, strict=True):
        team = Team(plan, commune, row)
        team.members.append((plan.leader, person("leader", _demo_name(plan.leader.given), row)))
        team.members += [
            (m, person("volunteer", _demo_name(m.given), row)) for m in plan.volunteers
        ]
        consoles += [(p, m.slug) for m, p in team.members]
        teams.append(team)
    number = 0
    for team in teams:
        for _ in range(team.plan.citizens):
            number += 1
            team.citizens.append((person("citizen", None), f"demo-dan-{number:02d}"))
            consoles.append((team.citizens[-1][0], f"dan-{number:02d}"))
    session.add_all(p for p, _ in consoles)
    await session.flush()

    session.add_all(
        IdentityRow(person_id=p.id, channel=CHANNEL, external_id=f"demo-{slug}", last_seen_at=at)
        for p, slug in consoles
    )
    _add_volunteers(session, teams, operator, at)
    await session.flush()
    return Cast(province, teams, {p.id: f"demo-{slug}" for p, slug in consoles})


def _add_volunteers(
    session: AsyncSession, teams: list[Team], operator: PersonRow, at: datetime
) -> None:
    session.add(
        AuditRow(
            at=at,
            actor_id=None,
            action="role_change",
            target=operator.handle,
            detail={"old": "citizen", "new": "operator", "by": "demo"},
        )
    )
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
            session.add(
                AuditRow(
                    at=at + timedelta(minutes=5 if leader else 30),
                    actor_id=operator.id if leader else p.id,
                    action="role_change",
                    target=p.handle,
                    detail={"old": "citizen", "new": p.role, "team": team.row.id, "by": "demo"},
                )
            )


def logins(teams: list[Team]) -> tuple[DemoLogin, ...]:
    """The people `trolyso demo` suggests playing, with what each can try."""
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
            if person.role == "leader":
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
