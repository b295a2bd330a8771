"""The bot's configuration: one validated Settings object, read from the environment and `.env`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ConfigError(Exception):
    """A configuration problem, phrased as one line an operator can act on."""


class Settings(BaseSettings):
    """Everything an operator can set. Names match the environment variables (case-insensitive)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_token: SecretStr | None = None
    discord_api_url: str = "https://discord.com/api/v10"
    # NoDecode: a comma-separated list, not the JSON pydantic-settings would expect for a list.
    dev_guilds: Annotated[tuple[int, ...], NoDecode] = ()
    data_dir: Path = Path("./data")
    database_url: str | None = None
    log_level: LogLevel = "INFO"
    instruction_file: Path | None = None
    max_upload_mb: float = Field(default=25.0, gt=0, le=500)
    training_workers: int = Field(default=2, ge=1, le=16)
    # "mention": answer mentions, replies to the bot, DMs and channels enabled with /chat enable.
    # "all": answer every message (the original behaviour; for small private servers).
    chat_mode: Literal["mention", "all"] = "mention"

    @field_validator("dev_guilds", mode="before")
    @classmethod
    def _split_guild_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("dev_guilds")
    @classmethod
    def _positive_ids(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(guild_id <= 0 for guild_id in value):
            raise ValueError("guild ids are positive numbers")
        return value

    @field_validator("discord_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    def require_token(self) -> str:
        if self.discord_token is None or not self.discord_token.get_secret_value().strip():
            raise ConfigError("DISCORD_TOKEN is not set: put the bot token from the Developer Portal in .env")
        return self.discord_token.get_secret_value().strip()


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning pydantic's multi-line report into one line naming the variable.

    The offending value is never echoed: it might be the token.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        raise ConfigError(f"{name} is invalid: {first['msg']}") from None


def configure_logging(level: LogLevel) -> None:
    logging.basicConfig(
        level=getattr(logging, level),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
