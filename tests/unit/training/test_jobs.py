"""JobRunner: lifecycle, errors, per-guild ordering, the global bound, throttled progress, shutdown."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from trainer_bot.layout import DataLayout
from trainer_bot.storage import Database, JobRepository, JobStatus, TrainingJob
from trainer_bot.training.jobs import INTERNAL_ERROR, JobContext, JobOutcome, JobRunner, Work

GUILD_A = 100_000_000_000_000_001
GUILD_B = 100_000_000_000_000_002
USER = 200_000_000_000_000_001
CHANNEL = 300_000_000_000_000_001

RunnerFactory = Callable[..., Awaitable[JobRunner]]


class BadDataError(Exception):
    """Stands in for a service's member-facing error type."""


class Recorder:
    def __init__(self) -> None:
        self.updates: list[TrainingJob] = []

    async def __call__(self, update: TrainingJob) -> None:
        self.updates.append(update)

    @property
    def statuses(self) -> list[JobStatus]:
        return [update.status for update in self.updates]


class Overlap:
    """Counts how many jobs run at once, from the worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current = 0
        self.peak = 0
        self.order: list[str] = []

    def work(self, name: str, seconds: float) -> Work:
        def run(job: JobContext) -> JobOutcome:
            with self._lock:
                self.current += 1
                self.peak = max(self.peak, self.current)
                self.order.append(name)
            time.sleep(seconds)
            with self._lock:
                self.current -= 1
            return JobOutcome(metrics={"name": name})

        return run


def succeed(metrics: dict[str, Any] | None = None, version: str | None = "v1") -> Work:
    def run(job: JobContext) -> JobOutcome:
        job.progress(0.5, "halfway")
        return JobOutcome(metrics=metrics or {"accuracy": 1.0}, model_version=version)

    return run


def fail_with(error: BaseException) -> Work:
    def run(job: JobContext) -> JobOutcome:
        raise error

    return run


def blocked_until(started: threading.Event, release: threading.Event) -> Work:
    def run(job: JobContext) -> JobOutcome:
        started.set()
        release.wait(5)
        return JobOutcome(metrics={})

    return run


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database.from_url(DataLayout(tmp_path).default_database_url)
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
async def repo(db: Database) -> JobRepository:
    return JobRepository(db)


@pytest.fixture
async def make_runner(repo: JobRepository) -> AsyncIterator[RunnerFactory]:
    runners: list[JobRunner] = []

    async def make(**options: Any) -> JobRunner:
        runner = JobRunner(repo, **{"progress_interval": 0.05, **options})
        await runner.start()
        runners.append(runner)
        return runner

    yield make
    for runner in runners:
        await runner.close(timeout=5)


async def test_lifecycle_queued_running_succeeded(make_runner: RunnerFactory, repo: JobRepository) -> None:
    runner = await make_runner()
    recorder = Recorder()
    job_id = await runner.submit(
        GUILD_A, USER, CHANNEL, succeed({"accuracy": 0.75}, "v7"), dataset_ids=[1, 2], on_update=recorder
    )
    final = await runner.wait(job_id)

    assert (final.status, final.progress, final.metrics, final.model_version, final.error) == (
        JobStatus.SUCCEEDED,
        1.0,
        {"accuracy": 0.75},
        "v7",
        None,
    )
    assert recorder.statuses[0] is JobStatus.RUNNING
    assert recorder.updates[-1] == final
    stored = await repo.get(GUILD_A, job_id)
    assert stored is not None
    assert (stored.status, stored.metrics, stored.model_version, stored.dataset_ids) == (
        JobStatus.SUCCEEDED,
        {"accuracy": 0.75},
        "v7",
        (1, 2),
    )
    assert stored.started_at is not None
    assert stored.finished_at is not None
    assert stored.created_at <= stored.started_at <= stored.finished_at
    assert await runner.wait(job_id) == final  # still answerable once forgotten in memory


async def test_user_error_is_shown_to_members(make_runner: RunnerFactory, repo: JobRepository) -> None:
    runner = await make_runner()
    job_id = await runner.submit(
        GUILD_A,
        USER,
        None,
        fail_with(BadDataError("dataset 'faq' has no examples")),
        dataset_ids=[],
        user_errors=(BadDataError,),
    )
    final = await runner.wait(job_id)
    assert (final.status, final.error) == (JobStatus.FAILED, "dataset 'faq' has no examples")
    stored = await repo.get(GUILD_A, job_id)
    assert stored is not None
    assert (stored.status, stored.error) == (JobStatus.FAILED, "dataset 'faq' has no examples")
    assert stored.finished_at is not None


async def test_commit_runs_on_the_event_loop_before_the_job_counts_as_succeeded(
    make_runner: RunnerFactory, repo: JobRepository
) -> None:
    runner = await make_runner()
    seen: dict[str, Any] = {}

    def work(job: JobContext) -> JobOutcome:
        seen["worker"] = threading.current_thread()

        async def commit() -> None:
            seen["committer"] = threading.current_thread()
            stored = await repo.get(GUILD_A, job.job_id)
            assert stored is not None
            seen["status while committing"] = stored.status

        return JobOutcome(metrics={}, model_version="v2", commit=commit)

    job_id = await runner.submit(GUILD_A, USER, None, work, dataset_ids=[])
    final = await runner.wait(job_id)
    assert (final.status, final.model_version) == (JobStatus.SUCCEEDED, "v2")
    assert seen["committer"] is threading.main_thread() is not seen["worker"]
    assert seen["status while committing"] is JobStatus.RUNNING


async def test_a_failed_commit_fails_the_job(make_runner: RunnerFactory, repo: JobRepository) -> None:
    runner = await make_runner()

    def work(job: JobContext) -> JobOutcome:
        async def commit() -> None:
            raise BadDataError("the model could not go live")

        return JobOutcome(metrics={}, model_version="v3", commit=commit)

    job_id = await runner.submit(GUILD_A, USER, None, work, dataset_ids=[], user_errors=(BadDataError,))
    final = await runner.wait(job_id)
    assert (final.status, final.error, final.model_version) == (
        JobStatus.FAILED,
        "the model could not go live",
        None,
    )
    stored = await repo.get(GUILD_A, job_id)
    assert stored is not None and stored.status is JobStatus.FAILED


async def test_unexpected_error_is_hidden_and_logged(
    make_runner: RunnerFactory, repo: JobRepository, caplog: pytest.LogCaptureFixture
) -> None:
    runner = await make_runner(user_errors=(BadDataError,))
    with caplog.at_level(logging.ERROR, logger="trainer_bot.training.jobs"):
        job_id = await runner.submit(
            GUILD_A, USER, None, fail_with(OSError("/srv/secret/path unreadable")), dataset_ids=[]
        )
        final = await runner.wait(job_id)
    assert (final.status, final.error) == (JobStatus.FAILED, INTERNAL_ERROR)
    stored = await repo.get(GUILD_A, job_id)
    assert stored is not None
    assert stored.error == INTERNAL_ERROR
    logged = [r for r in caplog.records if r.name == "trainer_bot.training.jobs" and r.exc_info]
    assert logged
    assert "/srv/secret/path" in str(logged[0].exc_info[1])  # type: ignore[index]


async def test_failing_on_update_never_fails_the_job(
    make_runner: RunnerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    runner = await make_runner()

    async def broken(update: TrainingJob) -> None:
        raise RuntimeError("discord is down")

    with caplog.at_level(logging.ERROR, logger="trainer_bot.training.jobs"):
        job_id = await runner.submit(GUILD_A, USER, None, succeed(), dataset_ids=[], on_update=broken)
        final = await runner.wait(job_id)
    assert final.status is JobStatus.SUCCEEDED
    assert any("on_update" in record.getMessage() for record in caplog.records)


async def test_jobs_of_one_guild_run_one_at_a_time_in_order(make_runner: RunnerFactory) -> None:
    runner = await make_runner(max_concurrent=3)
    overlap = Overlap()
    ids = [
        await runner.submit(GUILD_A, USER, None, overlap.work(name, 0.05), dataset_ids=[]) for name in "abc"
    ]
    finals = [await runner.wait(job_id) for job_id in ids]
    assert all(final.status is JobStatus.SUCCEEDED for final in finals)
    assert overlap.peak == 1
    assert overlap.order == ["a", "b", "c"]


async def test_jobs_of_different_guilds_run_concurrently(make_runner: RunnerFactory) -> None:
    runner = await make_runner(max_concurrent=2)
    both_running = threading.Barrier(2, timeout=5)  # breaks (failing the jobs) unless they overlap

    def meet(job: JobContext) -> JobOutcome:
        both_running.wait()
        return JobOutcome(metrics={})

    ids = [await runner.submit(guild, USER, None, meet, dataset_ids=[]) for guild in (GUILD_A, GUILD_B)]
    assert [(await runner.wait(job_id)).status for job_id in ids] == [JobStatus.SUCCEEDED] * 2


async def test_global_bound_on_concurrent_jobs(make_runner: RunnerFactory) -> None:
    runner = await make_runner(max_concurrent=2)
    overlap = Overlap()
    ids = [
        await runner.submit(GUILD_A + n, USER, None, overlap.work(str(n), 0.1), dataset_ids=[])
        for n in range(5)
    ]
    for job_id in ids:
        assert (await runner.wait(job_id)).status is JobStatus.SUCCEEDED
    assert overlap.peak == 2


async def test_progress_is_throttled_and_persisted_but_the_final_update_always_arrives(
    make_runner: RunnerFactory, repo: JobRepository
) -> None:
    runner = await make_runner(progress_interval=0.1)
    persisted: list[float] = []

    async def on_update(update: TrainingJob) -> None:
        recorder.updates.append(update)
        stored = await repo.get(update.guild_id, update.id)
        assert stored is not None
        persisted.append(stored.progress)

    recorder = Recorder()

    def chatty(job: JobContext) -> JobOutcome:
        deadline = time.monotonic() + 0.35
        step = 0
        while time.monotonic() < deadline:
            step += 1
            job.progress(min(step / 100_000, 0.99), f"step {step}")
        job.progress(float("nan"), "odd value")  # clamped, never stored as NaN
        return JobOutcome(metrics={"steps": step})

    job_id = await runner.submit(GUILD_A, USER, None, chatty, dataset_ids=[], on_update=on_update)
    final = await runner.wait(job_id)

    running = [u for u in recorder.updates if u.status is JobStatus.RUNNING]
    assert final.metrics is not None
    assert final.metrics["steps"] > 1_000  # thousands of reports ...
    assert 2 <= len(running) <= 8  # ... a handful of updates (0.35 s at most one per 0.1 s, + start)
    assert recorder.updates[-1] == final
    assert final.status is JobStatus.SUCCEEDED
    assert all(0.0 <= u.progress <= 1.0 for u in recorder.updates)
    # Each update was saved before it was announced.
    assert persisted[1:-1] == [u.progress for u in recorder.updates[1:-1]]


async def test_start_fails_jobs_left_over_by_a_dead_process(
    make_runner: RunnerFactory, repo: JobRepository
) -> None:
    queued = await repo.create(GUILD_A, USER, None, [])
    running = await repo.create(GUILD_B, USER, None, [])
    await repo.mark_running(running.id)

    runner = await make_runner()
    assert runner.interrupted_count == 2
    for job in (queued, running):
        stored = await repo.get(job.guild_id, job.id)
        assert stored is not None
        assert (stored.status, stored.error) == (JobStatus.FAILED, "interrupted")
        assert stored.finished_at is not None
    update = await runner.wait(running.id)
    assert (update.status, update.error) == (JobStatus.FAILED, "interrupted")


async def test_event_loop_stays_responsive_while_work_blocks(make_runner: RunnerFactory) -> None:
    runner = await make_runner()

    def slow(job: JobContext) -> JobOutcome:
        time.sleep(1.0)
        return JobOutcome(metrics={})

    started = time.monotonic()
    job_id = await runner.submit(GUILD_A, USER, None, slow, dataset_ids=[])
    finished = asyncio.ensure_future(runner.wait(job_id))
    worst_lag = 0.0
    while not finished.done():
        before = time.monotonic()
        await asyncio.sleep(0.01)
        worst_lag = max(worst_lag, time.monotonic() - before - 0.01)
    assert (await finished).status is JobStatus.SUCCEEDED
    assert time.monotonic() - started >= 1.0
    assert worst_lag < 0.1


async def test_cancel_only_queued_jobs(make_runner: RunnerFactory, repo: JobRepository) -> None:
    runner = await make_runner()
    started, release = threading.Event(), threading.Event()
    ran_second = threading.Event()

    def second(job: JobContext) -> JobOutcome:
        ran_second.set()
        return JobOutcome(metrics={})

    recorder = Recorder()
    first_id = await runner.submit(GUILD_A, USER, None, blocked_until(started, release), dataset_ids=[])
    second_id = await runner.submit(GUILD_A, USER, None, second, dataset_ids=[], on_update=recorder)
    assert await asyncio.to_thread(started.wait, 5)
    queued = await repo.get(GUILD_A, second_id)
    assert queued is not None
    assert queued.status is JobStatus.QUEUED

    assert not await runner.cancel(GUILD_A, first_id)  # running: cannot be stopped safely
    assert not await runner.cancel(GUILD_B, second_id)  # another guild's job
    assert await runner.cancel(GUILD_A, second_id)
    assert not await runner.cancel(GUILD_A, second_id)  # already cancelled
    release.set()

    assert (await runner.wait(first_id)).status is JobStatus.SUCCEEDED
    assert (await runner.wait(second_id)).status is JobStatus.CANCELLED
    assert recorder.statuses == [JobStatus.CANCELLED]
    stored = await repo.get(GUILD_A, second_id)
    assert stored is not None
    assert stored.status is JobStatus.CANCELLED
    assert stored.finished_at is not None
    assert not ran_second.is_set()


async def test_close_cancels_queued_and_interrupts_stragglers(db: Database, repo: JobRepository) -> None:
    runner = JobRunner(repo)
    await runner.start()
    started, release = threading.Event(), threading.Event()
    stuck_id = await runner.submit(GUILD_A, USER, None, blocked_until(started, release), dataset_ids=[])
    queued_id = await runner.submit(GUILD_A, USER, None, succeed(), dataset_ids=[])
    assert await asyncio.to_thread(started.wait, 5)
    try:
        await runner.close(timeout=0.1)
    finally:
        release.set()
    statuses = {job.id: (job.status, job.error) for job in await repo.recent(GUILD_A)}
    assert statuses[queued_id] == (JobStatus.CANCELLED, None)
    assert statuses[stuck_id] == (JobStatus.FAILED, "interrupted")
    with pytest.raises(RuntimeError):
        await runner.submit(GUILD_A, USER, None, succeed(), dataset_ids=[])


async def test_submit_before_start_is_refused(repo: JobRepository) -> None:
    runner = JobRunner(repo)
    with pytest.raises(RuntimeError, match="start"):
        await runner.submit(GUILD_A, USER, None, succeed(), dataset_ids=[])
    await runner.close()
