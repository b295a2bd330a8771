"""Scaling out: /train jobs per minute on 2 `trainer-bot worker` processes against 1, and /hi answered
per second by 2 shard processes against 1 process holding both shards.

Each pair runs the scaled deployment (2 processes, the "bot" side of bench/_pairs.py) and the same work
in one process (the "bare" side), interleaved, each in a child process of its own (`--child`) on a
fresh database of one throwaway PostgreSQL server (tests/support/postgres.py: Debian's `postgresql`).

- training: the bot's side (TrainingService on the task queue, in the child) stores and queues one small
  /train for each of 24 new guilds (8 with `--quick`), once every worker has said it is ready and has
  trained once (a long-running worker has its libraries loaded); the workers (real `trainer-bot worker`
  processes, TRAINING_WORKERS=2 each, one shared DATA_DIR) train them. Jobs per minute: the jobs over the
  time from the first job's row to the last one's end, as the rows say.
- interactions: the Discord emulator (in the child) with 16 guilds (8) over 2 shards, served by real
  `trainer-bot run` processes (SHARD_COUNT=2; SHARD_IDS 0 and 1, or 0-1), on one DATA_DIR and one
  database; a member of every guild sends /hi, waits for the answer and sends the next, all at once,
  for 8 s (3 s), after one /hi each to warm up. Interactions per second: the answers over that time.

The emulator shares the machine's cores with the bots: on a small machine it is part of what is measured.

    python bench/scale.py [--pairs 3] [--quick] [--json-summary PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _pairs import (
    Comparison,
    Runs,
    add_pair_arguments,
    compare_runs,
    comparison_table,
    interleave,
    run_child,
    write_summary,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # support.postgres: the tests' throwaway PostgreSQL server

PROCESSES = {"bot": 2, "bare": 1}  # the scaled deployment, and the same work in one process
SHARD_COUNT = 2
START_TIMEOUT = 120.0  # seconds for the processes to be ready; two start at once on a small machine
TRAINING_TIMEOUT = 300.0
TRAINING_WORKERS = 2  # the setting's default: jobs each worker runs at once
USER = 200_000_000_000_000_001
CHANNEL = 300_000_000_000_000_001


@dataclass(frozen=True)
class Sizes:
    jobs: int  # guilds, each with one /train
    rows: int  # examples in each guild's CSV
    guilds: int  # guilds sending /hi
    seconds: float  # how long /hi is sent


FULL = Sizes(jobs=24, rows=4000, guilds=16, seconds=8.0)
QUICK = Sizes(jobs=8, rows=2000, guilds=8, seconds=3.0)


# -- processes -----------------------------------------------------------------------------------------
def process_environment(database_url: str, data_dir: Path, **settings: str) -> dict[str, str]:
    """What a trainer-bot process of the deployment gets: the shared database and DATA_DIR."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "JOB_QUEUE": "procrastinate",
        "LLM": "off",
        "LOG_LEVEL": "INFO",
        **settings,
    }


@contextlib.asynccontextmanager
async def processes(
    command: Sequence[str], environments: Sequence[dict[str, str]], logs: Path
) -> AsyncIterator[list[Path]]:
    """One `python -m trainer_bot <command>` per environment, logging to files (a pipe nobody reads
    would fill and stall them); stopped with SIGTERM, as an operator stops them."""
    await asyncio.to_thread(logs.mkdir, parents=True, exist_ok=True)
    started: list[asyncio.subprocess.Process] = []
    paths = [logs / f"{command[0]}-{number}.log" for number in range(len(environments))]
    try:
        for environment, path in zip(environments, paths, strict=True):
            with path.open("wb") as log:
                started.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        "-m",
                        "trainer_bot",
                        *command,
                        env=environment,
                        cwd=logs,  # no .env of the checkout is read
                        stdout=log,
                        stderr=log,
                    )
                )
        yield paths
    finally:
        await asyncio.gather(*(stop(child) for child in started))


async def stop(child: asyncio.subprocess.Process) -> None:
    if child.returncode is None:
        child.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(child.wait(), 40)
        except TimeoutError:
            child.kill()
            await child.wait()


async def wait_for_lines(paths: Sequence[Path], text: str, timeout: float) -> None:
    """Until every log says `text`; TimeoutError if one never does (the caller shows the logs)."""
    async with asyncio.timeout(timeout):
        # A log file has no event to wait on: it is read again every 0.1 s.
        while not all(text in path.read_text(errors="replace") for path in paths):  # noqa: ASYNC110
            await asyncio.sleep(0.1)


def log_tails(paths: Sequence[Path]) -> str:
    return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}" for path in paths)


# -- training ------------------------------------------------------------------------------------------
def reviews_csv(rows: int, seed: int) -> bytes:
    """A small labelled data set, different for each guild."""
    rng = random.Random(seed)
    good, bad = (
        ["great", "lovely", "friendly", "perfect", "quiet"],
        ["awful", "rude", "cold", "dirty", "loud"],
    )
    lines = ["text,label"]
    for n in range(rows):
        label, words = ("positive", good) if n % 2 else ("negative", bad)
        lines.append(f"the room {n} was {rng.choice(words)} and {rng.choice(words)},{label}")
    return ("\n".join(lines) + "\n").encode()


class BotSide:
    """What the bot does on /train with JOB_QUEUE=procrastinate: store the data and the job, queue it,
    and follow its row every second, as the bot does."""

    def __init__(self, training: Any, jobs: Any) -> None:
        self.training = training
        self.jobs = jobs
        self.finished: dict[int, asyncio.Event] = {}

    async def train(self, guild_id: int, csv: bytes) -> int:
        from trainer_bot.training.catalog import UploadedFile
        from trainer_bot.training.service import TrainingRequest

        finished = asyncio.Event()

        async def on_update(job: Any) -> None:
            if job.status.finished:
                finished.set()

        request = TrainingRequest(
            guild_id=guild_id, user_id=USER, channel_id=CHANNEL, upload=UploadedFile("reviews.csv", csv)
        )
        job = await self.training.start(request, on_update=on_update)
        self.finished[job.id] = finished
        return int(job.id)


@contextlib.asynccontextmanager
async def bot_side(database_url: str, data_dir: Path) -> AsyncIterator[BotSide]:
    # Imported here: the parent process never loads trainer-bot.
    from trainer_bot.config import Settings
    from trainer_bot.storage import (
        ConversationRepository,
        Database,
        DatasetRepository,
        JobRepository,
        ModelVersionRepository,
    )
    from trainer_bot.training.active_models import ActiveModels, signing_key
    from trainer_bot.training.catalog import DatasetCatalog
    from trainer_bot.training.parsing import DatasetLimits
    from trainer_bot.training.queued import QueuedJobs
    from trainer_bot.training.service import TrainingService
    from trainer_bot.training.task_queue import ensure_schema, make_app
    from trainer_bot.workspace.paths import Workspaces

    settings = Settings(database_url=database_url, data_dir=data_dir, job_queue="procrastinate", llm="off")
    layout = settings.layout
    layout.root.mkdir(parents=True, exist_ok=True)
    database = Database.from_url(database_url)
    await database.migrate()
    app = make_app(database_url)
    await app.open_async()
    await ensure_schema(database_url, app)
    workspaces = Workspaces(layout)
    models = ActiveModels(workspaces, ModelVersionRepository(database), signing_key(layout.signing_key_file))
    jobs = JobRepository(database)
    queued = QueuedJobs(app, jobs, models)
    catalog = DatasetCatalog(DatasetRepository(database), workspaces, DatasetLimits())
    try:
        yield BotSide(TrainingService(catalog, queued, jobs, models, ConversationRepository(database)), jobs)
    finally:
        await queued.close()
        await app.close_async()
        await database.close()


async def train_all(bot: BotSide, guilds: int, rows: int) -> list[int]:
    """One /train in each of `guilds` new guilds, all queued at once; their job ids once all ended."""
    guild_ids = [random.randrange(10**17, 10**18) for _ in range(guilds)]
    ids = [await bot.train(guild, reviews_csv(rows, guild)) for guild in guild_ids]
    waits = [bot.finished[job_id].wait() for job_id in ids]
    await asyncio.wait_for(asyncio.gather(*waits), TRAINING_TIMEOUT)
    return ids


async def measure_training(database_url: str, workers: int, sizes: Sizes) -> dict[str, Any]:
    """`workers` worker processes train one /train of each of `sizes.jobs` guilds."""
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as scratch:
        data_dir = Path(scratch) / "data"
        environment = process_environment(database_url, data_dir, TRAINING_WORKERS=str(TRAINING_WORKERS))
        async with bot_side(database_url, data_dir) as bot:
            async with processes(["worker"], [environment] * workers, Path(scratch) / "logs") as logs:
                try:
                    await wait_for_lines(logs, "worker ready", START_TIMEOUT)
                    # A worker's first job loads the training libraries: a long-running worker has.
                    await train_all(bot, workers * TRAINING_WORKERS, sizes.rows)
                    ids = await train_all(bot, sizes.jobs, sizes.rows)
                except Exception as exc:
                    raise RuntimeError(f"training failed: {exc!r}\n{log_tails(logs)}") from exc
            records = [await bot.jobs.by_id(job_id) for job_id in ids]
    failed = [record for record in records if record is None or record.status.value != "succeeded"]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(records)} jobs did not succeed: {failed[0]}")
    # The rows' own times: the bot sees a job end only at its next look, up to a second later.
    span = max(r.finished_at for r in records) - min(r.created_at for r in records)
    trained = [(r.finished_at - r.started_at).total_seconds() for r in records]
    return {
        "jobs_per_minute": len(records) / span.total_seconds() * 60,
        "job_s": statistics.median(trained),
        "span_s": span.total_seconds(),
    }


# -- interactions --------------------------------------------------------------------------------------
async def measure_interactions(database_url: str, shard_processes: int, sizes: Sizes) -> dict[str, Any]:
    """`sizes.guilds` guilds over 2 shards, served by `shard_processes` bot processes; /hi for
    `sizes.seconds` from a member of every guild at once."""
    from discord_sandbox import DiscordEmulator

    emulator = DiscordEmulator()
    await emulator.start()
    try:
        for number in range(sizes.guilds - 1):  # the emulator's own guild is one of them
            await emulator.add_guild(f"guild {number}", shard=(number % SHARD_COUNT, SHARD_COUNT))
        members = [await emulator.add_member("member", guild=guild) for guild in emulator.guilds.values()]
        shard_ids = [str(n) for n in range(SHARD_COUNT)] if shard_processes > 1 else [f"0-{SHARD_COUNT - 1}"]
        with tempfile.TemporaryDirectory(prefix="scale-bench-") as scratch:
            environments = [
                process_environment(
                    database_url,
                    Path(scratch) / "data",
                    DISCORD_TOKEN=emulator.token,
                    DISCORD_API_URL=emulator.api_url,
                    SHARD_COUNT=str(SHARD_COUNT),
                    SHARD_IDS=ids,
                    STT_MODEL="tiny.en-bundled",  # nothing is downloaded (and nothing is transcribed)
                    TTS_ENGINES="espeak",
                    LOG_LEVEL="WARNING",
                )
                for ids in shard_ids
            ]
            async with processes(["run"], environments, Path(scratch) / "logs") as logs:
                try:
                    for guild in emulator.guilds.values():
                        await emulator.wait_until_ready(START_TIMEOUT, guild=guild)
                    await asyncio.gather(*(say_hi(emulator, member) for member in members))  # warm-up
                    return await hi_for(emulator, members, sizes.seconds)
                except Exception as exc:
                    raise RuntimeError(f"interactions failed: {exc!r}\n{log_tails(logs)}") from exc
    finally:
        await emulator.stop()


async def say_hi(emulator: Any, member: Any) -> float:
    """One /hi; its latency in ms as the emulator saw it."""
    interaction = await emulator.slash(member, "hi")
    reply = await emulator.response(interaction)
    if reply.content != "HI!":
        raise RuntimeError(f"/hi answered {reply.content!r}")
    # The emulator keeps every interaction and message for tests to look at; thousands of them would
    # grow its heap, and its collections, through the run.
    del emulator.interactions_by_token[interaction.token], emulator.messages[reply.id]
    return float(interaction.latency) * 1000


async def hi_for(emulator: Any, members: Sequence[Any], seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def member_says_hi(member: Any) -> None:
        while time.monotonic() < deadline:
            latencies.append(await say_hi(emulator, member))
            forget_history(emulator)

    started = time.monotonic()
    await asyncio.gather(*(member_says_hi(member) for member in members))
    elapsed = time.monotonic() - started  # the answers still on their way at the deadline included
    ordered = sorted(latencies)
    return {
        "per_second": len(latencies) / elapsed,
        "p50_ms": ordered[len(ordered) // 2],
        "p95_ms": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
    }


def forget_history(emulator: Any) -> None:
    for session in emulator.gateway.sessions.values():
        session.log.clear()  # kept to replay on RESUME; nothing resumes here
    emulator.rest.calls.clear()


# -- the parent ----------------------------------------------------------------------------------------
class Databases:
    """A fresh database on the throwaway server for every run, so no run inherits another's rows."""

    def __init__(self, server_url: str) -> None:
        self._server_url = server_url
        self._numbers = itertools.count(1)

    def fresh(self) -> str:
        import psycopg
        from sqlalchemy.engine import make_url

        name = f"scale_{next(self._numbers)}_{uuid.uuid4().hex[:6]}"
        url = make_url(self._server_url)
        libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(libpq, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")  # a name made here, not given from outside
        return url.set(database=name).render_as_string(hide_password=False)


def run_side(side: str, sizes: Sizes, databases: Databases, quick: bool) -> dict[str, Any]:
    """Both measures of one side, each in a child process of its own."""
    base = [__file__, "--processes", str(PROCESSES[side])] + (["--quick"] if quick else [])
    training = run_child([*base, "--child", "training", "--database-url", databases.fresh()])
    interactions = run_child([*base, "--child", "interactions", "--database-url", databases.fresh()])
    return {"training": training, "interactions": interactions}


def comparisons(runs: Runs) -> list[Comparison]:
    return [
        compare_runs(runs, "/train jobs per minute", lambda run: run["training"]["jobs_per_minute"]),
        compare_runs(runs, "/train one job s (median)", lambda run: run["training"]["job_s"]),
        compare_runs(runs, "/hi answered per second", lambda run: run["interactions"]["per_second"]),
        compare_runs(runs, "/hi p50 ms", lambda run: run["interactions"]["p50_ms"]),
        compare_runs(runs, "/hi p95 ms", lambda run: run["interactions"]["p95_ms"]),
    ]


def title(sizes: Sizes) -> str:
    return (
        f"2 processes (trainer-bot column) against 1 (bare column): {sizes.jobs} guilds' /train of "
        f"{sizes.rows} rows on 2 `trainer-bot worker`s against 1 ({TRAINING_WORKERS} jobs each at once); "
        f"/hi from {sizes.guilds} guilds at once for {sizes.seconds:g} s, 2 shard processes against 1 "
        "holding both"
    )


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_pair_arguments(parser)
    parser.add_argument("--quick", action="store_true", help="fewer jobs and guilds, shorter /hi")
    parser.add_argument("--child", choices=("training", "interactions"), help="(child) run one measure")
    parser.add_argument("--processes", type=int, choices=(1, 2), help="(child) worker or shard processes")
    parser.add_argument("--database-url", help="(child) an empty database")
    return parser.parse_args()


def main() -> None:
    arguments = parse_arguments()
    sizes = QUICK if arguments.quick else FULL
    if arguments.child:
        measure = measure_training if arguments.child == "training" else measure_interactions
        print(json.dumps(asyncio.run(measure(arguments.database_url, arguments.processes, sizes))))
        return
    from support.postgres import throwaway_server

    with throwaway_server() as server_url:
        databases = Databases(server_url)
        runs = interleave(arguments.pairs, lambda side: run_side(side, sizes, databases, arguments.quick))
    print(f"{title(sizes)}, {arguments.pairs} pairs (2 processes, 1 process interleaved)\n")
    print(comparison_table(comparisons(runs)))
    print("\nbot: the 2-process side; bare: the same work in 1 process; bot/bare above 1 is faster per")
    print(
        f"second or minute, below 1 quicker per job or answer. Machine: nproc {len(os.sched_getaffinity(0))}."
    )
    write_summary(arguments.json_summary, "scale", title(sizes), comparisons(runs))


if __name__ == "__main__":
    main()
