"""Several processes on one database: the per-dialect statements that keep them from doubling a write.

Bot shards and training workers share one PostgreSQL. Row locks and unique constraints cover rows that
exist; advisory locks, keyed by a name (and a guild), serialise what they cannot: rows not written yet
(a guild's first model), the schema itself, and work only one process should do (housekeeping).

SQLite serves one process, whose writers its database lock already serialises one at a time: the locks
here are no-ops there, and a transaction that must hold the write lock from its start asks for it with
`write_lock_from_begin` instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Executable, select
from sqlalchemy import func as sql
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from trainer_bot.storage.tables import Base

# An execution option db.py reads when SQLite opens a transaction: BEGIN IMMEDIATE takes the write lock
# at once, so a reader cannot find its snapshot outdated by another writer when it starts writing.
SQLITE_BEGIN_IMMEDIATE = "trainer_bot_sqlite_begin_immediate"


def lock_key(name: str, *parts: int) -> int:
    """A stable signed 64-bit advisory-lock key for `name` (and, say, a guild id).

    Hashed rather than numbered by hand, so two features cannot pick the same number by accident.
    """
    digest = hashlib.blake2b(":".join([name, *map(str, parts)]).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_for_transaction(executor: AsyncSession | AsyncConnection, name: str, *parts: int) -> None:
    """Wait for, then hold until commit or rollback, the lock on `name`/`parts` (PostgreSQL).

    Take it first in the transaction: in READ COMMITTED, every statement after it sees what the
    previous holder committed.
    """
    if _dialect(executor) == "postgresql":
        await executor.execute(select(sql.pg_advisory_xact_lock(lock_key(name, *parts))))


@asynccontextmanager
async def turn_of(engine: AsyncEngine, name: str) -> AsyncIterator[bool]:
    """Whether this process got `name`'s turn: True while it holds the lock, False (at once, without
    waiting) when another process holds it. Held by one connection for the block, across the
    transactions inside it; the server releases it if this process dies."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = lock_key(name)
    async with engine.connect() as connection:
        got = bool(await connection.scalar(select(sql.pg_try_advisory_lock(key))))
        await connection.commit()  # a session-level lock outlives the transaction; don't idle in one
        try:
            yield got
        finally:
            if got:
                await connection.execute(select(sql.pg_advisory_unlock(key)))
                await connection.commit()


def upsert(
    dialect: str,
    model: type[Base],
    values: Mapping[str, Any],
    *,
    conflict: Sequence[str],
    update: Sequence[str] = (),
) -> Executable:
    """INSERT ... ON CONFLICT (`conflict`) DO UPDATE `update` (or DO NOTHING when `update` is empty).

    One statement, so the same write delivered twice at once (two processes, a retry, a double click)
    adds one row: the second waits for the first and then updates it or does nothing.
    """
    insert_for = _INSERTS.get(dialect)
    if insert_for is None:
        raise NotImplementedError(f"upsert is not implemented for the {dialect} dialect")
    # Both dialects' inserts share the ON CONFLICT API (index_elements, excluded).
    statement: Any = insert_for(model).values(dict(values))
    if not update:
        return statement.on_conflict_do_nothing(index_elements=list(conflict))  # type: ignore[no-any-return]
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=list(conflict), set_={name: statement.excluded[name] for name in update}
    )


_INSERTS: Mapping[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _dialect(executor: AsyncSession | AsyncConnection) -> str:
    if isinstance(executor, AsyncSession):
        return executor.get_bind().dialect.name
    return executor.dialect.name
