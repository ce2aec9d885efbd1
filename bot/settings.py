"""One typed settings object, read from the environment (and an optional `.env`) at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from content import default_content_dir
from storage.db import sqlite_url

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
    # PostgreSQL in production (postgresql+asyncpg://...); empty means the embedded SQLite file.
    database_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "TROLYSO_DATABASE_URL")
    )

    def resolved_database_url(self) -> str:
        """The database to use: DATABASE_URL, or a SQLite file under the data folder."""
        if self.database_url is not None and self.database_url.get_secret_value():
            url = self.database_url.get_secret_value()
            # Accept the URL hosting providers print (postgres://...) and pick the async driver.
            for prefix in ("postgres://", "postgresql://"):
                if url.startswith(prefix):
                    return "postgresql+asyncpg://" + url.removeprefix(prefix)
            return url
        return sqlite_url(self.data_dir)
