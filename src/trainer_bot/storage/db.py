"""The database handle: one async engine, its session factory, and start-up migration."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from trainer_bot.storage import migrate as migrations
from trainer_bot.storage.concurrency import SQLITE_BEGIN_IMMEDIATE

log = logging.getLogger(__name__)

# How long a SQLite writer waits for another one before giving up with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5_000


class Database:
    """Owns the engine. Repositories borrow sessions from it; nothing else should create engines."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        # expire_on_commit=False: values read inside a transaction stay readable after it commits,
        # without a lazy refresh (which asyncio sessions cannot do implicitly).
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, *, echo: bool = False) -> Database:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            _ensure_sqlite_directory(parsed)
            engine = create_async_engine(parsed, echo=echo)
            _configure_sqlite(engine)
        else:
            # A long-running bot outlives idle server connections; check them before use.
            engine = create_async_engine(parsed, echo=echo, pool_pre_ping=True)
        return cls(engine)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def dialect_name(self) -> str:
        return self._engine.dialect.name

    async def migrate(self) -> None:
        """Upgrade the schema to the newest revision, all in one transaction. Safe to call every start."""
        before, after = await migrations.run_migrations(self._engine)
        if before != after:
            log.info("database schema upgraded from %s to %s", before or "empty", after)

    async def check_writable(self) -> None:
        """Fail now, not at a member's first command, when the bot may only read the database.

        A write that changes nothing: SQLite opens a file it may not write without complaint, and a
        PostgreSQL role may read without the right to change rows; both refuse this statement.
        """
        async with self._engine.begin() as connection:
            await connection.exec_driver_sql("DELETE FROM alembic_version WHERE 1 = 0")

    async def current_revision(self) -> str | None:
        async with self._engine.connect() as connection:
            return await connection.run_sync(migrations.current_revision)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session without a transaction block; the caller commits (or uses `transaction`)."""
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside a transaction that commits when the block exits cleanly, else rolls back."""
        async with self._sessions.begin() as session:
            yield session

    async def close(self) -> None:
        await self._engine.dispose()


def _ensure_sqlite_directory(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)


def _on_sqlite_connect(dbapi_connection: Any, _record: object) -> None:
    # The sqlite3 driver only opens transactions before DML, which leaves DDL (migrations!) and reads
    # outside any transaction. Take over: no implicit BEGIN from the driver, our own in _on_sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets readers proceed while a job writes progress; NORMAL sync is durable enough with WAL.
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(SQLITE_BEGIN_IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
