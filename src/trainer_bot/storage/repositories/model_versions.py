"""Model-version rows, and the rule that a guild answers with at most one active model."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Update, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from trainer_bot.storage.coltypes import utcnow
from trainer_bot.storage.concurrency import lock_for_transaction
from trainer_bot.storage.db import Database
from trainer_bot.storage.records import JobStatus, ModelVersion
from trainer_bot.storage.repositories._sql import rowcount
from trainer_bot.storage.tables import ModelVersionRow, TrainingJobRow

# The advisory lock, per guild, that every switch of a guild's active model takes first.
MODEL_SWITCH_LOCK = "model-switch"


def _record(row: ModelVersionRow) -> ModelVersion:
    return ModelVersion(
        id=row.id,
        guild_id=row.guild_id,
        version=row.version,
        job_id=row.job_id,
        metrics=dict(row.metrics),
        created_at=row.created_at,
        active=row.active,
    )


async def _take_guilds_turn(session: AsyncSession, guild_id: int) -> None:
    """Queue up behind any other process switching this guild's model, before reading or writing it.

    Concurrent switches must take turns rather than both win. Row locks cannot do it: a guild's first
    versions have no row to lock yet, and two of them would both turn active (one then failing on the
    partial unique index). PostgreSQL: the guild's advisory lock, held to commit; being first in the
    transaction, every statement after it sees the previous switch. SQLite: the first write takes the
    database lock (a SELECT first would instead pin a read snapshot that a concurrent commit makes
    unwritable, failing with "database is locked").
    """
    await lock_for_transaction(session, MODEL_SWITCH_LOCK, guild_id)


async def _activate(session: AsyncSession, guild_id: int, version: str) -> bool:
    """Flip the guild's active model to `version` inside the caller's transaction, which has taken the
    guild's turn (`_take_guilds_turn`).

    Two statements, off before on, because the partial unique index is checked row by row. The first
    only runs if the target exists, so an unknown version changes nothing.
    """
    target = aliased(ModelVersionRow)
    target_exists = exists().where(target.guild_id == guild_id, target.version == version)
    # synchronize_session=False: the caller refreshes any row it holds; no need to track them here.
    await session.execute(
        update(ModelVersionRow)
        .where(ModelVersionRow.guild_id == guild_id, target_exists)
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        update(ModelVersionRow)
        .where(ModelVersionRow.guild_id == guild_id, ModelVersionRow.version == version)
        .values(active=True)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def _job_succeeded(job_id: int, version: str, metrics: dict[str, Any]) -> Update:
    return (
        update(TrainingJobRow)
        .where(TrainingJobRow.id == job_id, TrainingJobRow.status == JobStatus.RUNNING.value)
        .values(
            status=JobStatus.SUCCEEDED.value,
            progress=1.0,
            stage="done",
            metrics=metrics,
            model_version=version,
            finished_at=utcnow(),
        )
    )


class ModelVersionRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self,
        guild_id: int,
        version: str,
        *,
        job_id: int | None,
        metrics: dict[str, Any],
        activate: bool = False,
    ) -> ModelVersion:
        """Record a trained model; with `activate`, it becomes the guild's model in the same transaction,
        and the job that trained it (if still running) is marked succeeded in it too: a version is never
        live while its job says otherwise."""
        row = ModelVersionRow(
            guild_id=guild_id,
            version=version,
            job_id=job_id,
            metrics=metrics,
            active=False,
            created_at=utcnow(),
        )
        async with self._db.transaction() as session:
            if activate:
                # Before the row is numbered, so versions are numbered in the order they go live.
                await _take_guilds_turn(session, guild_id)
            session.add(row)
            await session.flush()
            if activate:
                await _activate(session, guild_id, version)
                if job_id is not None:
                    await session.execute(_job_succeeded(job_id, version, metrics))
                await session.refresh(row)
        return _record(row)

    async def activate(self, guild_id: int, version: str) -> bool:
        """Make `version` the guild's only active model. False (and nothing changed) if it is unknown."""
        async with self._db.transaction() as session:
            await _take_guilds_turn(session, guild_id)
            return await _activate(session, guild_id, version)

    async def active(self, guild_id: int) -> ModelVersion | None:
        statement = select(ModelVersionRow).where(
            ModelVersionRow.guild_id == guild_id, ModelVersionRow.active.is_(True)
        )
        async with self._db.session() as session:
            row = await session.scalar(statement)
        return None if row is None else _record(row)

    async def get(self, guild_id: int, version: str) -> ModelVersion | None:
        statement = select(ModelVersionRow).where(
            ModelVersionRow.guild_id == guild_id, ModelVersionRow.version == version
        )
        async with self._db.session() as session:
            row = await session.scalar(statement)
        return None if row is None else _record(row)

    async def list_for_guild(self, guild_id: int, limit: int = 25) -> list[ModelVersion]:
        """Newest first."""
        statement = (
            select(ModelVersionRow)
            .where(ModelVersionRow.guild_id == guild_id)
            .order_by(ModelVersionRow.id.desc())
            .limit(limit)
        )
        async with self._db.session() as session:
            rows = (await session.scalars(statement)).all()
        return [_record(row) for row in rows]
