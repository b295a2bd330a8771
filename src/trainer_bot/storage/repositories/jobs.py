"""Training-job rows: the runner's persistent record of what was asked, what ran, and how it ended."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from trainer_bot.storage.coltypes import utcnow
from trainer_bot.storage.db import Database
from trainer_bot.storage.records import JobStatus, TrainingJob
from trainer_bot.storage.repositories._sql import rowcount
from trainer_bot.storage.tables import ModelVersionRow, TrainingJobRow

INTERRUPTED = "interrupted"
_UNFINISHED = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)


def _record(row: TrainingJobRow) -> TrainingJob:
    return TrainingJob(
        id=row.id,
        guild_id=row.guild_id,
        requested_by=row.requested_by,
        channel_id=row.channel_id,
        status=JobStatus(row.status),
        progress=row.progress,
        stage=row.stage,
        error=row.error,
        metrics=row.metrics,
        dataset_ids=tuple(row.dataset_ids),
        model_version=row.model_version,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        force=row.force,
    )


class JobRepository:
    """Every state change is guarded by the state it comes from, so a late write (a progress update
    racing the final status) can never move a job backwards."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        guild_id: int,
        requested_by: int,
        channel_id: int | None,
        dataset_ids: Sequence[int],
        *,
        force: bool = False,
    ) -> TrainingJob:
        row = TrainingJobRow(
            force=force,
            guild_id=guild_id,
            requested_by=requested_by,
            channel_id=channel_id,
            status=JobStatus.QUEUED.value,
            progress=0.0,
            stage="queued",
            dataset_ids=list(dataset_ids),
            created_at=utcnow(),
        )
        async with self._db.transaction() as session:
            session.add(row)
        return _record(row)

    # `at`: the moment the caller already shows members, so the stored job reads the same.
    async def mark_running(self, job_id: int, stage: str = "starting", *, at: datetime | None = None) -> bool:
        return await self._move(
            job_id,
            (JobStatus.QUEUED.value,),
            status=JobStatus.RUNNING.value,
            stage=stage,
            started_at=at or utcnow(),
        )

    async def update_progress(self, job_id: int, progress: float, stage: str) -> bool:
        return await self._move(job_id, (JobStatus.RUNNING.value,), progress=progress, stage=stage)

    async def finish_success(
        self,
        job_id: int,
        metrics: dict[str, Any],
        model_version: str | None,
        *,
        at: datetime | None = None,
    ) -> bool:
        """True also when the job was already marked succeeded with this version (in the transaction
        that made the version live)."""
        if await self._already_succeeded(job_id, model_version):
            return True
        return await self._move(
            job_id,
            (JobStatus.RUNNING.value,),
            status=JobStatus.SUCCEEDED.value,
            progress=1.0,
            stage="done",
            metrics=metrics,
            model_version=model_version,
            finished_at=at or utcnow(),
        )

    async def finish_failure(self, job_id: int, error: str, *, at: datetime | None = None) -> bool:
        # Allowed from queued too: a job can fail before its work ever starts (e.g. shutdown).
        return await self._move(
            job_id, _UNFINISHED, status=JobStatus.FAILED.value, error=error, finished_at=at or utcnow()
        )

    async def mark_cancelled(self, job_id: int, *, at: datetime | None = None) -> bool:
        return await self._move(
            job_id,
            (JobStatus.QUEUED.value,),
            status=JobStatus.CANCELLED.value,
            stage="cancelled",
            finished_at=at or utcnow(),
        )

    async def requeue(self, job_id: int) -> bool:
        """A running job whose worker died goes back to the queue, to start again from the beginning."""
        return await self._move(
            job_id,
            (JobStatus.RUNNING.value,),
            status=JobStatus.QUEUED.value,
            progress=0.0,
            stage="queued",
            started_at=None,
        )

    async def settle_published(self, job_id: int) -> TrainingJob | None:
        """The unfinished job as succeeded if its model version was already made live (its worker died
        between the two); None, changing nothing, otherwise."""
        published = select(
            ModelVersionRow.version, ModelVersionRow.metrics, ModelVersionRow.created_at
        ).where(ModelVersionRow.job_id == job_id)
        async with self._db.transaction() as session:
            found = (await session.execute(published)).first()
            if found is None:
                return None
            version, metrics, created_at = found
            await session.execute(
                update(TrainingJobRow)
                .where(TrainingJobRow.id == job_id, TrainingJobRow.status.in_(_UNFINISHED))
                .values(
                    status=JobStatus.SUCCEEDED.value,
                    progress=1.0,
                    stage="done",
                    model_version=version,
                    metrics=metrics,
                    finished_at=created_at,
                )
            )
        return await self.by_id(job_id)

    async def mark_interrupted_all(self) -> int:
        """Settle every job a previous process left unfinished; its worker threads died with it.

        A job whose model version was already recorded died between making it live and saying so: it
        succeeded, and is marked so. Every other one failed ("interrupted"). Returns how many failed.
        """
        published = (
            select(
                TrainingJobRow.id,
                ModelVersionRow.version,
                ModelVersionRow.metrics,
                ModelVersionRow.created_at,
            )
            .join(ModelVersionRow, ModelVersionRow.job_id == TrainingJobRow.id)
            .where(TrainingJobRow.status.in_(_UNFINISHED))
        )
        async with self._db.transaction() as session:
            for job_id, version, metrics, created_at in (await session.execute(published)).all():
                await session.execute(
                    update(TrainingJobRow)
                    .where(TrainingJobRow.id == job_id)
                    .values(
                        status=JobStatus.SUCCEEDED.value,
                        progress=1.0,
                        stage="done",
                        model_version=version,
                        metrics=metrics,
                        finished_at=created_at,
                    )
                )
            interrupted = (
                update(TrainingJobRow)
                .where(TrainingJobRow.status.in_(_UNFINISHED))
                .values(status=JobStatus.FAILED.value, error=INTERRUPTED, finished_at=utcnow())
            )
            return rowcount(await session.execute(interrupted))

    async def unfinished(self) -> list[TrainingJob]:
        """Every queued or running job, oldest first (a restarted bot follows its guilds' ones again)."""
        statement = (
            select(TrainingJobRow).where(TrainingJobRow.status.in_(_UNFINISHED)).order_by(TrainingJobRow.id)
        )
        async with self._db.session() as session:
            rows = (await session.scalars(statement)).all()
        return [_record(row) for row in rows]

    async def get(self, guild_id: int, job_id: int) -> TrainingJob | None:
        """The job, only if it belongs to `guild_id`: members must not read other guilds' jobs."""
        statement = select(TrainingJobRow).where(
            TrainingJobRow.id == job_id, TrainingJobRow.guild_id == guild_id
        )
        async with self._db.session() as session:
            row = await session.scalar(statement)
        return None if row is None else _record(row)

    async def by_id(self, job_id: int) -> TrainingJob | None:
        async with self._db.session() as session:
            row = await session.get(TrainingJobRow, job_id)
        return None if row is None else _record(row)

    async def recent(self, guild_id: int, limit: int = 10) -> list[TrainingJob]:
        statement = (
            select(TrainingJobRow)
            .where(TrainingJobRow.guild_id == guild_id)
            .order_by(TrainingJobRow.id.desc())
            .limit(limit)
        )
        async with self._db.session() as session:
            rows = (await session.scalars(statement)).all()
        return [_record(row) for row in rows]

    async def _already_succeeded(self, job_id: int, model_version: str | None) -> bool:
        if model_version is None:
            return False
        job = await self.by_id(job_id)
        return job is not None and job.status is JobStatus.SUCCEEDED and job.model_version == model_version

    async def _move(self, job_id: int, from_statuses: Sequence[str], **values: Any) -> bool:
        statement = (
            update(TrainingJobRow)
            .where(TrainingJobRow.id == job_id, TrainingJobRow.status.in_(from_statuses))
            .values(**values)
        )
        async with self._db.transaction() as session:
            return rowcount(await session.execute(statement)) == 1
