"""Background job runner: blocking work (training, testing) in worker threads, tracked in the database.

One job at a time per guild (later ones queue in submission order), at most `max_concurrent` overall.
The event loop never runs the work itself; it only hears about progress, throttled, so a chatty job
can flood neither the database nor Discord.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import contextvars
import dataclasses
import logging
import math
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from trainer_bot.errors import UserError
from trainer_bot.i18n import Message
from trainer_bot.storage.coltypes import utcnow
from trainer_bot.storage.records import JobStatus, TrainingJob
from trainer_bot.storage.repositories.jobs import INTERRUPTED, JobRepository
from trainer_bot.training import stored

log = logging.getLogger("trainer_bot.training.jobs")

ProgressCallback = Callable[[float, str], None]
"""Called by the work, from its worker thread: (fraction done 0..1, stage key). Stages are stored in English
and shown through `texts.STAGES`; a stage not listed there is shown as it is."""

# Stored in English, as the stages are; `texts.error_text` shows them in the reader's language.
INTERNAL_ERROR = "internal error"
NO_REASON = "the job failed"
# Errors end up in Discord messages; keep them to a readable size.
MAX_ERROR_LENGTH = 500
MAX_STAGE_LENGTH = 200


@dataclass(frozen=True)
class JobContext:
    """What the work knows of its job. `progress` may be called from the worker thread at any rate."""

    job_id: int
    guild_id: int
    progress: ProgressCallback


@dataclass(frozen=True)
class JobOutcome:
    metrics: dict[str, Any]
    model_version: str | None = None
    commit: Callable[[], Awaitable[None]] | None = None
    """Runs on the event loop once the work is done, before the job counts as succeeded (e.g. make a
    new model live). Raise to fail the job."""


Work = Callable[[JobContext], JobOutcome]
"""Blocking; runs in a worker thread. Raise to fail the job."""

UpdateCallback = Callable[[TrainingJob], Awaitable[None]]
ErrorTypes = tuple[type[BaseException], ...]


class _Job:
    """A submitted job's in-memory state. Only the event loop touches it, except `report` (thread)."""

    def __init__(
        self, record: TrainingJob, work: Work, on_update: UpdateCallback | None, user_errors: ErrorTypes
    ) -> None:
        self.view = record  # what members see; every change is also written to the job's row
        self.work = work
        self.on_update = on_update
        self.user_errors = user_errors
        self.done: asyncio.Future[TrainingJob] = asyncio.get_running_loop().create_future()
        # Progress hand-off: the thread overwrites `latest` and pokes the loop only when no poke is
        # pending, so a million reports cost a handful of loop callbacks.
        self.lock = threading.Lock()
        self.latest: tuple[float, str] | None = None
        self.poked = False
        self.flush_handle: asyncio.TimerHandle | None = None
        self.last_flush = -math.inf
        # Tail of this job's chain of writes + notifications; each link waits for the previous one.
        self.publishing: asyncio.Task[None] | None = None

    @property
    def id(self) -> int:
        return self.view.id

    @property
    def guild_id(self) -> int:
        return self.view.guild_id

    @property
    def status(self) -> JobStatus:
        return self.view.status

    def change(self, **changes: Any) -> TrainingJob:
        self.view = dataclasses.replace(self.view, **changes)
        return self.view


def _clamp(progress: float) -> float:
    return min(1.0, max(0.0, progress)) if math.isfinite(progress) else 0.0


class JobRunner:
    def __init__(
        self,
        jobs: JobRepository,
        *,
        max_concurrent: int = 2,
        executor: concurrent.futures.Executor | None = None,
        user_errors: ErrorTypes = (),
        progress_interval: float = 0.5,
        update_timeout: float = 30.0,
    ) -> None:
        """`executor`, if given, stays the caller's (never shut down here) and should have at least
        `max_concurrent` workers. `user_errors` are exception types whose message is safe to show
        members; anything else is reported as "internal error" and logged with its traceback."""
        if max_concurrent < 1:
            raise ValueError("max_concurrent must be at least 1")
        self._jobs = jobs
        self._slots = asyncio.Semaphore(max_concurrent)
        self._owns_executor = executor is None
        self._executor = executor or concurrent.futures.ThreadPoolExecutor(
            max_workers=max_concurrent, thread_name_prefix="trainer-job"
        )
        self._user_errors = user_errors
        self._interval = progress_interval
        self._update_timeout = update_timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._interrupted = 0
        self._tracked: dict[int, _Job] = {}
        self._queues: dict[int, collections.deque[_Job]] = {}
        self._drainers: dict[int, asyncio.Task[None]] = {}

    @property
    def interrupted_count(self) -> int:
        """How many unfinished jobs of a previous process `start` marked failed."""
        return self._interrupted

    async def start(self, *, settle_previous: bool = True) -> None:
        """Fail the jobs a dead process left queued or running: their threads are gone with it.

        Must run before the first `submit`, or it would fail this runner's own jobs too. Not in a
        worker (`settle_previous=False`): the other workers' jobs are alive, and the queue settles the
        dead ones.
        """
        if self._loop is not None:
            raise RuntimeError("JobRunner already started")
        self._loop = asyncio.get_running_loop()
        if not settle_previous:
            return
        self._interrupted = await self._jobs.mark_interrupted_all()
        if self._interrupted:
            log.warning("marked %d job(s) left unfinished by a previous run as failed", self._interrupted)

    async def submit(
        self,
        guild_id: int,
        requested_by: int,
        channel_id: int | None,
        work: Work,
        *,
        dataset_ids: list[int],
        force: bool = False,
        on_update: UpdateCallback | None = None,
        user_errors: ErrorTypes = (),
    ) -> int:
        """Persist a queued job and return its id at once; the work runs when its turn comes.

        `on_update` hears every status change (running, succeeded, failed, cancelled) and throttled
        progress in between, in order; it is not called for the initial "queued" state.
        """
        if self._loop is None or self._closed:
            raise RuntimeError("JobRunner is not running (call start() first; not after close())")
        record = await self._jobs.create(guild_id, requested_by, channel_id, dataset_ids, force=force)
        if self._closed:  # close() ran while the row was being written
            await self._jobs.mark_cancelled(record.id)
            raise RuntimeError("JobRunner closed while the job was being submitted")
        job = _Job(record, work, on_update, (*self._user_errors, *user_errors))
        self._tracked[job.id] = job
        self._queues.setdefault(guild_id, collections.deque()).append(job)
        if guild_id not in self._drainers:
            self._drainers[guild_id] = self._loop.create_task(
                self._drain(guild_id), name=f"jobs-guild-{guild_id}"
            )
        log.info("job %d queued for guild %d", job.id, guild_id)
        return job.id

    async def run_now(self, record: TrainingJob, work: Work, *, user_errors: ErrorTypes = ()) -> TrainingJob:
        """Run a queued job stored by another process now (within `max_concurrent`), and return its
        final state. The caller keeps one job per guild at a time (a task queue's lock does)."""
        if self._loop is None or self._closed:
            raise RuntimeError("JobRunner is not running (call start() first; not after close())")
        job = _Job(record, work, None, (*self._user_errors, *user_errors))
        self._tracked[job.id] = job
        await self._run(job)
        return await asyncio.shield(job.done)

    async def cancel(self, guild_id: int, job_id: int) -> bool:
        """Cancel a queued job of `guild_id`. False for running or finished jobs: a thread cannot be
        stopped safely from outside, so running work is left to finish."""
        job = self._tracked.get(job_id)
        if job is None or job.guild_id != guild_id or job.status is not JobStatus.QUEUED:
            return False
        # Before any await: the guild's drainer now skips it.
        final = job.change(status=JobStatus.CANCELLED, stage="cancelled", finished_at=utcnow())
        queue = self._queues.get(guild_id)
        if queue is not None and job in queue:
            queue.remove(job)
        await self._finish(job, lambda: self._jobs.mark_cancelled(job_id, at=final.finished_at), final)
        log.info("job %d cancelled", job_id)
        return True

    async def wait(self, job_id: int) -> TrainingJob:
        """The job's final update, waiting for it if needed. LookupError for unknown or orphaned jobs."""
        job = self._tracked.get(job_id)
        if job is not None:
            return await asyncio.shield(job.done)
        record = await self._jobs.by_id(job_id)
        if record is None:
            raise KeyError(job_id)
        if not record.status.finished:
            raise LookupError(f"job {job_id} is {record.status} but not run by this runner")
        return record

    async def close(self, timeout: float = 10.0) -> None:
        """Cancel queued jobs, give running ones `timeout` seconds, then mark the rest interrupted.

        Work still running after that keeps its thread until it returns (Python cannot kill threads),
        but its result is discarded.
        """
        self._closed = True
        for job in list(self._tracked.values()):
            await self.cancel(job.guild_id, job.id)
        running = [job.done for job in self._tracked.values()]
        if running:
            await asyncio.wait(running, timeout=timeout)
        for drainer in self._drainers.values():
            drainer.cancel()
        await asyncio.gather(*self._drainers.values(), return_exceptions=True)
        for job in list(self._tracked.values()):
            await self._abandon(job)
        if self._owns_executor:
            self._executor.shutdown(wait=False, cancel_futures=True)

    async def _drain(self, guild_id: int) -> None:
        queue = self._queues[guild_id]
        try:
            while queue:
                await self._run(queue.popleft())
        finally:
            del self._queues[guild_id]
            del self._drainers[guild_id]

    async def _run(self, job: _Job) -> None:
        async with self._slots:
            # Re-checked once a slot is free: the job may have been cancelled while it waited.
            if job.status is not JobStatus.QUEUED or not await self._mark_running(job):
                return
            result = await self._execute(job)
        # The slot bounds worker threads, and this job's is done: other guilds may start while the
        # result is saved and announced. (This guild's next job still waits, so its updates stay in order.)
        if isinstance(result, JobOutcome):
            final = job.change(
                status=JobStatus.SUCCEEDED,
                progress=1.0,
                stage="done",
                metrics=result.metrics,
                model_version=result.model_version,
                finished_at=utcnow(),
            )
            await self._finish(
                job,
                lambda: self._jobs.finish_success(
                    job.id, result.metrics, result.model_version, at=final.finished_at
                ),
                final,
            )
            log.info("job %d succeeded (model %s)", job.id, result.model_version)
        else:
            await self._fail(job, result)

    async def _mark_running(self, job: _Job) -> bool:
        running = job.change(status=JobStatus.RUNNING, stage="starting", started_at=utcnow())
        try:
            started = await self._jobs.mark_running(job.id, at=running.started_at)
        except Exception:
            log.exception("could not mark job %d running", job.id)
            await self._fail(job, INTERNAL_ERROR)
            return False
        if not started:
            log.warning("job %d was no longer queued in the database; skipping it", job.id)
            job.change(status=JobStatus.FAILED, error=INTERNAL_ERROR, finished_at=utcnow())
            await self._finish(job, None, job.view)
            return False
        self._publish(job, None, job.view)
        log.info("job %d started for guild %d", job.id, job.guild_id)
        return True

    async def _execute(self, job: _Job) -> JobOutcome | str:
        """Run the work in the executor, then its commit step here; the outcome, or the error text
        members may see."""
        loop = asyncio.get_running_loop()
        catchable: ErrorTypes = (Exception, *job.user_errors)
        context = contextvars.copy_context()  # keep log context etc. visible inside the thread
        job_context = JobContext(job.id, job.guild_id, self._reporter(job))
        try:
            outcome = await loop.run_in_executor(self._executor, context.run, job.work, job_context)
            if not isinstance(outcome, JobOutcome):
                raise TypeError(f"job work returned {type(outcome).__name__}, not JobOutcome")
            if outcome.commit is not None:
                await outcome.commit()
        except catchable as exc:
            return self._describe(job, exc)
        return outcome

    async def _fail(self, job: _Job, error: str) -> None:
        final = job.change(status=JobStatus.FAILED, error=error, finished_at=utcnow())
        await self._finish(job, lambda: self._jobs.finish_failure(job.id, error, at=final.finished_at), final)

    def _describe(self, job: _Job, exc: BaseException) -> str:
        if isinstance(exc, job.user_errors):
            log.info("job %d failed: %s", job.id, exc)
            if isinstance(exc, UserError) and isinstance(exc.message, Message):
                # Kept as msgid and fields, so whoever reads the job later reads it in their language.
                return stored.to_text(exc.message)
            return (str(exc).strip() or NO_REASON)[:MAX_ERROR_LENGTH]
        # Unexpected errors may carry paths or internals: log them, show members nothing specific.
        log.error("job %d failed unexpectedly", job.id, exc_info=exc)
        return INTERNAL_ERROR

    def _reporter(self, job: _Job) -> ProgressCallback:
        loop = asyncio.get_running_loop()

        def report(progress: float, stage: str) -> None:  # runs in the worker thread
            with job.lock:
                job.latest = (_clamp(float(progress)), str(stage)[:MAX_STAGE_LENGTH])
                if job.poked:
                    return
                job.poked = True
            # RuntimeError: the loop is closed, so the process is exiting and nobody is listening.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._on_progress, job)

        return report

    def _on_progress(self, job: _Job) -> None:
        if job.status is not JobStatus.RUNNING or job.flush_handle is not None:
            return
        loop = asyncio.get_running_loop()
        delay = max(0.0, job.last_flush + self._interval - loop.time())
        job.flush_handle = loop.call_later(delay, self._flush_progress, job)

    def _flush_progress(self, job: _Job) -> None:
        job.flush_handle = None
        if job.status is not JobStatus.RUNNING:
            return
        with job.lock:
            latest, job.latest, job.poked = job.latest, None, False
        if latest is None:
            return
        progress, stage = latest
        job.last_flush = asyncio.get_running_loop().time()
        update = job.change(progress=progress, stage=stage)
        self._publish(job, lambda: self._jobs.update_progress(job.id, progress, stage), update)

    def _publish(self, job: _Job, write: Callable[[], Awaitable[object]] | None, update: TrainingJob) -> None:
        previous = job.publishing
        job.publishing = asyncio.get_running_loop().create_task(
            self._write_then_notify(previous, write, job, update)
        )

    async def _write_then_notify(
        self,
        previous: asyncio.Task[None] | None,
        write: Callable[[], Awaitable[object]] | None,
        job: _Job,
        update: TrainingJob,
    ) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # order, not outcome: it never raises, may be cancelled
        if write is not None:
            try:
                if await write() is False:
                    log.warning(
                        "job %d: its row was not in the expected state; %s not saved", job.id, update.status
                    )
            except Exception:
                log.exception("could not save the state of job %d", job.id)
        if job.on_update is None:
            return
        try:
            await asyncio.wait_for(job.on_update(update), self._update_timeout)
        except Exception:
            # A failed Discord edit must not fail the job (or the ones queued behind it).
            log.exception("on_update for job %d failed", job.id)

    async def _finish(
        self, job: _Job, write: Callable[[], Awaitable[object]] | None, final: TrainingJob
    ) -> None:
        """Persist and announce the final state after every earlier update, then release waiters."""
        if job.flush_handle is not None:
            job.flush_handle.cancel()
            job.flush_handle = None
        self._publish(job, write, final)
        assert job.publishing is not None
        await asyncio.wait([job.publishing])
        self._tracked.pop(job.id, None)
        if not job.done.done():
            job.done.set_result(final)

    async def _abandon(self, job: _Job) -> None:
        """Give up on a job still running at close: record it as interrupted without waiting for it."""
        log.warning("job %d still running at shutdown; marking it interrupted", job.id)
        final = job.change(status=JobStatus.FAILED, error=INTERRUPTED, finished_at=utcnow())
        if job.flush_handle is not None:
            job.flush_handle.cancel()
        if job.publishing is not None:
            job.publishing.cancel()
        try:
            await self._jobs.finish_failure(job.id, INTERRUPTED, at=final.finished_at)
        except Exception:
            log.exception("could not mark job %d interrupted", job.id)
        self._tracked.pop(job.id, None)
        if not job.done.done():
            job.done.set_result(final)
