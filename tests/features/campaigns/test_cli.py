"""`trolyso broadcast`: dry run per channel, start, summary, and a leader's limits, on SQLite
and PostgreSQL (the command runs its own event loop, so these tests are synchronous)."""

from __future__ import annotations

import argparse
import asyncio
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from bot.features.campaigns.cli import add_broadcast_parser, run_broadcast
from bot.settings import Settings
from intents.places import Places
from storage import create_engine, session_factory
from storage.campaigns import SubscriptionRepository
from storage.models import IdentityRow, PersonRow, TeamRow

IA_GRAI = "xa ia grai gia lai"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="trolyso")
    add_broadcast_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["broadcast", *argv])


def call(url: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    settings = Settings(database_url=SecretStr(url))
    status = run_broadcast(settings, parse(*argv), out, err)
    return status, out.getvalue(), err.getvalue()


async def _seed(url: str, places: Places) -> None:
    """Two Telegram subscribers, one Zalo OA subscriber silent for 8 days, one recent, a
    leader of Ia Grai (code LEADER)."""
    ia_grai = places.search(IA_GRAI).candidates[0]
    now = datetime.now(UTC)
    engine = create_engine(url)
    async with session_factory(engine).begin() as session:
        team = TeamRow(name="Tổ Ia Grai", commune_code=ia_grai.code, province_code="x")
        team.province_code = ia_grai.province_code
        session.add(team)
        await session.flush()
        session.add(PersonRow(handle="LEADER", role="leader", team_id=team.id, created_at=now))
        rows = (("telegram", 0), ("telegram", 0), ("zalo", 8), ("zalo", 1))
        for number, (channel, days) in enumerate(rows):
            person = PersonRow(handle=f"SUB{number}", role="citizen", created_at=now)
            session.add(person)
            await session.flush()
            seen = now - timedelta(days=days)
            session.add(
                IdentityRow(
                    person_id=person.id,
                    channel=channel,
                    external_id=f"c{number}",
                    last_seen_at=seen,
                )
            )
            await SubscriptionRepository(session).subscribe(
                person.id, ia_grai.code, ia_grai.province_code, channel, now
            )
    await engine.dispose()


def test_dry_run_counts_per_channel_and_the_zalo_window(
    database_url: str, places: Places, tmp_path: Path
) -> None:
    asyncio.run(_seed(database_url, places))
    message = tmp_path / "tin.txt"
    message.write_text("Thứ Bảy có buổi hướng dẫn VNeID.", encoding="utf-8")
    status, out, _ = call(
        database_url, "--province", "gia lai", "--commune", "ia grai",
        "--text-file", str(message), "--dry-run",
    )  # fmt: skip
    assert status == 0
    assert "4 người đăng ký" in out
    assert "Telegram: 2 người sẽ nhận" in out
    assert "Zalo OA: 1 người sẽ nhận, 1 người không gửi được" in out
    # Nothing was stored: a real start afterwards is the first of the day.
    status, out, err = call(
        database_url, "--province", "gia lai", "--commune", "ia grai",
        "--text-file", str(message),
    )  # fmt: skip
    assert status == 0, err
    assert "Chiến dịch #1" in out
    assert "3 sẽ được gửi, 1 bỏ qua" in out
    status, out, _ = call(database_url, "--summary", "1")
    assert status == 0
    assert "Đang chờ gửi: 3" in out
    assert "Bỏ qua (Zalo OA: người nhận im lặng quá 7 ngày): 1" in out
    status, _, err = call(
        database_url, "--province", "gia lai", "--commune", "ia grai",
        "--text-file", str(message),
    )  # fmt: skip
    assert status == 1
    assert "mỗi ngày chỉ gửi một đợt" in err.lower()
    status, out, _ = call(database_url, "--cancel", "1")
    assert (status, out.strip()) == (0, "Chiến dịch #1: đã hủy.")


def test_a_leader_cannot_send_to_another_commune(
    database_url: str, places: Places, tmp_path: Path
) -> None:
    asyncio.run(_seed(database_url, places))
    message = tmp_path / "tin.txt"
    message.write_text("Tin", encoding="utf-8")
    status, _, err = call(
        database_url, "--province", "gia lai", "--commune", "pleiku",
        "--text-file", str(message), "--as", "LEADER",
    )  # fmt: skip
    assert status == 1
    assert "không thuộc phạm vi" in err
    status, _, err = call(
        database_url, "--province", "gia lai", "--text-file", str(message), "--as", "LEADER",
    )  # fmt: skip
    assert status == 1
    status, out, err = call(
        database_url, "--province", "gia lai", "--commune", "ia grai",
        "--text-file", str(message), "--as", "LEADER", "--dry-run",
    )  # fmt: skip
    assert status == 0, err
    assert "4 người đăng ký" in out


def test_bad_input_is_a_precise_usage_error(database_url: str, tmp_path: Path) -> None:
    assert call(database_url, "--province", "gia lai")[0] == 2
    missing = call(database_url, "--province", "gia lai", "--text-file", str(tmp_path / "x"))
    assert missing[0] == 2
    assert "no file at" in missing[2]
    binary = tmp_path / "tin.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    status, _, err = call(database_url, "--province", "gia lai", "--text-file", str(binary))
    assert status == 2
    assert "not UTF-8" in err
    unknown = tmp_path / "tin.txt"
    unknown.write_text("Tin", encoding="utf-8")
    status, _, err = call(database_url, "--province", "xyz", "--text-file", str(unknown))
    assert status == 1
    assert "Không tìm thấy tỉnh" in err
