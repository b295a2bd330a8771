"""`trainer-bot run` as an operator starts it: a separate process, configured by the environment."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import aiohttp
import pytest

import trainer_bot
from discord_sandbox import DiscordEmulator
from discord_sandbox.lavalink import FakeLavalinkNode
from discord_sandbox.state import Member
from trainer_bot.storage.migrate import SCHEMA_REVISION


async def test_run_serves_commands_and_stops_cleanly_on_sigterm(
    emulator: DiscordEmulator, lavalink_node: FakeLavalinkNode, bob: Member, tmp_path: Path
) -> None:
    env = os.environ | {
        "DISCORD_TOKEN": emulator.token,
        "DISCORD_API_URL": emulator.api_url,
        "DEV_GUILDS": str(emulator.guild.id),
        "DATA_DIR": str(tmp_path / "data"),
        "LOG_LEVEL": "INFO",
        "LAVALINK_PORT": str(lavalink_node.port),
        "LAVALINK_PASSWORD": lavalink_node.password,
        "AUDIO_PORT": "0",
        "STT_MODEL": "tiny.en-bundled",
        "TTS_ENGINES": "espeak",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "trainer_bot",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await emulator.wait_until_ready(timeout=30)
        reply = await emulator.response(await emulator.slash(bob, "hi"))
        assert reply.content == "HI!"
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
    log = output.decode()
    assert process.returncode == 0, log
    assert "shutting down" in log and "ready as trainer-bot" in log
    assert "/hi guild=" in log  # the invocation log line
    assert emulator.token not in log and emulator.token.split(".")[2] not in log


async def stt_server(tmp_path: Path, port: int, model: str) -> asyncio.subprocess.Process:
    """`trainer-bot stt-server` as an operator starts it."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "trainer_bot",
        "stt-server",
        "--port",
        str(port),
        env=os.environ | {"STT_MODEL": model, "DATA_DIR": str(tmp_path)},
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def test_stt_server_transcribes_over_the_openai_api(tmp_path: Path, unused_tcp_port: int) -> None:
    from speech_support.clips import SHORT_TEXT, SHORT_WORDS, cached_voice_message, words

    process = await stt_server(tmp_path, unused_tcp_port, "tiny.en-bundled")
    url = f"http://127.0.0.1:{unused_tcp_port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                try:
                    async with http.get(f"{url}/health") as health:
                        if health.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            form = aiohttp.FormData()
            form.add_field(
                "file", cached_voice_message(SHORT_TEXT), filename="voice.ogg", content_type="audio/ogg"
            )
            form.add_field("model", "whisper-1")
            async with http.post(f"{url}/v1/audio/transcriptions", data=form) as response:
                assert response.status == 200
                body = await response.json()
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 30)
    assert set(SHORT_WORDS) <= words(body["text"])
    assert process.returncode == 0


async def run_until_exit(
    env: dict[str, str], cwd: Path, *args: str, prefix: Sequence[str] = ()
) -> tuple[int, str, str]:
    """`prefix`: what the command runs under, such as `setpriv` to run it as another user."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DEV_GUILDS", "LOG_LEVEL"))}
    process = await asyncio.create_subprocess_exec(
        *prefix,
        sys.executable,
        "-m",
        "trainer_bot",
        *(args or ("run",)),
        env=clean
        | {"DATA_DIR": str(cwd / "data"), "STT_MODEL": "tiny.en-bundled", "TTS_ENGINES": "espeak"}
        | env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def problem_lines(stderr: str) -> list[str]:
    """What the operator is told, without the log lines that came before."""
    return [line for line in stderr.splitlines() if line.startswith("trainer-bot:")]


async def test_a_token_that_is_not_a_bot_token_is_one_line(tmp_path: Path) -> None:
    status, _, err = await run_until_exit({"DISCORD_TOKEN": "not-a-token.at.all"}, tmp_path)
    assert status == 2 and err.strip().splitlines() == [
        "trainer-bot: DISCORD_TOKEN is invalid: it does not look like a bot token"
    ]


async def test_a_rejected_token_is_one_line(emulator: DiscordEmulator, tmp_path: Path) -> None:
    wrong = emulator.token[:-4] + "AAAA"
    env = {"DISCORD_TOKEN": wrong, "DISCORD_API_URL": emulator.api_url, "AUDIO_PORT": "0"}
    status, _, err = await run_until_exit(env, tmp_path)
    assert status == 2, err
    assert problem_lines(err) == [
        "trainer-bot: Discord refused DISCORD_TOKEN (401 Unauthorized): reset the token in the Developer "
        "Portal (Bot -> Reset Token) and put the new one in .env"
    ]
    assert "Traceback" not in err and wrong.split(".")[2] not in err


async def test_an_unreachable_discord_is_one_line(tmp_path: Path, unused_tcp_port: int) -> None:
    env = {
        "DISCORD_TOKEN": "MTAwMDAwMDAwMDAwMDAwMDAx.secret-part.do-not-print",
        "DISCORD_API_URL": f"http://127.0.0.1:{unused_tcp_port}/api/v10",
        "AUDIO_PORT": "0",
    }
    status, _, err = await run_until_exit(env, tmp_path)
    assert status == 1, err
    [line] = problem_lines(err)
    assert line.startswith(
        f"trainer-bot: could not reach Discord at http://127.0.0.1:{unused_tcp_port}/api/v10"
    )
    assert "Traceback" not in err


async def test_an_occupied_audio_port_is_one_line(emulator: DiscordEmulator, tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        env = {"DISCORD_TOKEN": emulator.token, "DISCORD_API_URL": emulator.api_url, "AUDIO_PORT": str(port)}
        env["LAVALINK_PASSWORD"] = "voice-on"  # the audio server only listens when voice is on
        status, _, err = await run_until_exit(env, tmp_path)
    finally:
        taken.close()
    assert status == 2, err
    assert problem_lines(err) == [
        f"trainer-bot: AUDIO_PORT {port} on 127.0.0.1 is already in use: stop what uses it or choose another AUDIO_PORT"
    ]


async def test_version(tmp_path: Path) -> None:
    status, out, _ = await run_until_exit({}, tmp_path, "--version")
    assert status == 0 and out.strip() == f"trainer-bot {trainer_bot.__version__}"


async def test_stt_server_health_says_when_the_model_cannot_load(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    process = await stt_server(tmp_path, unused_tcp_port, str(tmp_path / "no-such-model"))
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"http://127.0.0.1:{unused_tcp_port}/health") as health:
                        status, body = health.status, await health.json()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.communicate(), 30)
    assert status == 503 and body["status"] == "error" and body["model"]


def test_run_help_lists_every_setting_with_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    from trainer_bot.cli import main
    from trainer_bot.config import Settings

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    shown = capsys.readouterr().out
    assert all(name.upper() in shown for name in Settings.model_fields)
    assert "RETENTION_DAYS               180" in shown and "youshallnotpass" not in shown


async def test_check_reports_each_part_and_fails_on_a_wrong_lavalink_password_or_a_dead_model(
    emulator: DiscordEmulator, lavalink_node: FakeLavalinkNode, tmp_path: Path, unused_tcp_port: int
) -> None:
    env = {
        "DISCORD_TOKEN": emulator.token,
        "DISCORD_API_URL": emulator.api_url,
        "LAVALINK_PORT": str(lavalink_node.port),
        "LAVALINK_PASSWORD": lavalink_node.password,
        "AUDIO_PORT": "0",
    }
    status, out, _ = await run_until_exit(env, tmp_path, "check")
    parts = {line[:16].strip(): line[16:] for line in out.splitlines()}  # part, then status and detail
    assert status == 0, out
    assert all(row.startswith("ok") for row in parts.values()), out
    assert (
        f"migrated to revision {SCHEMA_REVISION}" in parts["database"]
        and "tiny.en-bundled" in parts["speech model"]
    )
    assert "SmolLM2" in parts["language model"] and "answered in" in parts["language model"]
    assert "Lavalink 4" in parts["lavalink"] and set(parts) >= {"discord", "audio url"}

    status, out, _ = await run_until_exit(env | {"LAVALINK_PASSWORD": "wrong"}, tmp_path, "check")
    assert status == 1 and "refuses LAVALINK_PASSWORD" in out
    dead = {"LLM": "url", "LLM_URL": f"http://127.0.0.1:{unused_tcp_port}/v1", "LLM_MODEL": "any"}
    status, out, _ = await run_until_exit(env | dead, tmp_path, "check")
    row = next(line for line in out.splitlines() if line.startswith("language model"))
    assert status == 1 and row[16:].startswith("FAIL"), out


def database_row(out: str) -> list[str]:
    """`trainer-bot check`'s database row: [status, detail]."""
    row = next(line for line in out.splitlines() if line.startswith("database "))
    return row.split(maxsplit=2)[1:]


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder another user can reach: pytest's tmp_path lies under a folder only its owner may enter."""
    path = Path(tempfile.mkdtemp(prefix="trainer-bot-test-"))
    path.chmod(0o755)
    yield path
    for folder in path.rglob("*"):
        if folder.is_dir():
            folder.chmod(0o755)  # read-only folders the test made would stop a user who is not root
    shutil.rmtree(path)


def unprivileged() -> tuple[list[str], str]:
    """(command prefix, user name): root writes through any permission bits, so as root the bot runs
    as nobody; anyone else is already stopped by them."""
    if os.geteuid() != 0:
        return [], pwd.getpwuid(os.geteuid()).pw_name
    setpriv = shutil.which("setpriv")  # util-linux, on every Debian
    assert setpriv, "setpriv is needed to run the bot as an unprivileged user"
    nobody = pwd.getpwnam("nobody")
    prefix = [setpriv, f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
    return prefix, nobody.pw_name


async def test_a_data_dir_inside_a_file_is_one_line(emulator: DiscordEmulator, tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("not a folder")
    data = tmp_path / "blocker" / "data"
    env = {"DISCORD_TOKEN": emulator.token, "DISCORD_API_URL": emulator.api_url, "DATA_DIR": str(data)}
    expected = (
        f"DATA_DIR {data} cannot be created: {tmp_path / 'blocker'} is a file, not a folder; move that file, "
        "or set DATA_DIR to a folder this user may write"
    )
    status, _, err = await run_until_exit(env | {"AUDIO_PORT": "0"}, tmp_path)
    assert status == 2, err
    assert problem_lines(err) == [f"trainer-bot: {expected}"] and "Traceback" not in err

    status, out, _ = await run_until_exit(env, tmp_path, "check")
    assert status == 1 and database_row(out) == ["FAIL", expected]


async def test_a_data_dir_the_bot_may_not_write_is_one_line(
    emulator: DiscordEmulator, shared_tmp: Path
) -> None:
    prefix, user = unprivileged()
    data = shared_tmp / "data"
    data.mkdir(mode=0o555)  # owned by whoever runs the tests: root, or the user the bot runs as
    data.chmod(0o555)  # mkdir's mode is cut by the umask
    env = {"DISCORD_TOKEN": emulator.token, "DISCORD_API_URL": emulator.api_url, "AUDIO_PORT": "0"}
    status, _, err = await run_until_exit(env | {"DATA_DIR": str(data)}, shared_tmp, prefix=prefix)
    assert status == 2, err
    assert problem_lines(err) == [
        f"trainer-bot: DATA_DIR {data} is not writable by user {user} (Permission denied): make it writable by "
        "that user (chown or chmod), or set DATA_DIR to a folder it may write"
    ]
    assert "Traceback" not in err


async def test_a_read_only_database_is_one_line(emulator: DiscordEmulator, shared_tmp: Path) -> None:
    prefix, user = unprivileged()
    data, folder = shared_tmp / "data", shared_tmp / "db"
    data.mkdir()
    data.chmod(0o777)  # DATA_DIR itself is fine: only the database may not be written
    folder.mkdir()
    database = folder / "bot.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE made_by_someone_else (x)")
    connection.close()
    database.chmod(0o444)
    folder.chmod(0o555)
    env = {
        "DISCORD_TOKEN": emulator.token,
        "DISCORD_API_URL": emulator.api_url,
        "AUDIO_PORT": "0",
        "DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
    }
    expected = (
        f"the SQLite database {database} in DATABASE_URL cannot be written by user {user} (attempt to write "
        "a readonly database): make the file and its folder writable by that user, or change DATABASE_URL"
    )
    status, _, err = await run_until_exit(env, shared_tmp, prefix=prefix)
    assert status == 2, err
    assert problem_lines(err) == [f"trainer-bot: {expected}"] and "Traceback" not in err

    status, out, _ = await run_until_exit(env, shared_tmp, "check", prefix=prefix)
    assert status == 1 and database_row(out) == ["FAIL", expected]


async def test_an_unreachable_postgresql_is_one_line_without_the_password(
    emulator: DiscordEmulator, tmp_path: Path, unused_tcp_port: int
) -> None:
    env = {
        "DISCORD_TOKEN": emulator.token,
        "DISCORD_API_URL": emulator.api_url,
        "DATABASE_URL": f"postgresql+asyncpg://bot:pg-secret@127.0.0.1:{unused_tcp_port}/trainer",
    }
    expected = (
        f"nothing answers at 127.0.0.1:{unused_tcp_port} for DATABASE_URL "
        f"postgresql+asyncpg://bot:***@127.0.0.1:{unused_tcp_port}/trainer (Connect call failed "
        f"('127.0.0.1', {unused_tcp_port})): start PostgreSQL or correct the host and port in DATABASE_URL"
    )
    status, _, err = await run_until_exit(env | {"AUDIO_PORT": "0"}, tmp_path)
    assert status == 2, err
    assert problem_lines(err) == [f"trainer-bot: {expected}"]
    assert "Traceback" not in err and "pg-secret" not in err

    status, out, _ = await run_until_exit(env, tmp_path, "check")
    assert status == 1 and database_row(out) == ["FAIL", expected] and "pg-secret" not in out
