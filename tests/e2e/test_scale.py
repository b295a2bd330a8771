"""The whole "beyond one process" deployment as real OS processes: two `trainer-bot run` processes (one
shard of two each) and two `trainer-bot worker` processes on one PostgreSQL and one DATA_DIR, against the
Discord emulator in this test's process, serving 200 guilds.

One test, in phases, because starting the fleet is most of its cost: every guild trains once while a
worker is killed; then a bot process is killed and restarted while the other keeps answering, and a job
its guilds asked for before the kill is announced by the restarted process.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from discord_sandbox import DiscordEmulator, Upload
from discord_sandbox.state import Guild, Member, Message
from support.logguard import DROPPED_EVENT

from .conftest import empty_postgres

SHARDS = 2
GUILDS = 200
AT_ONCE = 8  # members acting at the same moment: enough to overlap, few enough for 2 cores' 3 s deadline
START_SECONDS = 120  # a process's start on a loaded 2-core machine (imports, migrations, the queue's tables)
TINY_DATASET = [
    ("the food was great", "positive"),
    ("lovely staff", "positive"),
    ("a wonderful room", "positive"),
    ("perfect coffee", "positive"),
    ("awful service", "negative"),
    ("a rude waiter", "negative"),
    ("cold soup", "negative"),
    ("a dirty room", "negative"),
]


def tiny_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["text", "label"])
    writer.writerows(TINY_DATASET)
    return buffer.getvalue().encode()


class Process:
    """One `python -m trainer_bot ...` process; its log (stdout and stderr) goes to a file."""

    def __init__(self, name: str, command: str, env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self._command = command
        self._env = env
        self._cwd = cwd
        self.log_file = cwd / f"{name}.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> Process:
        with self.log_file.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "trainer_bot",
                self._command,
                env=self._env,
                cwd=self._cwd,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        return self

    def log(self) -> str:
        return self.log_file.read_text("utf-8", errors="replace")

    async def logged(self, pattern: str, timeout: float) -> re.Match[str]:
        """The first log line matching `pattern`, waiting for it; fails if the process exits first."""
        deadline = time.monotonic() + timeout
        while (found := re.search(pattern, self.log(), re.MULTILINE)) is None:
            assert self.process is not None
            if self.process.returncode is not None:
                pytest.fail(f"{self.name} exited ({self.process.returncode}):\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"{self.name} never logged {pattern!r}:\n{self.log()[-3000:]}")
            await asyncio.sleep(0.2)
        return found

    def ids_logged(self, pattern: str) -> set[int]:
        return {int(number) for number in re.findall(pattern, self.log())}

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int:
        """SIGTERM, as an operator stops it; SIGKILL if it is still there after 40 s."""
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 40)
            except TimeoutError:
                await self.kill()
        assert self.process.returncode is not None
        return self.process.returncode


class Fleet:
    """The deployment's processes, all with one configuration given as environment variables."""

    def __init__(self, emulator: DiscordEmulator, database_url: str, home: Path) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.home = home  # the working directory: no .env there, so the environment is the whole config
        self.processes: list[Process] = []
        kept = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
        self._env = kept | {
            "PYTHONPATH": os.pathsep.join(sys.path),
            "PYTHONUNBUFFERED": "1",
            "DISCORD_TOKEN": emulator.token,
            "DISCORD_API_URL": emulator.api_url,
            "DATABASE_URL": database_url,
            "DATA_DIR": str(home / "data"),
            "LOG_LEVEL": "INFO",
            "LLM": "off",
            "STT_MODEL": "tiny.en-bundled",
            "TTS_ENGINES": "espeak",
            "AUDIO_PORT": "0",  # no LAVALINK_PASSWORD: voice is off
            "SHARD_COUNT": str(SHARDS),
            "TRAINING_WORKERS": "2",
            # A dead worker is noticed within seconds, not the production minute.
            "JOB_HEARTBEAT_SECONDS": "0.5",
            "JOB_STALLED_AFTER_SECONDS": "5",
            "JOB_SWEEP_SECONDS": "1",
            "JOB_MAX_RUNS": "3",
        }

    async def bot(self, shard: int, name: str) -> Process:
        return await self._start(Process(name, "run", self._env | {"SHARD_IDS": str(shard)}, self.home))

    async def worker(self, name: str) -> Process:
        return await self._start(Process(name, "worker", self._env, self.home))

    async def _start(self, process: Process) -> Process:
        self.processes.append(process)
        return await process.start()

    async def stop(self) -> None:
        await asyncio.gather(*(process.stop() for process in self.processes if process.process is not None))


async def for_each(items: Iterable[Any], act: Callable[[Any], Awaitable[Any]]) -> list[Any]:
    """`act` on every item, AT_ONCE at a time, results in order."""
    limit = asyncio.Semaphore(AT_ONCE)

    async def limited(item: Any) -> Any:
        async with limit:
            return await act(item)

    return list(await asyncio.gather(*(limited(item) for item in items)))


@pytest.fixture
async def fleet(emulator: DiscordEmulator, postgres_url: str, tmp_path: Path) -> AsyncIterator[Fleet]:
    fleet = Fleet(emulator, await empty_postgres(postgres_url), tmp_path / "deployment")
    try:
        yield fleet
    finally:
        await fleet.stop()


async def rows(database_url: str, query: str) -> list[Any]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(text(query))).all())
    finally:
        await engine.dispose()


async def answered_hi(emulator: DiscordEmulator, member: Member) -> bool:
    interaction = await emulator.slash(member, "hi")
    return (await emulator.response(interaction, timeout=20)).content == "HI!"


async def trained(emulator: DiscordEmulator, member: Member) -> Message:
    """The member's /train reply once the job has ended."""
    upload = Upload("tiny.csv", tiny_csv(), "text/csv")
    reply = await emulator.response(await emulator.slash(member, "train", {"attachment": upload}), 30)
    return await emulator.wait_for(
        lambda: reply if ("finished" in reply.content or "failed" in reply.content) else None,
        150,
        f"the training job of {member.user.username} to end",
    )


async def test_two_bot_processes_and_two_workers_serve_200_guilds_through_kills_and_restarts(
    emulator: DiscordEmulator, fleet: Fleet, postgres_url: str
) -> None:
    began = time.monotonic()
    for number in range(GUILDS):
        await emulator.add_guild(f"guild {number}", shard=(number % SHARDS, SHARDS))
    trained_guilds = [guild for guild in emulator.guilds.values() if guild.name.startswith("guild ")]
    members = {
        guild.id: await emulator.add_member(f"trainer of {guild.name}", manage_guild=True, guild=guild)
        for guild in trained_guilds
    }
    on_shard: dict[int, list[Guild]] = {
        shard: [g for g in emulator.guilds_of_shard(shard, SHARDS) if g.id in members]
        for shard in range(SHARDS)
    }
    assert [len(guilds) for guilds in on_shard.values()] == [GUILDS // SHARDS] * SHARDS

    bots = [await fleet.bot(shard, f"bot-{shard}") for shard in range(SHARDS)]
    workers = [await fleet.worker(f"worker-{number}") for number in (1, 2)]
    for bot in bots:
        await bot.logged(r"ready as ", START_SECONDS)
    for worker in workers:
        await worker.logged(r"worker ready", START_SECONDS)
    for guilds in on_shard.values():
        await emulator.wait_until_ready(START_SECONDS, guild=guilds[0])
    started = time.monotonic()

    # -- every guild trains once; a worker is killed while jobs run ---------------------------------------
    doomed = workers[0]

    async def kill_a_busy_worker() -> set[int]:
        await doomed.logged(r"^.*job \d+ started for guild", 120)
        await asyncio.sleep(0.3)  # into a job's fit, not just past its start
        await doomed.kill()
        return doomed.ids_logged(r"job (\d+) started for guild") - doomed.ids_logged(
            r"job (\d+) (?:succeeded|failed)"
        )

    killing = asyncio.ensure_future(kill_a_busy_worker())
    replies = await for_each(trained_guilds, lambda guild: trained(emulator, members[guild.id]))
    in_flight = await killing
    training_seconds = time.monotonic() - started

    unfinished = [reply.content for reply in replies if "is now active" not in reply.content]
    survivor = workers[1]
    retried = survivor.ids_logged(r"job (\d+) runs again from the start") | survivor.ids_logged(
        r"job (\d+) had already made its model active"
    )
    jobs = await rows(postgres_url, "SELECT id, guild_id, status, error FROM training_jobs ORDER BY id")
    failed = [(job_id, error) for job_id, _, status, error in jobs if status != "succeeded"]
    print(  # the report the issue asks for: what the kill did
        f"\n{GUILDS} guilds trained in {training_seconds:.1f} s; worker-1 killed with job(s) {sorted(in_flight)} "
        f"running; retried by worker-2: {sorted(retried)}; failed honestly: {failed or 'none'}"
    )
    assert in_flight, "the worker was killed while it ran a job"
    assert retried <= in_flight, "a job was run again although its worker lived"
    assert all(error == "interrupted" for _, error in failed), failed
    assert len(unfinished) == len(failed), unfinished[:3]
    assert sorted(guild_id for _, guild_id, _, _ in jobs) == sorted(members), "one job per guild"
    versions = await rows(postgres_url, "SELECT guild_id, count(*) FROM model_versions GROUP BY guild_id")
    succeeded = {guild_id for _, guild_id, status, _ in jobs if status == "succeeded"}
    assert dict(versions) == dict.fromkeys(succeeded, 1), "one model version per trained guild"
    for guild in trained_guilds:  # the channel hears once per job that made a model live
        live = [m for m in emulator.bot_messages(emulator.text_channel_of(guild)) if "is live" in m.content]
        assert len(live) == (guild.id in succeeded), guild.name

    # -- a bot process is killed and restarted; a job of its guilds outlives it ----------------------------
    assert await survivor.stop() == 0, "an idle worker stops cleanly"
    restarted_shard, other_shard = 1, 0
    waiting_guild = on_shard[restarted_shard][0]
    upload = Upload("tiny.csv", tiny_csv(), "text/csv")
    interaction = await emulator.slash(
        members[waiting_guild.id], "train", {"attachment": upload, "force": True}
    )
    reply = await emulator.response(interaction, 30)
    await emulator.wait_for(lambda: "queued" in reply.content or None, 30, "the job to be queued")

    await bots[restarted_shard].kill()
    downtime = time.monotonic()
    assert all(await for_each(on_shard[other_shard], lambda g: answered_hi(emulator, members[g.id])))
    unheard = await emulator.slash(members[on_shard[restarted_shard][1].id], "hi")
    await asyncio.sleep(1.0)
    assert not unheard.acknowledged, "a killed process's guilds are answered by no one else"

    back = await fleet.bot(restarted_shard, f"bot-{restarted_shard}-restarted")
    await back.logged(r"ready as ", START_SECONDS)
    await back.logged(r"following 1 unfinished training job\(s\) again", 30)
    await emulator.wait_until_ready(START_SECONDS, guild=waiting_guild)
    assert all(await for_each(on_shard[restarted_shard], lambda g: answered_hi(emulator, members[g.id])))
    downtime = time.monotonic() - downtime

    await (await fleet.worker("worker-3")).logged(r"worker ready", START_SECONDS)
    channel = emulator.text_channel_of(waiting_guild)
    announcement = await emulator.wait_for(
        lambda: next(
            (m for m in emulator.bot_messages(channel) if "is live" in m.content and m.id > reply.id), None
        ),
        60,
        "the restarted process to announce the job's end",
    )
    assert f"<@{members[waiting_guild.id].id}>" in announcement.content
    assert "queued" in reply.content, "the member's reply died with its process; the channel was told instead"

    # -- one process registered the commands; nobody logged an error ---------------------------------------
    assert [guild for guild, _ in emulator.command_syncs] == [None], "synced once, globally"
    assert [method for method, path in emulator.rest.calls if path.endswith("/commands")].count("PUT") == 1
    assert "syncing the commands" in bots[0].log() and "another process syncs" in bots[1].log()
    for process in fleet.processes:
        problems = [line for line in process.log().splitlines() if " ERROR " in line or DROPPED_EVENT in line]
        assert not problems, f"{process.name}:\n" + "\n".join(problems[:20])
    print(
        f"fleet started in {started - began:.1f} s; a shard down and back in {downtime:.1f} s; "
        f"{time.monotonic() - began:.1f} s in all"
    )
