"""Alembic, configured in code: the migration scripts ship inside the package, no alembic.ini needed.

Alembic is imported only when the schema is not at `SCHEMA_REVISION` already: on every other start, one
SELECT says there is nothing to do, and alembic's imports (with mako and pygments, ~90 ms) are spared.

Several processes may start at once on one database (bot shards, training workers): the upgrade runs
under a lock taken before alembic reads the revision, so the first upgrades and the others then find
the schema at head (PostgreSQL: an advisory lock; SQLite: its write lock, from BEGIN IMMEDIATE).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from trainer_bot.storage.concurrency import SQLITE_BEGIN_IMMEDIATE, lock_for_transaction

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The newest migration's revision: update it with every new migration (a unit test compares it with
# alembic's head, so a forgotten update fails CI rather than skipping the migration).
SCHEMA_REVISION = "0005"
# The advisory lock every process's upgrade waits for (see the module's docstring).
MIGRATION_LOCK = "schema-migration"


class MigrationError(RuntimeError):
    """A migration would have left the database inconsistent; it was rolled back."""


def alembic_config(script_location: Path = MIGRATIONS_DIR) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location))
    return config


def head_revision(config: Config | None = None) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config or alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection, config: Config | None = None, revision: str = "head") -> None:
    """Bring the schema on `connection` to `revision`, inside the caller's transaction.

    Sync on purpose: call it through `AsyncConnection.run_sync`. env.py picks the connection up from
    `config.attributes`, so the whole upgrade commits or rolls back with the caller's transaction.
    Prefer `run_migrations`, which also handles SQLite's foreign keys.
    """
    from alembic import command

    config = config or alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def run_migrations(engine: AsyncEngine, config: Config | None = None) -> tuple[str | None, str | None]:
    """Upgrade to head in one transaction; returns the (before, after) revisions.

    On SQLite, foreign keys are switched off for the duration. SQLite cannot ALTER most things, so a
    migration rebuilds the table (copy, drop, rename); with foreign keys on, dropping the old table
    would fire ON DELETE CASCADE / SET NULL on the rows that reference it and silently destroy data.
    Integrity is checked before committing instead.
    """
    if config is None and (stored := await _stored_revision(engine)) == SCHEMA_REVISION:
        return stored, stored
    sqlite = engine.dialect.name == "sqlite"
    async with engine.connect() as connection:
        if sqlite:
            await connection.run_sync(_set_sqlite_foreign_keys, False)
        try:
            await connection.execution_options(**{SQLITE_BEGIN_IMMEDIATE: True})
            async with connection.begin():
                await lock_for_transaction(connection, MIGRATION_LOCK)
                before = await connection.run_sync(current_revision)
                await connection.run_sync(upgrade, config)
                if sqlite:
                    await connection.run_sync(_check_sqlite_foreign_keys)
                after = await connection.run_sync(current_revision)
        finally:
            if sqlite:
                await connection.run_sync(_set_sqlite_foreign_keys, True)
    return before, after


async def _stored_revision(engine: AsyncEngine) -> str | None:
    """The schema's revision as alembic recorded it; None when there is none yet (a new database)."""
    try:
        async with engine.connect() as connection:
            rows = (await connection.exec_driver_sql("SELECT version_num FROM alembic_version")).fetchall()
    except SQLAlchemyError:
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def _set_sqlite_foreign_keys(connection: Connection, enabled: bool) -> None:
    # The pragma is ignored inside a transaction, and any SQLAlchemy execute would open one (see
    # db._on_sqlite_begin), so it goes to the driver's cursor directly.
    dbapi_connection = connection.connection.dbapi_connection
    assert dbapi_connection is not None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA foreign_keys = {'ON' if enabled else 'OFF'}")
    finally:
        cursor.close()


def _check_sqlite_foreign_keys(connection: Connection) -> None:
    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if problems:
        tables = sorted({str(row[0]) for row in problems})
        raise MigrationError(f"migration would break foreign keys in: {', '.join(tables)}")
