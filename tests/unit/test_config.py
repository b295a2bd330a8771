"""Configuration errors stop start-up with one line naming the variable, and never show the token."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from trainer_bot.config import ConfigError, Settings, load_settings
from trainer_bot.shards import ShardRange

TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAx.secret-part.do-not-print"


def run_cli(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DEV_GUILDS", "LOG_LEVEL"))}
    return subprocess.run(
        [sys.executable, "-m", "trainer_bot", "run"],
        env=clean | env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("DISCORD_TOKEN", "DISCORD_API_URL", "DEV_GUILDS", "DATA_DIR", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.discord_api_url == "https://discord.com/api/v10"
    assert settings.dev_guilds == ()
    assert settings.data_dir == Path("./data")
    assert settings.log_level == "INFO"


def test_dev_guilds_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEV_GUILDS", " 123, 456 ,")
    assert load_settings().dev_guilds == (123, 456)


def test_dot_env_file_is_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    (tmp_path / ".env").write_text("LOG_LEVEL=debug\nDEV_GUILDS=42\n")
    settings = load_settings()
    assert settings.log_level == "DEBUG" and settings.dev_guilds == (42,)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEV_GUILDS", "123,abc"),
        ("DEV_GUILDS", "-5"),
        ("DISCORD_API_URL", "discord.com"),
        ("LOG_LEVEL", "loud"),
    ],
)
def test_malformed_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"^{name} is invalid"):
        load_settings()


def test_missing_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="DISCORD_TOKEN is not set"):
        load_settings().require_token()


def test_cli_exits_2_with_one_line_and_never_prints_the_token(tmp_path: Path) -> None:
    result = run_cli({"DISCORD_TOKEN": TOKEN, "DEV_GUILDS": "12,x"}, tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "trainer-bot: DEV_GUILDS is invalid: Input should be a valid integer, unable to parse string as an integer"
    ]
    assert "secret-part" not in result.stderr


def test_cli_without_token_exits_2(tmp_path: Path) -> None:
    result = run_cli({}, tmp_path)
    assert result.returncode == 2
    assert "DISCORD_TOKEN is not set" in result.stderr


def test_voice_is_off_without_a_lavalink_password(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("LAVALINK_HOST", "LAVALINK_PORT", "LAVALINK_PASSWORD", "LAVALINK_NODES"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert not settings.voice_enabled and settings.lavalink_addresses() == []
    monkeypatch.setenv("LAVALINK_PASSWORD", "a-long-random-string")
    assert load_settings().lavalink_addresses() == [("127.0.0.1", 2333, "a-long-random-string")]


def test_a_node_named_without_its_password_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LAVALINK_PASSWORD", raising=False)
    monkeypatch.setenv("LAVALINK_HOST", "lavalink")
    with pytest.raises(ConfigError, match=r"^LAVALINK_PASSWORD is required with LAVALINK_HOST"):
        load_settings()


def test_the_language_model_defaults_to_the_embedded_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in (
        "LLM",
        "LLM_URL",
        "LLM_MODEL",
        "LLM_MAX_TOKENS",
        "LLM_TIMEOUT_SECONDS",
        "LLM_CONTEXT_TOKENS",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.llm, settings.llm_model, settings.llm_max_tokens) == ("embedded", None, 256)
    assert (settings.llm_timeout_seconds, settings.llm_threads, settings.llm_context_tokens) == (
        10.0,
        2,
        2048,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LLM": "url"}, "LLM_URL and LLM_MODEL are required with LLM=url"),
        ({"LLM": "url", "LLM_URL": "http://127.0.0.1:11434/v1"}, "LLM_MODEL is required with LLM=url"),
        ({"LLM_MAX_TOKENS": "4096"}, "LLM_MAX_TOKENS must be smaller than LLM_CONTEXT_TOKENS"),
        ({"LLM_URL": "localhost:11434"}, "LLM_URL is invalid: Value error, must start with http"),
        ({"LLM": "cloud"}, "LLM is invalid"),
    ],
)
def test_an_incomplete_language_model_setting_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("LLM", "LLM_URL", "LLM_MODEL", "LLM_MAX_TOKENS", "LLM_CONTEXT_TOKENS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}") as refused:
        load_settings()
    assert "\n" not in str(refused.value)


def test_the_language_model_key_is_a_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LLM_API_KEY", "sk-do-not-print")
    settings = load_settings()
    assert "sk-do-not-print" not in repr(settings) and "sk-do-not-print" not in str(settings.model_dump())


def test_env_example_and_readme_name_every_setting() -> None:
    root = Path(__file__).parents[2]
    example = (root / ".env.example").read_text("utf-8")
    readme = (root / "README.md").read_text("utf-8")
    for name in (field.upper() for field in Settings.model_fields):
        assert re.search(rf"^(# ?)?{name}=", example, re.MULTILINE), f"{name} is missing from .env.example"
        assert f"`{name}`" in readme, f"{name} is missing from the README's Configuration table"


@pytest.mark.parametrize(
    ("database_url", "job_queue", "queued"),
    [
        (None, "auto", False),
        ("postgresql+asyncpg://bot@db/bot", "auto", True),
        ("postgresql+asyncpg://bot@db/bot", "local", False),
        ("postgresql+asyncpg://bot@db/bot", "procrastinate", True),
        ("sqlite+aiosqlite:///bot.db", "local", False),
    ],
)
def test_jobs_go_to_the_queue_on_postgresql_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str | None, job_queue: str, queued: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    if database_url is not None:
        monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("JOB_QUEUE", job_queue)
    assert load_settings().queued_jobs is queued


def test_the_queue_on_sqlite_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("JOB_QUEUE", "procrastinate")
    with pytest.raises(ConfigError, match=r"^JOB_QUEUE=procrastinate needs PostgreSQL: ") as refused:
        load_settings()
    assert "\n" not in str(refused.value)


POSTGRES = "postgresql+asyncpg://bot@db/bot"


def sharding_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str]) -> Settings:
    """Settings from `env`, on PostgreSQL (which several processes need) unless `env` names a database."""
    monkeypatch.chdir(tmp_path)
    for name in ("SHARD_IDS", "SHARD_COUNT", "SYNC_COMMANDS", "JOB_QUEUE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return load_settings()


@pytest.mark.parametrize(
    ("env", "ids", "count", "syncs"),
    [
        ({}, (), None, True),  # one process, every shard Discord recommends
        ({"SHARD_COUNT": ""}, (), None, True),
        ({"SHARD_COUNT": "4"}, (), 4, True),  # one process holding all four
        ({"SHARD_IDS": "0-1", "SHARD_COUNT": "4"}, (0, 1), 4, True),
        ({"SHARD_IDS": "2-3", "SHARD_COUNT": "4"}, (2, 3), 4, False),
        ({"SHARD_IDS": "2, 0,2", "SHARD_COUNT": "3"}, (0, 2), 3, True),
        ({"SHARD_IDS": "1", "SHARD_COUNT": "2", "SYNC_COMMANDS": "TRUE"}, (1,), 2, True),
        ({"SHARD_IDS": "0", "SHARD_COUNT": "2", "SYNC_COMMANDS": "false"}, (0,), 2, False),
    ],
)
def test_shards_and_who_syncs_commands(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    env: dict[str, str],
    ids: tuple[int, ...],
    count: int | None,
    syncs: bool,
) -> None:
    settings = sharding_settings(monkeypatch, tmp_path, env)
    assert (settings.shard_ids, settings.shard_count, settings.syncs_commands) == (ids, count, syncs)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SHARD_IDS": "1"}, "SHARD_IDS needs SHARD_COUNT"),
        (
            {"SHARD_IDS": "0-2", "SHARD_COUNT": "2"},
            "SHARD_IDS names shard 2, but SHARD_COUNT=2 numbers shards 0-1",
        ),
        (
            {"SHARD_IDS": "1-0", "SHARD_COUNT": "2"},
            "SHARD_IDS is invalid: Value error, the range '1-0' runs backwards",
        ),
        (
            {"SHARD_IDS": "first", "SHARD_COUNT": "2"},
            "SHARD_IDS is invalid: Value error, 'first' is not a shard id",
        ),
        ({"SHARD_COUNT": "0"}, "SHARD_COUNT is invalid"),
        ({"SYNC_COMMANDS": "sometimes"}, "SYNC_COMMANDS is invalid"),
    ],
)
def test_a_wrong_shard_setting_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}") as refused:
        sharding_settings(monkeypatch, tmp_path, env)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABASE_URL": "sqlite+aiosqlite:///bot.db"},
            "SHARD_IDS (several processes) needs PostgreSQL: SQLite cannot be shared by several processes",
        ),
        ({"DATABASE_URL": ""}, "SHARD_IDS (several processes) needs PostgreSQL"),
        ({"JOB_QUEUE": "local"}, "SHARD_IDS (several processes) needs JOB_QUEUE=auto or procrastinate"),
    ],
)
def test_several_processes_need_postgresql_and_the_task_queue(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    """Each process's own job threads would fail the jobs the others run, and SQLite is no shared store."""
    with pytest.raises(ConfigError, match=f"^{re.escape(message)}") as refused:
        sharding_settings(monkeypatch, tmp_path, {"SHARD_IDS": "1", "SHARD_COUNT": "2"} | env)
    assert "\n" not in str(refused.value)


def test_several_processes_on_postgresql_queue_their_jobs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = sharding_settings(monkeypatch, tmp_path, {"SHARD_IDS": "1", "SHARD_COUNT": "2"})
    assert settings.queued_jobs
    alone = sharding_settings(monkeypatch, tmp_path, {"DATABASE_URL": "", "JOB_QUEUE": "local"})
    assert not alone.queued_jobs, "one process may keep SQLite and its own job threads"


def test_stall_timings_are_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from trainer_bot.worker import StallPolicy

    monkeypatch.chdir(tmp_path)
    assert StallPolicy.from_settings(load_settings()) == StallPolicy()
    for name, value in {
        "JOB_HEARTBEAT_SECONDS": "0.5",
        "JOB_STALLED_AFTER_SECONDS": "3",
        "JOB_SWEEP_SECONDS": "1",
        "JOB_MAX_RUNS": "2",
    }.items():
        monkeypatch.setenv(name, value)
    stall = StallPolicy.from_settings(load_settings())
    assert (stall.heartbeat_seconds, stall.stalled_after_seconds, stall.sweep_every_seconds) == (0.5, 3.0, 1)
    assert stall.max_attempts == 2

    monkeypatch.setenv("JOB_STALLED_AFTER_SECONDS", "0.5")
    with pytest.raises(ConfigError, match=r"^JOB_STALLED_AFTER_SECONDS must be longer than JOB_HEARTBEAT_"):
        load_settings()
    monkeypatch.setenv("JOB_STALLED_AFTER_SECONDS", "3")
    monkeypatch.setenv("JOB_SWEEP_SECONDS", "60")
    with pytest.raises(ConfigError, match=r"^JOB_SWEEP_SECONDS is invalid"):
        load_settings()


def test_a_process_holds_the_guilds_of_its_shards_only() -> None:
    guild_on = {shard: (1000 + shard) << 22 for shard in range(4)}  # (id >> 22) % 4 == shard
    held = ShardRange((1, 3), 4)
    assert [held.holds(guild_on[shard]) for shard in range(4)] == [False, True, False, True]
    assert not held.holds_shard_zero and held.describe() == "shards 1,3 of 4"
    assert all(ShardRange().holds(guild_id) for guild_id in guild_on.values())
