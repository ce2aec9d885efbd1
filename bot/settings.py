"""One typed settings object, read from the environment (and an optional `.env`) at start-up."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from content import default_content_dir

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Everything configurable. Built once in `main()` and passed down; never a module global.

    Environment variables use the `TROLYSO_` prefix: `TROLYSO_CONTENT_DIR`, `TROLYSO_LOG_LEVEL`.
    """

    model_config = SettingsConfigDict(
        env_prefix="TROLYSO_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    content_dir: Path = Field(default_factory=default_content_dir)
    data_dir: Path = Path("data")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    # "json": one object per line (time, level, logger, message, update id, channel, latency).
    log_format: Literal["text", "json"] = "text"
    # Key of the hashes that stand for chat and user ids in log lines (see `log_hash_key`).
    log_key: SecretStr | None = None
    # When set, GET /metrics asks for it as a bearer token (Authorization: Bearer <token>).
    metrics_token: SecretStr | None = None
    # PostgreSQL in production (postgresql+asyncpg://...); empty means the embedded SQLite file.
    database_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "TROLYSO_DATABASE_URL")
    )

    # People and places. Operators: "channel:id" pairs, comma-separated
    # (e.g. "telegram:123456789,console:admin"); provinces: names or codes the deployment
    # serves, comma-separated; empty means the whole country.
    operators: str = ""
    provinces: str = ""
    # Support-session timers, in minutes, and how long message logs are kept, in days.
    claim_timeout_minutes: int = Field(default=15, ge=1)
    giveup_timeout_minutes: int = Field(default=60, ge=1)
    idle_timeout_minutes: int = Field(default=30, ge=1)
    invite_days: int = Field(default=7, ge=1, le=90)
    retention_days: int = Field(default=180, ge=1)
    # Where citizens and staff reach this deployment from outside (https://bot.example.vn):
    # the web console's sign-in links (/dangnhap) start with it. Empty: /dangnhap says the
    # console is not available, and `trolyso console login-link` prints a local address.
    public_url: str = ""
    # A stored webhook delivery not handled this many seconds after arrival (its worker died,
    # the database was down) is processed again by the background loop.
    replay_after_seconds: float = Field(default=60.0, gt=0, le=3600)
    # PostgreSQL connections each process keeps open (and half as many more at a peak). A
    # pool smaller than the work in hand (8 messages at once per channel, the sends, the
    # acknowledgements, the background rounds) opens and closes a connection for nearly
    # every message: 1,690 of them for 1,500 messages in one burst, each re-preparing its
    # statements. Ignored for SQLite (one writer, one connection).
    db_pool_size: int = Field(default=20, ge=1, le=200)
    # Messages a second each platform accepts from all workers together, "channel=rate,...":
    # Telegram's documented ~30 a second per bot. The Zalo platforms publish no figure: add
    # one here (e.g. "telegram=30,zalobot=20") once it is known.
    send_rates: str = Field(default="telegram=30", pattern=r"^\s*([a-z_]+=\d+\s*,?\s*)*$")

    # Channels. Names without the prefix, as the platforms' own guides spell them.
    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN")
    )
    telegram_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("TELEGRAM_WEBHOOK_SECRET")
    )
    zalo_app_id: str = Field(default="", validation_alias=AliasChoices("ZALO_APP_ID"))
    zalo_app_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ZALO_APP_SECRET")
    )
    zalo_oa_secret_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ZALO_OA_SECRET_KEY")
    )
    zalo_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ZALO_BOT_TOKEN")
    )
    zalo_bot_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("ZALO_BOT_WEBHOOK_SECRET")
    )
    # The Zalo Bot API host has moved before; override it without a release.
    zalo_bot_api_base: str = Field(
        default="https://bot-api.zaloplatforms.com",
        validation_alias=AliasChoices("ZALO_BOT_API_BASE"),
    )

    @property
    def operator_ids(self) -> frozenset[str]:
        """The configured operators as "channel:id" strings."""
        return frozenset(part.strip() for part in self.operators.split(",") if part.strip())

    @property
    def province_list(self) -> tuple[str, ...]:
        """The provinces this deployment serves (empty: all 34)."""
        return tuple(part.strip() for part in self.provinces.split(",") if part.strip())

    @staticmethod
    def secret(value: SecretStr | None) -> str:
        """A secret's value, or "" when it is not configured."""
        return value.get_secret_value().strip() if value is not None else ""

    @property
    def cache_dir(self) -> Path:
        """Files the bot can rebuild at any time (the matcher's normalized index)."""
        return Path(self.data_dir) / "cache"

    def log_hash_key(self) -> bytes:
        """The key for `bot.logs.hashed_id`: TROLYSO_LOG_KEY, else derived from the secrets.

        Derived, it stays the same as long as the deployment's secrets do (every replica and
        restart agrees) and nobody without them can compute it. With no secret configured at
        all (the console on SQLite) it is random, so hashes hold only until the next start.
        """
        own = Settings.secret(self.log_key)
        if own:
            return hashlib.sha256(own.encode()).digest()
        configured = {
            name: Settings.secret(getattr(self, name))
            for name in (
                "telegram_bot_token",
                "telegram_webhook_secret",
                "zalo_app_secret",
                "zalo_oa_secret_key",
                "zalo_bot_token",
                "zalo_bot_webhook_secret",
                "metrics_token",
            )
        }
        # The database URL is a secret only when it has a password in it.
        database = Settings.secret(self.database_url)
        if urlsplit(database).password:
            configured["database_url"] = database
        material = "\n".join(f"{name}={value}" for name, value in configured.items() if value)
        if not material:
            return secrets.token_bytes(32)
        return hmac.new(b"trolyso log key", material.encode(), hashlib.sha256).digest()

    def resolved_database_url(self) -> str:
        """The database to use: DATABASE_URL, or a SQLite file under the data folder."""
        if self.database_url is not None and self.database_url.get_secret_value():
            url = self.database_url.get_secret_value()
            # Accept the URL hosting providers print (postgres://...) and pick the async driver.
            for prefix in ("postgres://", "postgresql://"):
                if url.startswith(prefix):
                    return "postgresql+asyncpg://" + url.removeprefix(prefix)
            return url
        from storage.db import sqlite_url  # the database stack only when a URL is needed

        return sqlite_url(self.data_dir)
