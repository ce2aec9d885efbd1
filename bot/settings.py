"""One typed settings object, read from the environment (and an optional `.env`) at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
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
