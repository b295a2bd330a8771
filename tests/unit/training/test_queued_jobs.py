"""JOB_QUEUE=procrastinate on a real PostgreSQL: the bot side defers and follows, workers run the jobs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from trainer_bot.config import Settings
from trainer_bot.ml import train_model
from trainer_bot.storage import (
    ConversationRepository,
    Database,
    DatasetRepository,
    JobRepository,
    JobStatus,
    ModelVersionRepository,
    TrainingJob,
)
from trainer_bot.training import work
from trainer_bot.training.active_models import ActiveModels, signing_key
from trainer_bot.training.catalog import DatasetCatalog, UploadedFile
from trainer_bot.training.parsing import DatasetLimits
from trainer_bot.training.queued import QueuedJobs
from trainer_bot.training.service import TrainingRequest, TrainingService
from trainer_bot.training.task_queue import ensure_schema, make_app
from trainer_bot.worker import StallPolicy, TrainingWorker
from trainer_bot.workspace.paths import Workspaces

USER = 200_000_000_000_000_001
CHANNEL = 300_000_000_000_000_001
FAST = StallPolicy(
    heartbeat_seconds=0.5, stalled_after_seconds=2.0, sweep_every_seconds=1, shutdown_seconds=5
)


def reviews_csv(count: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    good, bad = ["great", "lovely", "friendly", "perfect"], ["awful", "rude", "cold", "dirty"]
    lines = ["text,label"]
    for n in range(count):
        label, words = ("positive", good) if n % 2 else ("negative", bad)
        lines.append(f"the room {n} was {rng.choice(words)} and {rng.choice(words)},{label}")
    return ("\n".join(lines) + "\n").encode()


class Recorder:
    def __init__(self) -> None:
        self.updates: list[TrainingJob] = []
        self.running = asyncio.Event()
        self.done = asyncio.Event()

    async def __call__(self, update: TrainingJob) -> None:
        self.updates.append(update)
        if update.status is JobStatus.RUNNING:
            self.running.set()
        if update.status.finished:
            self.done.set()


class Bot:
    """The bot's side: TrainingService on QueuedJobs, with its own ActiveModels."""

    def __init__(
        self, settings: Settings, database: Database, queued: QueuedJobs, models: ActiveModels
    ) -> None:
        self.settings = settings
        self.database = database
        self.queued = queued
        self.models = models
        self.jobs = JobRepository(database)
        layout = settings.layout
        catalog = DatasetCatalog(DatasetRepository(database), Workspaces(layout), DatasetLimits())
        self.training = TrainingService(catalog, queued, self.jobs, models, ConversationRepository(database))

    async def train(self, guild_id: int, csv: bytes) -> tuple[TrainingJob, Recorder]:
        recorder = Recorder()
        request = TrainingRequest(
            guild_id=guild_id, user_id=USER, channel_id=CHANNEL, upload=UploadedFile("reviews.csv", csv)
        )
        return await self.training.start(request, on_update=recorder), recorder


@pytest.fixture
def queue() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"  # one queue per test: no job of another test runs here


@pytest.fixture
def settings(postgres_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=postgres_url, data_dir=tmp_path / "data", job_queue="procrastinate", llm="off"
    )


@pytest.fixture
async def bot(settings: Settings, queue: str) -> AsyncIterator[Bot]:
    settings.layout.root.mkdir(parents=True, exist_ok=True)
    database = Database.from_url(str(settings.database_url))
    await database.migrate()
    app = make_app(str(settings.database_url))
    await app.open_async()
    await ensure_schema(str(settings.database_url), app)
    layout = settings.layout
    models = ActiveModels(
        Workspaces(layout), ModelVersionRepository(database), signing_key(layout.signing_key_file)
    )
    queued = QueuedJobs(app, JobRepository(database), models, queue=queue, poll_interval=0.2)
    try:
        yield Bot(settings, database, queued, models)
    finally:
        await queued.close()
        await app.close_async()
        await database.close()


@contextlib.asynccontextmanager
async def worker_running(settings: Settings, queue: str) -> AsyncIterator[TrainingWorker]:
    worker = TrainingWorker(settings, queue=queue, stall=FAST)
    await worker.open()
    task = asyncio.ensure_future(worker.run())
    try:
        yield worker
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)
        await worker.close()


async def test_a_job_deferred_by_the_bot_runs_on_a_worker_and_the_bot_follows_it(
    bot: Bot, settings: Settings, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Training 120 rows takes less than one poll on a quiet machine; a second of it lets the follower
    # see the job running, as a member's reply does for any real training.
    def slower(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.0)
        return train_model(*args, **kwargs)

    monkeypatch.setattr(work, "train_model", slower)
    guild = random.randrange(10**17, 10**18)
    job, recorder = await bot.train(guild, reviews_csv(120))
    assert job.status is JobStatus.QUEUED
    async with worker_running(settings, queue):
        await asyncio.wait_for(recorder.done.wait(), 60)
    final = recorder.updates[-1]
    assert final.status is JobStatus.SUCCEEDED and final.model_version is not None, final
    assert JobStatus.RUNNING in [update.status for update in recorder.updates]
    assert final.metrics is not None and final.metrics["accuracy"] >= 0.9
    # The bot answers with the version the worker published.
    current = await bot.models.current(guild)
    assert current is not None and current[0] == final.model_version
    active = (Workspaces(settings.layout).for_guild(guild).models_dir / "ACTIVE").read_text().strip()
    assert active == final.model_version


async def test_two_jobs_of_one_guild_never_run_at_once(bot: Bot, settings: Settings, queue: str) -> None:
    guild = random.randrange(10**17, 10**18)
    first, first_seen = await bot.train(guild, reviews_csv(2000, seed=1))
    second, second_seen = await bot.train(guild, reviews_csv(2000, seed=2))
    # Two workers with room for both jobs: only the guild's lock keeps them apart.
    async with worker_running(settings, queue), worker_running(settings, queue):
        await asyncio.wait_for(asyncio.gather(first_seen.done.wait(), second_seen.done.wait()), 120)
    one, two = await bot.jobs.by_id(first.id), await bot.jobs.by_id(second.id)
    assert one is not None and two is not None
    assert one.status is JobStatus.SUCCEEDED and two.status is JobStatus.SUCCEEDED
    assert one.finished_at is not None and two.started_at is not None
    assert two.started_at >= one.finished_at, "the guild's second job started before its first ended"


async def test_a_worker_killed_mid_job_leaves_it_to_another_worker(
    bot: Bot, settings: Settings, queue: str
) -> None:
    guild = random.randrange(10**17, 10**18)
    job, recorder = await bot.train(guild, reviews_csv(20000))
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(sys.path),
        "DATABASE_URL": str(settings.database_url),
        "DATA_DIR": str(settings.data_dir),
        "JOB_QUEUE": "procrastinate",
        "LLM": "off",
        "TRAINER_BOT_TEST_QUEUE": queue,
    }
    code = (
        "import asyncio, os, sys; from trainer_bot.config import load_settings; "
        "from trainer_bot.worker import TrainingWorker;\n"
        "async def main():\n"
        "    w = TrainingWorker(load_settings(), queue=os.environ['TRAINER_BOT_TEST_QUEUE'])\n"
        "    await w.open(); await w.run()\n"
        "asyncio.run(main())"
    )
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", code, env=env)
    try:
        await asyncio.wait_for(recorder.running.wait(), 60)  # the follower saw the worker start it
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    killed = await bot.jobs.by_id(job.id)
    assert killed is not None and killed.status is JobStatus.RUNNING  # as the dead worker left it

    async with worker_running(settings, queue):
        await asyncio.wait_for(recorder.done.wait(), 120)
    final = await bot.jobs.by_id(job.id)
    assert final is not None and final.status is JobStatus.SUCCEEDED, final
    assert (await bot.models.current(guild)) is not None


async def test_a_restarted_bot_follows_the_unfinished_jobs_of_its_own_guilds_again(
    bot: Bot, settings: Settings, queue: str
) -> None:
    """The jobs outlive the process that deferred them; the next one holding their guilds hears how they end."""
    held, elsewhere = random.randrange(10**17, 10**18), random.randrange(10**17, 10**18)
    jobs = bot.jobs
    running = await jobs.create(held, USER, CHANNEL, [])
    assert await jobs.mark_running(running.id)
    waiting = await jobs.create(held, USER, CHANNEL, [])
    other = await jobs.create(elsewhere, USER, CHANNEL, [])
    recorder = Recorder()

    assert await bot.queued.resume(lambda guild_id: guild_id != elsewhere, recorder) == 2
    await jobs.finish_failure(running.id, "interrupted")
    await jobs.finish_failure(other.id, "interrupted")
    await asyncio.wait_for(recorder.done.wait(), 10)
    assert await jobs.mark_running(waiting.id)
    assert await jobs.finish_success(waiting.id, {"accuracy": 1.0}, None)
    await asyncio.sleep(1.0)  # polled every 0.2 s
    ended = [(update.id, update.status) for update in recorder.updates if update.status.finished]
    assert ended == [(running.id, JobStatus.FAILED), (waiting.id, JobStatus.SUCCEEDED)]
    assert other.id not in {update.id for update in recorder.updates}, "another process's guild"
