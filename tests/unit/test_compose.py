"""docker-compose.yml, read as compose reads it (no Docker here): the default stays one bot and its
Lavalink node; the profile `scale` runs two shard processes, two workers, PostgreSQL and an STT server
that share what they must, and every variable given to trainer-bot is one of its settings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from trainer_bot.config import Settings

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
SHARDS = ("bot-shard-0", "bot-shard-1")
WORKERS = ("worker-1", "worker-2")
# What an operator's .env holds, for compose's ${...} substitution.
DOT_ENV = {"LAVALINK_PASSWORD": "node-secret", "POSTGRES_PASSWORD": "db-secret"}
# `${NAME}`, `${NAME:-default}`, `${NAME:?message}` (and the forms without the colon).
VARIABLE = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<rest>[^}]*))?\}")

Service = dict[str, Any]


@pytest.fixture(scope="module")
def services() -> dict[str, Service]:
    compose = yaml.safe_load(COMPOSE.read_text())
    result: dict[str, Service] = compose["services"]
    return result


def enabled(services: dict[str, Service], *profiles: str, scaled_to_zero: tuple[str, ...] = ()) -> set[str]:
    """The services `docker compose [--profile P] up [--scale S=0]` starts: those without profiles,
    and those in an active one."""
    return {
        name
        for name, service in services.items()
        if name not in scaled_to_zero
        and (not service.get("profiles") or set(service["profiles"]) & set(profiles))
    }


def substitute(value: str, env: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name, op, rest = match["name"], match["op"] or "", match["rest"] or ""
        if name in env and (env[name] or not op.startswith(":")):
            return env[name]
        if op.endswith("?"):
            raise AssertionError(f"compose would stop: {rest or name}")
        return rest if op.endswith("-") else ""

    return VARIABLE.sub(one, value)


def environment(service: Service, env: dict[str, str] = DOT_ENV) -> dict[str, str]:
    return {name: substitute(str(value), env) for name, value in (service.get("environment") or {}).items()}


def settings_of(service: Service, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """What trainer-bot makes of the service's environment (this process's own left out)."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    values = {name.lower(): value for name, value in environment(service).items()}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def mounted_at(service: Service, path: str) -> str:
    """The named volume the service mounts at `path`."""
    for volume in service.get("volumes") or []:
        source, _, target = str(volume).partition(":")
        if target.split(":")[0] == path:
            return source
    raise AssertionError(f"nothing mounted at {path}")


def required_variables(service: Service) -> set[str]:
    return {
        match["name"]
        for value in (service.get("environment") or {}).values()
        for match in VARIABLE.finditer(str(value))
        if (match["op"] or "").endswith("?")
    }


def test_the_default_starts_one_bot_beside_its_lavalink_node(services: dict[str, Service]) -> None:
    assert enabled(services) == {"bot", "lavalink"}
    bot = services["bot"]
    assert "command" not in bot, "the image's own command: trainer-bot run"
    assert set(environment(bot)) == {
        "DATA_DIR",
        "LAVALINK_HOST",
        "LAVALINK_PORT",
        "LAVALINK_PASSWORD",
        "AUDIO_HOST",
        "AUDIO_PORT",
        "AUDIO_PUBLIC_URL",
    }, "one process on SQLite in its DATA_DIR, every shard its own"
    assert mounted_at(bot, "/data") == "bot-data"
    assert bot["depends_on"] == {"lavalink": {"condition": "service_healthy"}}


def test_the_profile_scale_runs_shards_workers_postgres_lavalink_and_stt(
    services: dict[str, Service],
) -> None:
    # --scale bot=0: the one-process bot, which has no profile, would answer every guild a second time.
    started = enabled(services, "scale", scaled_to_zero=("bot",))
    assert started == {*SHARDS, *WORKERS, "postgres", "lavalink", "stt"}
    for name in SHARDS:
        assert "command" not in services[name], "the image's own command: trainer-bot run"
    for name in WORKERS:
        assert services[name]["command"] == ["trainer-bot", "worker"]
    assert services["stt"]["command"][:2] == ["trainer-bot", "stt-server"]
    assert str(services["postgres"]["image"]).startswith("postgres:")


def test_every_variable_given_to_trainer_bot_is_one_of_its_settings(services: dict[str, Service]) -> None:
    settings = {name.upper() for name in Settings.model_fields}
    for name, service in services.items():
        if "build" not in service:
            continue  # postgres and Lavalink: their images' own variables
        unknown = set(environment(service)) - settings
        assert not unknown, f"{name} sets {sorted(unknown)}, which trainer-bot does not read"


def test_the_two_shards_split_the_guilds_and_one_registers_the_commands(
    services: dict[str, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    shards = [settings_of(services[name], monkeypatch) for name in SHARDS]
    assert {settings.shard_count for settings in shards} == {2}, "one SHARD_COUNT everywhere"
    held = sorted(shard_id for settings in shards for shard_id in settings.shard_ids)
    assert held == [0, 1], "every shard held, each by one process"
    assert [settings.syncs_commands for settings in shards] == [True, False]
    for name, settings in zip(SHARDS, shards, strict=True):
        assert settings.voice_enabled
        # Lavalink fetches each process's speech from that process.
        assert urlsplit(settings.audio_public_url).hostname == name
        assert settings.audio_host == "0.0.0.0"


def test_shards_and_workers_share_data_dir_and_the_database(
    services: dict[str, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    processes = {name: settings_of(services[name], monkeypatch) for name in (*SHARDS, *WORKERS)}
    assert len({settings.data_dir for settings in processes.values()}) == 1
    data_dir = str(next(iter(processes.values())).data_dir)
    assert len({mounted_at(services[name], data_dir) for name in processes}) == 1, "one volume"
    assert len({settings.database_url for settings in processes.values()}) == 1
    for name, settings in processes.items():
        assert settings.uses_postgres and settings.queued_jobs, f"{name} does not use the task queue"
        assert urlsplit(settings.database_url).hostname == "postgres"
        assert urlsplit(settings.database_url).password == DOT_ENV["POSTGRES_PASSWORD"]


def test_postgres_keeps_its_data_and_says_when_it_is_ready(services: dict[str, Service]) -> None:
    postgres = services["postgres"]
    assert mounted_at(postgres, "/var/lib/postgresql/data") == "postgres-data"
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    env = environment(postgres)
    url = urlsplit(environment(services[SHARDS[0]])["DATABASE_URL"])
    assert (url.username, url.password, url.path.lstrip("/")) == (
        env["POSTGRES_USER"],
        env["POSTGRES_PASSWORD"],
        env["POSTGRES_DB"],
    )


def test_the_shards_transcribe_on_the_stt_service(
    services: dict[str, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    command = services["stt"]["command"]
    host, port = command[command.index("--host") + 1], command[command.index("--port") + 1]
    assert host == "0.0.0.0"
    for name in SHARDS:
        (server,) = settings_of(services[name], monkeypatch).stt_urls
        assert (urlsplit(server).hostname, urlsplit(server).port) == ("stt", int(port))
    assert "/health" in " ".join(services["stt"]["healthcheck"]["test"])


def test_each_service_waits_for_the_healthy_services_it_needs(services: dict[str, Service]) -> None:
    for name in SHARDS:
        assert set(services[name]["depends_on"]) == {"postgres", "lavalink", "stt"}
    for name in WORKERS:
        assert set(services[name]["depends_on"]) == {"postgres"}
        # The image's check is the bot's audio server, which a worker has not.
        assert services[name]["healthcheck"] == {"disable": True}
    for name, service in services.items():
        for needed, condition in (service.get("depends_on") or {}).items():
            if "healthcheck" in services[needed]:
                assert condition == {"condition": "service_healthy"}, f"{name} -> {needed}"


def test_the_profile_demands_no_variable_the_default_does_not(services: dict[str, Service]) -> None:
    # compose substitutes the whole file before it applies profiles: a `${X:?}` in the profile would
    # stop a plain `docker compose up` without X.
    default = set().union(*(required_variables(services[name]) for name in enabled(services)))
    for name, service in services.items():
        if service.get("profiles"):
            assert required_variables(service) <= default, name
