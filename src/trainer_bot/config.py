"""The bot's configuration: one validated Settings object, read from the environment and `.env`."""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from trainer_bot.layout import DataLayout
from trainer_bot.shards import ShardRange, parse_shard_ids

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def _is_http_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _usable_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count), for STT_THREADS."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class ConfigError(Exception):
    """A configuration problem, phrased as one line an operator can act on."""


class Settings(BaseSettings):
    """Everything an operator can set. Names match the environment variables (case-insensitive)."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_token: SecretStr | None = None
    discord_api_url: str = "https://discord.com/api/v10"
    # NoDecode: a comma-separated list, not the JSON pydantic-settings would expect for a list.
    dev_guilds: Annotated[tuple[int, ...], NoDecode] = ()
    # Several processes, each holding some of the bot's shards: SHARD_IDS (`0-1`, `0,2`) of SHARD_COUNT.
    # Empty SHARD_IDS: every shard in this process; empty SHARD_COUNT: Discord's recommended count.
    shard_ids: Annotated[tuple[int, ...], NoDecode] = ()
    shard_count: int | None = Field(default=None, ge=1, le=100_000)
    # Exactly one process syncs commands (two would race to overwrite them): "auto" is the one holding
    # shard 0, or the only one when not sharding.
    sync_commands: Literal["auto", "true", "false"] = "auto"
    data_dir: Path = Path("./data")
    database_url: str | None = None
    log_level: LogLevel = "INFO"
    instruction_file: Path | None = None
    max_upload_mb: float = Field(default=25.0, gt=0, le=500)
    # Everything members put in a guild's workspace with /files upload and /archive, together.
    workspace_max_mb: float = Field(default=200.0, gt=0, le=100_000)
    training_workers: int = Field(default=2, ge=1, le=16)
    # Where /train jobs run: "local" in this process's threads; "procrastinate" on a task queue in the same
    # PostgreSQL, run by `trainer-bot worker` processes; "auto": procrastinate on PostgreSQL, local on SQLite.
    job_queue: Literal["auto", "local", "procrastinate"] = "auto"
    # When a `trainer-bot worker` counts as dead and what happens to its jobs: it writes a heartbeat every
    # JOB_HEARTBEAT_SECONDS; one silent for JOB_STALLED_AFTER_SECONDS is dead, which a sweep on the other
    # workers notices (every JOB_SWEEP_SECONDS, a cron step) and runs its jobs again, JOB_MAX_RUNS in all.
    job_heartbeat_seconds: float = Field(default=10.0, gt=0, le=3600)
    job_stalled_after_seconds: float = Field(default=60.0, gt=0, le=86_400)
    job_sweep_seconds: int = Field(default=30, ge=1, le=59)
    job_max_runs: int = Field(default=3, ge=1, le=100)
    model_keep_versions: int = Field(default=5, ge=1, le=1000)  # older model versions are deleted
    model_cache_mb: int = Field(default=256, ge=8, le=1_000_000)  # loaded guild models kept in memory
    # Members' data: conversation turns older than this are deleted (0: kept until a member asks);
    # a guild that removed the bot loses all its data after the grace period.
    retention_days: int = Field(default=180, ge=0, le=36500)
    guild_data_grace_days: int = Field(default=30, ge=0, le=3650)
    # "mention": answer mentions, replies to the bot, DMs and channels enabled with /chat enable.
    # "all": answer every message (the original behaviour; for small private servers).
    chat_mode: Literal["mention", "all"] = "mention"

    # Speech to text: a local faster-whisper model (a name, a directory, or "tiny.en-bundled" /
    # "base-bundled" for weights shipped by registry packages), or any OpenAI-compatible server.
    stt_model: str = "base"
    stt_url: str | None = None  # one server's base URL, or several separated by commas (see stt_urls)
    stt_api_key: SecretStr | None = None
    stt_languages: Annotated[tuple[str, ...], NoDecode] = ("ru", "en")
    # CTranslate2 threads: one core is left to the event loop and everything else, and 2 at most. On a 2-core
    # host 1 thread transcribed 11-28 % faster than 2 (base int8, 5-13 s clips, medians of 10 interleaved
    # rounds with the cores shared; at best within 7 %); with spare cores 2 threads are faster.
    stt_threads: int = Field(default_factory=lambda: max(1, min(2, _usable_cores() - 1)), ge=1, le=64)
    stt_max_mb: float = Field(default=20.0, gt=0, le=200)
    stt_max_seconds: float = Field(default=300.0, gt=0, le=3600)
    # Text to speech: edge-tts first, espeak-ng when it fails.
    tts_voice: str = "ru-RU-SvetlanaNeural"
    tts_max_chars: int = Field(default=600, ge=20, le=5000)
    # Engines in the order they are tried; "edge" needs the internet, "espeak" works offline.
    tts_engines: Annotated[tuple[Literal["edge", "espeak"], ...], NoDecode] = ("edge", "espeak")

    # The language model that writes chat answers: "embedded" runs a GGUF file in this process (the bundled
    # SmolLM2-135M unless LLM_MODEL names another file), "url" asks any OpenAI-compatible server (OpenAI,
    # Ollama, llama.cpp's server, vLLM, LM Studio) at LLM_URL for the model LLM_MODEL, "off" never asks one.
    llm: Literal["embedded", "url", "off"] = "embedded"
    llm_url: str | None = None  # the server's base URL, including /v1
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_max_tokens: int = Field(default=256, ge=1, le=8192)  # the longest answer, in tokens
    # The whole answer's deadline, from the request to the last piece; a slower model is given up on.
    llm_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    llm_threads: int = Field(default=2, ge=1, le=64)  # CPU threads of the embedded model
    # Answers one guild may ask the model for in any minute; past it, what was taught answers instead.
    llm_guild_answers_per_minute: int = Field(default=20, ge=1, le=10_000)
    # The embedded model's context: prompt and answer together; more costs memory (the KV cache).
    llm_context_tokens: int = Field(default=2048, ge=256, le=131072)

    # Voice channels: the Lavalink node, and the HTTP server it fetches generated speech from. No default
    # password: a well-known one lets the bot talk to whatever node happens to listen on the port.
    # Without LAVALINK_PASSWORD (or LAVALINK_NODES) voice is off and answers stay in text.
    lavalink_host: str = "127.0.0.1"
    lavalink_port: int = Field(default=2333, ge=1, le=65535)
    lavalink_password: SecretStr | None = None
    # Several nodes, host:port:password separated by commas; when set, the three settings above are unused.
    lavalink_nodes: Annotated[tuple[str, ...], NoDecode] = ()
    audio_host: str = "127.0.0.1"
    audio_port: int = Field(default=8080, ge=0, le=65535)
    audio_public_url: str | None = None  # default: http://AUDIO_HOST:AUDIO_PORT
    voice_idle_seconds: float = Field(default=300.0, gt=0)
    # Deadlines of each spoken answer: it must start this soon after the play request, and end within
    # its own length plus the margin; otherwise it is skipped.
    voice_start_seconds: float = Field(default=5.0, gt=0, le=60)
    voice_end_margin_seconds: float = Field(default=5.0, gt=0, le=60)

    @field_validator("dev_guilds", "stt_languages", "tts_engines", "lavalink_nodes", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_ranges(cls, value: object) -> object:
        return parse_shard_ids(value) if isinstance(value, str) else value

    @field_validator("shard_count", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("sync_commands", mode="before")
    @classmethod
    def _lower_switch(cls, value: object) -> object:
        if isinstance(value, bool):
            return "true" if value else "false"
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("dev_guilds")
    @classmethod
    def _positive_ids(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(guild_id <= 0 for guild_id in value):
            raise ValueError("guild ids are positive numbers")
        return value

    @field_validator("discord_api_url", "audio_public_url", "llm_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("stt_url")
    @classmethod
    def _stt_servers(cls, value: str | None) -> str | None:
        """Every comma-separated entry is an http(s) URL with a host; the entry is named by its position,
        never echoed (it may carry credentials)."""
        if value is None or not value.strip():
            return None
        entries = [entry.strip().rstrip("/") for entry in value.split(",") if entry.strip()]
        for position, entry in enumerate(entries, start=1):
            if not _is_http_url(entry):
                raise ValueError(f"server {position} is not an http:// or https:// URL with a host")
            if entries.index(entry) < position - 1:
                raise ValueError(f"server {position} is listed twice")
        return ",".join(entries)

    @field_validator("lavalink_nodes")
    @classmethod
    def _node_addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for node in value:
            host, _, rest = node.partition(":")
            port, _, password = rest.partition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536 or not password:
                raise ValueError("give nodes as host:port:password separated by commas")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("stt_languages")
    @classmethod
    def _language_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        codes = tuple(code.lower() for code in value)
        if not codes or not all(code.isalpha() and 2 <= len(code) <= 3 for code in codes):
            raise ValueError("give language codes such as ru,en")
        return codes

    @model_validator(mode="after")
    def _node_needs_password(self) -> Settings:
        named = {"lavalink_host", "lavalink_port"} & self.model_fields_set
        if named and not self.lavalink_nodes and not self._lavalink_password():
            raise ValueError(
                f"LAVALINK_PASSWORD is required with {'/'.join(sorted(n.upper() for n in named))}: "
                "set it to the node's password (or remove the node settings to run without voice)"
            )
        return self

    @model_validator(mode="after")
    def _llm_is_complete(self) -> Settings:
        if self.llm == "url":
            missing = [name for name in ("llm_url", "llm_model") if not getattr(self, name)]
            if missing:
                raise ValueError(
                    f"{' and '.join(n.upper() for n in missing)} {'is' if len(missing) == 1 else 'are'} "
                    "required with LLM=url: set the server's address (http://host:port/v1) and the model's "
                    "name, or set LLM=embedded or LLM=off"
                )
        if self.llm == "embedded" and self.llm_max_tokens >= self.llm_context_tokens:
            raise ValueError(
                "LLM_MAX_TOKENS must be smaller than LLM_CONTEXT_TOKENS: the answer shares the context with "
                "the prompt"
            )
        return self

    @model_validator(mode="after")
    def _shards_are_consistent(self) -> Settings:
        if self.shard_ids and self.shard_count is None:
            raise ValueError(
                "SHARD_IDS needs SHARD_COUNT: set the total number of shards, the same in every process"
            )
        if self.shard_count is not None and self.shard_ids and self.shard_ids[-1] >= self.shard_count:
            raise ValueError(
                f"SHARD_IDS names shard {self.shard_ids[-1]}, but SHARD_COUNT={self.shard_count} numbers "
                f"shards 0-{self.shard_count - 1}"
            )
        return self

    @property
    def shards(self) -> ShardRange:
        return ShardRange(self.shard_ids, self.shard_count)

    @property
    def syncs_commands(self) -> bool:
        """Whether this process registers the commands with Discord (SYNC_COMMANDS)."""
        if self.sync_commands == "auto":
            return self.shards.holds_shard_zero
        return self.sync_commands == "true"

    @model_validator(mode="after")
    def _queue_needs_postgres(self) -> Settings:
        if self.job_queue == "procrastinate" and not self.uses_postgres:
            raise ValueError(
                "JOB_QUEUE=procrastinate needs PostgreSQL: set DATABASE_URL=postgresql+asyncpg://..., "
                "or JOB_QUEUE=local"
            )
        return self

    @model_validator(mode="after")
    def _several_processes_share_postgres(self) -> Settings:
        """SHARD_IDS means several bot processes on one database: SQLite cannot be shared safely between
        processes (least of all over a shared volume), and a process running jobs in its own threads fails
        every unfinished job at start, the other processes' running ones included."""
        if not self.shard_ids:
            return self
        if not self.uses_postgres:
            raise ValueError(
                "SHARD_IDS (several processes) needs PostgreSQL: SQLite cannot be shared by several "
                "processes; set DATABASE_URL=postgresql+asyncpg://..., the same in every process"
            )
        if self.job_queue == "local":
            raise ValueError(
                "SHARD_IDS (several processes) needs JOB_QUEUE=auto or procrastinate: with JOB_QUEUE=local "
                "each process would fail the jobs the others are running; train with `trainer-bot worker`"
            )
        return self

    @model_validator(mode="after")
    def _stall_timings_fit(self) -> Settings:
        if self.job_stalled_after_seconds <= self.job_heartbeat_seconds:
            raise ValueError(
                "JOB_STALLED_AFTER_SECONDS must be longer than JOB_HEARTBEAT_SECONDS: a worker would be "
                "taken for dead between two heartbeats"
            )
        return self

    @property
    def uses_postgres(self) -> bool:
        return (self.database_url or "").startswith(("postgresql", "postgres:"))

    @property
    def queued_jobs(self) -> bool:
        """Training jobs go to the procrastinate queue (run by `trainer-bot worker`), not this process."""
        return self.job_queue == "procrastinate" or (self.job_queue == "auto" and self.uses_postgres)

    def _lavalink_password(self) -> str:
        return self.lavalink_password.get_secret_value() if self.lavalink_password else ""

    @property
    def voice_enabled(self) -> bool:
        """Voice channels need a Lavalink node, and a node needs a password."""
        return bool(self.lavalink_addresses())

    @property
    def layout(self) -> DataLayout:
        return DataLayout(self.data_dir)

    def lavalink_addresses(self) -> list[tuple[str, int, str]]:
        """(host, port, password) of every node: LAVALINK_NODES, else the single LAVALINK_* node if it
        has a password; none when voice is off."""
        if not self.lavalink_nodes:
            if not self._lavalink_password():
                return []
            return [(self.lavalink_host, self.lavalink_port, self._lavalink_password())]
        addresses = []
        for node in self.lavalink_nodes:
            host, _, rest = node.partition(":")
            port, _, password = rest.partition(":")
            addresses.append((host, int(port), password))
        return addresses

    @property
    def stt_urls(self) -> tuple[str, ...]:
        """The speech recognition servers in STT_URL; empty: the local model transcribes."""
        return tuple(self.stt_url.split(",")) if self.stt_url else ()

    @property
    def stt_max_bytes(self) -> int:
        return int(self.stt_max_mb * 1024 * 1024)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def workspace_max_bytes(self) -> int:
        return int(self.workspace_max_mb * 1024 * 1024)

    def bot_user_id(self) -> int:
        """Discord tokens start with the base64 of the bot's user id; voice needs it before READY."""
        head = self.require_token().split(".", 1)[0]
        try:
            return int(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        except ValueError:
            raise ConfigError("DISCORD_TOKEN is invalid: it does not look like a bot token") from None

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
        if not first["loc"]:  # a rule across settings: its message names them
            raise ConfigError(str(first["msg"]).removeprefix("Value error, ")) from None
        raise ConfigError(f"{str(first['loc'][0]).upper()} is invalid: {first['msg']}") from None


def configure_logging(level: LogLevel) -> None:
    logging.basicConfig(
        level=getattr(logging, level),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    if level != "DEBUG":
        # A quiet start: the migration runner tells every step it takes, even when there is none.
        logging.getLogger("alembic").setLevel(logging.WARNING)
