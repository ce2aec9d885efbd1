"""Server time of the content studio's pages (list, search, edit form with its preview, a
preview post), on the shipped content and a fresh SQLite database.

The studio's pages read the content in memory and one or two rows of content versions, so
the volume of requests and questions does not change them (bench_console.py measures those
pages). Usage: python -m bench.bench_studio [--loads 30]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from starlette.applications import Starlette

from bot.channels.preview import channel_previewer
from bot.features.console.links import issue_link
from bot.features.console.web import Console, console_mount
from bot.services import compose
from bot.settings import Settings
from bot.support.common import Turn
from storage.migrate import upgrade
from storage.models import PersonRow

PAGES = {
    "list": "/admin/content",
    "search (folded)": "/admin/content?q=dang+nhap+vneid",
    "edit + preview": "/admin/content/dvc.login",
    "new from nothing": "/admin/content/moi",
}


async def measure(folder: Path, loads: int) -> None:
    settings = Settings(_env_file=None, data_dir=folder)  # type: ignore[call-arg]
    services = compose(settings)
    bot = services.bot
    console = Console(
        bot.sessions,
        services.places,
        lambda: datetime.now(UTC),
        live=bot.live,
        preview=channel_previewer(bot.assistant.t),
    )
    app = Starlette(routes=[console_mount(console)])
    try:
        async with bot.sessions.begin() as session:
            person = PersonRow(handle="BENCHOP", role="operator")
            session.add(person)
            await session.flush()
            link = await issue_link(
                Turn.open(session, datetime.now(UTC)), person, "http://127.0.0.1", by="bench"
            )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            signed = await http.post("/admin/login", data={"token": link.split("token=")[1]})
            assert signed.status_code == 303, signed.text
            form = await http.get(PAGES["edit + preview"])
            fields = dict(
                re.findall(r'<input [^>]*name="([^"]+)"[^>]* value="([^"]*)"', form.text)
            )
            fields.update(
                re.findall(r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form.text, re.S)
            )
            fields.update(topic="public_services", action="xem-truoc")
            calls: dict[str, tuple[str, str, dict[str, str] | None]] = {
                name: ("GET", path, None) for name, path in PAGES.items()
            }
            calls["preview post"] = ("POST", PAGES["edit + preview"], fields)
            for name, (method, path, data) in calls.items():
                times: list[float] = []
                status = 0
                for _ in range(loads):
                    started = time.perf_counter()
                    response = await http.request(method, path, data=data)
                    times.append((time.perf_counter() - started) * 1000)
                    status = response.status_code
                times.sort()
                p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                print(
                    f"{name:18} HTTP {status}: median {statistics.median(times):6.1f} ms, "
                    f"p95 {p95:6.1f} ms ({loads} loads)"
                )
    finally:
        await services.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loads", type=int, default=30, help="loads per page (default 30)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(_env_file=None, data_dir=Path(folder))  # type: ignore[call-arg]
        upgrade(settings.resolved_database_url())
        asyncio.run(measure(Path(folder), args.loads))


if __name__ == "__main__":
    main()
