"""JOB_QUEUE=procrastinate: the task queue in the bot's own PostgreSQL, shared by the bot (which defers
`train` tasks) and `trainer-bot worker` (which runs them). Imported only when the queue is used.

A task carries only the job's id: the job's row holds everything else. The task's lock is the guild's,
so one job per guild runs at a time across every worker, later ones in the order they were deferred.
"""

from __future__ import annotations

import logging

import procrastinate
import psycopg
from sqlalchemy.engine import make_url

from trainer_bot.storage import TrainingJob

log = logging.getLogger(__name__)

QUEUE = "training"
TRAIN_TASK = "trainer_bot.train"
SCHEMA_LOCK = 7_245_001  # a PostgreSQL advisory lock id: one process creates procrastinate's tables
CONNECT_TIMEOUT = 10  # seconds; no wait forever on a server that does not answer


def conninfo(database_url: str) -> str:
    """libpq's form of DATABASE_URL (SQLAlchemy's `postgresql+asyncpg://...`), for psycopg."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def guild_lock(guild_id: int) -> str:
    return f"guild-{guild_id}"


def make_app(database_url: str, *, max_connections: int = 4) -> procrastinate.App:
    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(database_url),
        min_size=1,
        max_size=max_connections,
        timeout=CONNECT_TIMEOUT,
        kwargs={"connect_timeout": CONNECT_TIMEOUT},
    )
    return procrastinate.App(connector=connector)


async def ensure_schema(database_url: str, app: procrastinate.App) -> None:
    """Create procrastinate's tables once; bots and workers starting together take turns."""
    async with await psycopg.AsyncConnection.connect(
        conninfo(database_url), autocommit=True, connect_timeout=CONNECT_TIMEOUT
    ) as connection:
        await connection.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK,))
        try:
            cursor = await connection.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
            row = await cursor.fetchone()
            if row is None or not row[0]:
                log.info("creating the task queue's tables (procrastinate %s)", procrastinate.__version__)
                await app.schema_manager.apply_schema_async()
        finally:
            await connection.execute("SELECT pg_advisory_unlock(%s)", (SCHEMA_LOCK,))


async def defer_training(app: procrastinate.App, job: TrainingJob, *, queue: str = QUEUE) -> int:
    """Queue the job's `train` task; returns procrastinate's own job id."""
    deferrer = app.configure_task(TRAIN_TASK, queue=queue, lock=guild_lock(job.guild_id))
    return await deferrer.defer_async(job_id=job.id)
