"""`trainer-bot worker`: runs the /train jobs of JOB_QUEUE=procrastinate, the composition root of a
worker process (as `app` is the bot's).

Any number of workers, on any machines that reach the PostgreSQL server and share DATA_DIR, take jobs
from the queue, TRAINING_WORKERS at a time each, one per guild at a time across all of them (the task's
lock). A job is rebuilt from its row (`training.work`), run by the same JobRunner as the bot's local
jobs (progress written to the row, throttled; the new version saved to the guild's workspace and made
active by the same commit step), so the bot following the row sees what a local job would show.

A worker killed mid-job (SIGKILL, OOM, a lost machine) stops sending heartbeats; a periodic sweep on the
surviving workers finds its jobs and runs them again from the start, at most `max_attempts` times in
all, then marks them failed ("interrupted"). A job that went live before its worker died is settled
as succeeded instead of trained twice.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from dataclasses import dataclass

import procrastinate

from trainer_bot.config import Settings
from trainer_bot.ml import TrainingError
from trainer_bot.startup import open_database
from trainer_bot.storage import (
    ConversationRepository,
    Database,
    DatasetRepository,
    JobRepository,
    JobStatus,
    ModelVersionRepository,
)
from trainer_bot.storage.repositories.jobs import INTERRUPTED
from trainer_bot.training.active_models import ActiveModels, signing_key
from trainer_bot.training.catalog import DatasetCatalog
from trainer_bot.training.jobs import INTERNAL_ERROR, JobRunner
from trainer_bot.training.parsing import DatasetLimits
from trainer_bot.training.task_queue import QUEUE, TRAIN_TASK, ensure_schema, make_app
from trainer_bot.training.work import TrainingWork
from trainer_bot.workspace.paths import Workspaces

log = logging.getLogger(__name__)

SWEEP_TASK = "trainer_bot.retry_stalled_training"


@dataclass(frozen=True)
class StallPolicy:
    """When a worker counts as dead, and what happens to its jobs."""

    heartbeat_seconds: float = 10.0
    stalled_after_seconds: float = 60.0  # no heartbeat for this long: the worker is dead
    sweep_every_seconds: int = 30  # how often one worker of the fleet looks for stalled jobs
    max_attempts: int = 3  # runs of one job in all, before it is marked failed ("interrupted")
    shutdown_seconds: float = 30.0  # a stopped worker's running jobs get this long to finish

    @classmethod
    def from_settings(cls, settings: Settings) -> StallPolicy:
        """The JOB_* settings; the shutdown grace stays fixed (SIGTERM's contract with the operator)."""
        return cls(
            heartbeat_seconds=settings.job_heartbeat_seconds,
            stalled_after_seconds=settings.job_stalled_after_seconds,
            sweep_every_seconds=settings.job_sweep_seconds,
            max_attempts=settings.job_max_runs,
        )


class TrainingWorker:
    def __init__(self, settings: Settings, *, queue: str = QUEUE, stall: StallPolicy | None = None) -> None:
        if settings.database_url is None or not settings.uses_postgres:
            raise ValueError("the worker needs DATABASE_URL to name the bot's PostgreSQL database")
        self._settings = settings
        self._database_url = settings.database_url
        self._queue = queue
        self._stall = stall or StallPolicy.from_settings(settings)
        # Each running job holds a connection; the listener and the heartbeat one each.
        self.app = make_app(self._database_url, max_connections=settings.training_workers + 3)
        self._database: Database | None = None
        self._runner: JobRunner | None = None

    async def open(self) -> None:
        settings = self._settings
        self._database = database = await open_database(settings)
        layout = settings.layout
        workspaces = Workspaces(layout)
        self._models = ActiveModels(
            workspaces,
            ModelVersionRepository(database),
            signing_key(layout.signing_key_file),
            keep_versions=settings.model_keep_versions,
            cache_bytes=settings.model_cache_mb * 1024 * 1024,
        )
        limits = DatasetLimits(max_file_bytes=settings.max_upload_bytes)
        catalog = DatasetCatalog(DatasetRepository(database), workspaces, limits)
        self._work = TrainingWork(catalog, self._models, ConversationRepository(database))
        self._jobs = JobRepository(database)
        self._runner = JobRunner(self._jobs, max_concurrent=settings.training_workers)
        await self._runner.start(settle_previous=False)
        await self.app.open_async()
        await ensure_schema(self._database_url, self.app)
        self.app.task(name=TRAIN_TASK, queue=self._queue)(self._train)
        sweep = self.app.task(name=SWEEP_TASK, queue=self._queue)(self._sweep)
        self.app.periodic(cron=f"* * * * * */{self._stall.sweep_every_seconds}", periodic_id=self._queue)(
            sweep
        )

    async def run(self) -> None:
        """Take and run jobs until cancelled; running jobs then get `shutdown_seconds` to finish."""
        stall = self._stall
        await self.app.run_worker_async(
            queues=[self._queue],
            name=f"trainer-bot-worker-{os.getpid()}",
            concurrency=self._settings.training_workers,
            install_signal_handlers=False,
            update_heartbeat_interval=stall.heartbeat_seconds,
            stalled_worker_timeout=stall.stalled_after_seconds,
            shutdown_graceful_timeout=stall.shutdown_seconds,
            delete_jobs="successful",  # the job's own row is the record; the queue keeps failures only
        )

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.close(timeout=1.0)  # jobs still running are marked interrupted
        await self.app.close_async()
        if self._database is not None:
            await self._database.close()

    async def _train(self, job_id: int) -> None:
        """The `train` task: the job's row says what to do; its outcome goes to the row."""
        assert self._runner is not None
        record = await self._jobs.by_id(job_id)
        if record is None or record.status.finished:
            log.info("job %s is gone or finished (%s); nothing to run", job_id, record and record.status)
            return
        if record.status is JobStatus.RUNNING:  # an earlier attempt's worker died
            if await self._jobs.settle_published(job_id) is not None:
                log.info("job %d had already made its model active; settled as succeeded", job_id)
                return
            await self._jobs.requeue(job_id)
            record = await self._jobs.by_id(job_id)
            assert record is not None
            log.warning("job %d runs again from the start: its previous worker died", job_id)
        # Another worker may have made a newer version active since this one last looked.
        await self._models.reload(record.guild_id)
        try:
            work = await self._work.for_job(record)
        except Exception:
            log.exception("could not gather the data of job %d", job_id)
            await self._jobs.finish_failure(job_id, INTERNAL_ERROR)
            return
        final = await self._runner.run_now(record, work, user_errors=(TrainingError,))
        log.info("job %d %s", job_id, final.status)

    async def _sweep(self, timestamp: int) -> None:
        """The periodic task: the jobs of workers that stopped sending heartbeats run again, or fail."""
        manager = self.app.job_manager
        stalled = await manager.get_stalled_jobs(
            queue=self._queue, seconds_since_heartbeat=self._stall.stalled_after_seconds
        )
        for job in stalled:
            if job.task_name != TRAIN_TASK:  # an earlier sweep that died with its worker
                await manager.finish_job(job, procrastinate.jobs.Status.FAILED, delete_job=True)
                continue
            job_id = int(str(job.task_kwargs["job_id"]))
            if job.attempts + 1 < self._stall.max_attempts:
                log.warning("job %d: its worker stopped answering; it will run again", job_id)
                await manager.retry_job(job)
                continue
            log.warning("job %d: its worker stopped answering %d times; giving up", job_id, job.attempts + 1)
            if await self._jobs.settle_published(job_id) is None:
                await self._jobs.finish_failure(job_id, INTERRUPTED)
            await manager.finish_job(job, procrastinate.jobs.Status.FAILED, delete_job=False)


async def serve_worker(settings: Settings) -> None:
    """`trainer-bot worker`: until SIGINT or SIGTERM."""
    worker = TrainingWorker(settings)
    loop = asyncio.get_running_loop()
    try:
        await worker.open()
        running = asyncio.ensure_future(worker.run())
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, running.cancel)
        log.info("worker ready: %d job(s) at a time from queue %r", settings.training_workers, QUEUE)
        try:
            await running
        except asyncio.CancelledError:
            log.info("worker stopping")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await worker.close()
