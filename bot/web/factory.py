"""Build the web application from settings: every channel whose credentials are configured.

`trolyso serve` uses it in-process; several workers use `app_factory` through uvicorn:
`uvicorn --factory bot.web.factory:app_factory --workers 4` (PostgreSQL required).
`trolyso worker` builds the same channels and worker without the web application.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from starlette.applications import Starlette

from bot.channels.base import ChannelRuntime
from bot.channels.preview import channel_previewer
from bot.features.console.web import Console, console_mount
from bot.logs import configure_logging
from bot.services import Services, compose, support_config
from bot.settings import Settings
from bot.web.app import create_app
from bot.worker import Worker
from storage.db import warm

__all__ = [
    "ConfigurationError",
    "app_factory",
    "build_web_app",
    "build_worker",
    "channel_runtimes",
]


class ConfigurationError(ValueError):
    """A channel is half configured; the message names the missing variable."""


def channel_runtimes(settings: Settings, services: Services) -> list[ChannelRuntime]:
    """The channels this deployment serves by webhook, from the credentials it was given."""
    from bot.channels.telegram.runtime import TelegramRuntime

    runtimes: list[ChannelRuntime] = []
    token = Settings.secret(settings.telegram_bot_token)
    if token:
        secret = Settings.secret(settings.telegram_webhook_secret)
        if not secret:
            raise ConfigurationError(
                "TELEGRAM_WEBHOOK_SECRET must be set to serve the Telegram webhook "
                "(or unset TELEGRAM_BOT_TOKEN and use `trolyso telegram` for polling)"
            )
        runtimes.append(TelegramRuntime(services.bot, token, secret))
    if settings.zalo_app_id or Settings.secret(settings.zalo_oa_secret_key):
        from bot.channels.zalo_oa.runtime import build_zalo_oa

        try:
            runtimes.append(build_zalo_oa(services.bot, settings))
        except ValueError as error:  # names the missing ZALO_* variable
            raise ConfigurationError(str(error)) from error
    if Settings.secret(settings.zalo_bot_token):
        from bot.channels.zalo_bot.runtime import ZaloBotRuntime

        if not Settings.secret(settings.zalo_bot_webhook_secret):
            raise ConfigurationError(
                "ZALO_BOT_WEBHOOK_SECRET must be set to serve the Zalo Bot webhook "
                "(or use `trolyso zalobot poll`)"
            )
        runtimes.append(ZaloBotRuntime.from_settings(settings, services.bot))
    return runtimes


def build_worker(settings: Settings, services: Services, runtimes: list[ChannelRuntime]) -> Worker:
    """The background worker of these channels, with the deployment's replay delay."""
    return Worker(
        services.bot, runtimes, stalled_after=timedelta(seconds=settings.replay_after_seconds)
    )


def console_of(settings: Settings, services: Services) -> Console:
    """The web console, on the bot's own database, places and clock."""
    return Console(
        services.bot.sessions,
        services.places,
        services.bot.clock,
        limited=bool(settings.province_list),
        live=services.bot.live,
        preview=channel_previewer(services.bot.assistant.t),
        support=support_config(settings),
    )


# Connections opened at start-up: as many as the inbox processors use at once.
WARM_CONNECTIONS = 8


async def warm_up(services: Services) -> None:
    """What a cold worker would otherwise pay during its first burst, while webhooks wait for
    their 200: opening database connections and building the matcher's re-score data."""
    await warm(services.engine, WARM_CONNECTIONS)
    if services.inbox_engine is not None:
        await warm(services.inbox_engine, 2)
    services.matcher.prepare()


def build_web_app(settings: Settings, services: Services, *, worker: bool = True) -> Starlette:
    """The application; `worker=False` leaves background work to `trolyso worker` processes."""
    runtimes = channel_runtimes(settings, services)
    if not runtimes:
        logging.getLogger(__name__).warning(
            "no channel configured: only the probes and /metrics are served"
        )
    return create_app(
        services.bot,
        runtimes,
        worker=build_worker(settings, services, runtimes) if worker else None,
        on_startup=lambda: warm_up(services),
        on_shutdown=services.aclose,
        metrics_token=Settings.secret(settings.metrics_token),
        extra_routes=[console_mount(console_of(settings, services))],
    )


def app_factory() -> Starlette:
    """For uvicorn's --factory: settings from the environment, schema already migrated."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format, key=settings.log_hash_key())
    return build_web_app(settings, compose(settings))
