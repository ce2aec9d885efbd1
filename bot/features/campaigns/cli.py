"""`trolyso broadcast`: a campaign message to the subscribers of a commune or a province.

    trolyso broadcast --province NAME [--commune NAME] --text-file FILE [--button INTENT]
                      [--as HANDLE] [--allow-more] [--dry-run]
    trolyso broadcast --summary ID | --pause ID | --resume ID | --cancel ID [--as HANDLE]

Without `--as` the command acts as the deployment's operator (whoever can run it can read the
database anyway); with `--as HANDLE` it acts as that person, so a team leader reaches only
the communes they serve. Starting a campaign writes its recipients; the running workers
(`trolyso serve` / `trolyso worker`) send it at the platforms' rates. `--dry-run` stores
nothing and prints, per channel, how many would receive it and how many cannot be reached.
Output is Vietnamese (an operator or leader reads it); usage errors stay English.
Exit status: 0 done, 1 refused, 2 usage error. Light at import: argparse only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.features.console.scope import Scope
    from bot.settings import Settings
    from content.support_texts import SupportTexts
    from intents.places import Places

__all__ = ["add_broadcast_parser", "run_broadcast"]

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
MAX_FILE = 64 * 1024


def add_broadcast_parser(sub: Any) -> None:
    """Add `broadcast` to the `trolyso` subcommands."""
    cast = sub.add_parser(
        "broadcast", help="send a campaign message to the subscribers of a commune or province"
    )
    cast.add_argument("--province", help="province name (diacritics optional)")
    cast.add_argument("--commune", help="commune name within the province")
    cast.add_argument("--text-file", type=Path, help="UTF-8 text file with the message")
    cast.add_argument("--button", default=None, help="intent id for an optional button")
    cast.add_argument("--as", dest="handle", default=None, help="act as this person (code)")
    cast.add_argument(
        "--allow-more", action="store_true", help="operator: allow a 2nd campaign today"
    )
    cast.add_argument("--dry-run", action="store_true", help="count recipients, send nothing")
    for action in ("summary", "pause", "resume", "cancel"):
        cast.add_argument(f"--{action}", type=int, metavar="ID", help=f"{action} campaign ID")


def run_broadcast(
    settings: Settings,
    args: argparse.Namespace,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Run `trolyso broadcast ...`; returns the exit status."""
    from content import load_content
    from intents.places import Places
    from storage.migrate import upgrade

    actions = [a for a in ("summary", "pause", "resume", "cancel") if getattr(args, a)]
    text = ""
    if len(actions) > 1:
        err.write("trolyso broadcast: give one of --summary, --pause, --resume, --cancel\n")
        return EXIT_USAGE
    if not actions:
        if not args.province or args.text_file is None:
            err.write("trolyso broadcast: --province and --text-file are required\n")
            return EXIT_USAGE
        path: Path = args.text_file
        if not path.is_file():
            err.write(f"trolyso broadcast: no file at {path}\n")
            return EXIT_USAGE
        if path.stat().st_size > MAX_FILE:
            err.write(f"trolyso broadcast: {path} is larger than {MAX_FILE} bytes\n")
            return EXIT_USAGE
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as error:
            err.write(f"trolyso broadcast: {path} is not UTF-8 text (byte {error.start})\n")
            return EXIT_USAGE
    content = load_content(settings.content_dir, settings.cache_dir)
    if args.button and args.button not in content.intents:
        err.write(f"trolyso broadcast: no intent {args.button!r} (see `trolyso content ids`)\n")
        return EXIT_USAGE
    places = Places.load(provinces=settings.province_list)
    url = settings.resolved_database_url()
    upgrade(url)
    job = _Job(args, actions[0] if actions else "", text, places, content.support, out, err)
    return asyncio.run(job.run(url, bool(settings.province_list)))


class _Job:
    def __init__(
        self,
        args: argparse.Namespace,
        action: str,
        text: str,
        places: Places,
        texts: SupportTexts,
        out: TextIO,
        err: TextIO,
    ) -> None:
        self.args, self.action, self.text = args, action, text
        self.places, self.t, self.out, self.err = places, texts, out, err

    async def run(self, url: str, limited: bool) -> int:
        from bot.features.campaigns.rules import CampaignError, record_refusal
        from storage import create_engine, session_factory

        engine = create_engine(url)
        sessions = session_factory(engine)
        now = datetime.now(UTC)
        actor_id: int | None = None
        try:
            try:
                async with sessions.begin() as session:
                    found = await self._scope(session, limited)
                    if found is None:
                        return EXIT_USAGE
                    actor_id, scope = found
                    return await self._act(session, scope, actor_id, now)
            except CampaignError as error:
                async with sessions.begin() as session:
                    await record_refusal(session, actor_id, error, now)
                self.err.write(self.t(error.key, **error.fields) + "\n")
                return EXIT_ERROR
        finally:
            await engine.dispose()

    async def _scope(
        self, session: AsyncSession, limited: bool
    ) -> tuple[int | None, Scope] | None:
        from bot.features.console.scope import Scope, scope_of
        from storage.people import PeopleRepository

        if not self.args.handle:
            served = frozenset(p.code for p in self.places.provinces()) if limited else None
            return None, Scope("operator", provinces=served)
        person = await PeopleRepository(session).by_handle(self.args.handle.strip())
        if person is None or person.deleted_at is not None:
            self.err.write(f"trolyso broadcast: nobody has the code {self.args.handle!r}\n")
            return None
        if person.role not in ("leader", "operator"):
            self.err.write(self.t("campaign_not_allowed") + "\n")
            return None
        return person.id, await scope_of(session, person, self.places, limited)

    async def _act(
        self, session: AsyncSession, scope: Scope, actor_id: int | None, now: datetime
    ) -> int:
        from bot.features.campaigns import rules
        from bot.features.campaigns.labels import STATUSES, describe_audience, describe_summary
        from storage.campaign_models import CampaignRow
        from storage.campaigns import CampaignRepository

        if self.action == "summary":
            campaign = await CampaignRepository(session).get(self.args.summary)
            if campaign is None or not rules.sees(scope, campaign):
                raise rules.CampaignError("campaign_not_found", id=str(self.args.summary))
            summary = await CampaignRepository(session).summary(campaign.id)
            self.out.write(describe_summary(campaign.id, campaign.status, summary) + "\n")
            return EXIT_OK
        if self.action:
            change = getattr(rules, self.action)
            campaign = await change(session, scope, actor_id, getattr(self.args, self.action), now)
            self.out.write(f"Chiến dịch #{campaign.id}: {STATUSES[campaign.status]}.\n")
            return EXIT_OK
        target = rules.resolve_target(self.places, self.args.province, self.args.commune)
        if self.args.dry_run:
            if not rules.may_reach(scope, target):
                raise rules.CampaignError("campaign_not_yours", place=target.label)
            probe = CampaignRow(
                province_code=target.province.code,
                commune_code=target.commune.code if target.commune else None,
            )
            audience = await CampaignRepository(session).audience(probe, now)
            self.out.write(describe_audience(target.label, audience) + "\n")
            return EXIT_OK
        campaign = await rules.create(
            session, scope, actor_id, target, self.text, self.args.button, now
        )
        campaign = await rules.start(
            session, scope, actor_id, campaign.id, now, allow_more=self.args.allow_more
        )
        summary = await CampaignRepository(session).summary(campaign.id)
        self.out.write(
            f"Chiến dịch #{campaign.id} tới {target.label}: {summary.total} người đăng ký, "
            f"{summary.pending} sẽ được gửi, {sum(summary.skipped.values())} bỏ qua. "
            "Các tiến trình `trolyso serve`/`trolyso worker` đang chạy sẽ gửi theo giới hạn "
            f"của từng nền tảng. Xem tiến độ: trolyso broadcast --summary {campaign.id}\n"
        )
        return EXIT_OK
