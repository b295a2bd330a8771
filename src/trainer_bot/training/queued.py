"""The bot's side of JOB_QUEUE=procrastinate: store the job, defer its task, follow its row.

The job runs in a `trainer-bot worker` process, maybe on another machine; the bot hears of it only
through the job's row, read every `poll_interval`, and tells `on_update` each change, in order, as the
local runner does. When the job made a new version active, this process's cached model is dropped
first, so the next answer (and the member reading the update) gets the new one. A restarted bot
follows its guilds' unfinished jobs again (`resume`): the workers ran on while it was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from trainer_bot.storage import JobRepository, TrainingJob
from trainer_bot.training.active_models import ActiveModels
from trainer_bot.training.jobs import INTERNAL_ERROR, UpdateCallback
from trainer_bot.training.queues import TrainingOrder
from trainer_bot.training.task_queue import QUEUE, defer_training

if TYPE_CHECKING:
    import procrastinate

log = logging.getLogger(__name__)

# A job may wait behind the guild's earlier ones and train for long; past this it is no longer followed
# (the member's reply could not be edited anyway: Discord's interaction tokens last 15 minutes).
FOLLOW_SECONDS = 6 * 3600


def _visible(job: TrainingJob) -> tuple[object, ...]:
    return (job.status, job.progress, job.stage, job.error, job.model_version)


class QueuedJobs:
    def __init__(
        self,
        app: procrastinate.App,
        jobs: JobRepository,
        models: ActiveModels,
        *,
        queue: str = QUEUE,
        poll_interval: float = 1.0,
        follow_seconds: float = FOLLOW_SECONDS,
        update_timeout: float = 30.0,
    ) -> None:
        self._app = app
        self._jobs = jobs
        self._models = models
        self._queue = queue
        self._interval = poll_interval
        self._follow_seconds = follow_seconds
        self._update_timeout = update_timeout
        self._followers: set[asyncio.Task[None]] = set()

    async def submit(self, order: TrainingOrder, on_update: UpdateCallback | None = None) -> int:
        job = await self._jobs.create(
            order.guild_id, order.requested_by, order.channel_id, order.dataset_ids, force=order.force
        )
        try:
            await defer_training(self._app, job, queue=self._queue)
        except BaseException:
            # The row was stored but no worker will ever hear of it: say so rather than leave it queued.
            log.exception("could not queue job %d", job.id)
            await self._jobs.finish_failure(job.id, INTERNAL_ERROR)
            raise
        log.info("job %d queued for guild %d on the task queue", job.id, job.guild_id)
        self._start_following(job, on_update)
        return job.id

    async def resume(self, holds: Callable[[int], bool], on_update: UpdateCallback) -> int:
        """Follow again the unfinished jobs of the guilds `holds` (this process's shards), which a previous
        run of this process deferred and lost track of when it stopped; the workers still run them.
        Returns how many."""
        resumed = [job for job in await self._jobs.unfinished() if holds(job.guild_id)]
        for job in resumed:
            self._start_following(job, on_update)
        return len(resumed)

    def _start_following(self, job: TrainingJob, on_update: UpdateCallback | None) -> None:
        follower = asyncio.get_running_loop().create_task(
            self._follow(job, on_update), name=f"follow-{job.id}"
        )
        self._followers.add(follower)
        follower.add_done_callback(self._followers.discard)

    async def _follow(self, job: TrainingJob, on_update: UpdateCallback | None) -> None:
        shown = _visible(job)
        try:
            async with asyncio.timeout(self._follow_seconds):
                while not job.status.finished:
                    await asyncio.sleep(self._interval)
                    try:
                        current = await self._jobs.by_id(job.id)
                    except Exception:
                        log.exception("could not read job %d; trying again", job.id)
                        continue
                    if current is None:
                        return  # deleted with its guild's data
                    job = current
                    if _visible(job) == shown:
                        continue
                    shown = _visible(job)
                    if job.model_version is not None and job.status.finished:
                        await self._models.reload(job.guild_id)
                    await self._tell(on_update, job)
        except TimeoutError:
            log.warning(
                "job %d not finished after %.0f s; no longer following it", job.id, self._follow_seconds
            )

    async def _tell(self, on_update: UpdateCallback | None, job: TrainingJob) -> None:
        if on_update is None:
            return
        try:
            await asyncio.wait_for(on_update(job), self._update_timeout)
        except Exception:
            # A failed Discord edit must not stop the following.
            log.exception("on_update for job %d failed", job.id)

    async def close(self) -> None:
        for follower in list(self._followers):
            follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._followers, return_exceptions=True)
