"""Deletions reach the other processes' caches: LISTEN/NOTIFY on PostgreSQL, nothing to do on SQLite."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from trainer_bot.storage import Database
from trainer_bot.storage.notices import CHANNEL, ForgottenListener, announce_forgotten


class Heard:
    def __init__(self) -> None:
        self.guilds: list[int | None] = []
        self.changed = asyncio.Event()
        self._read = 0

    def __call__(self, guild_id: int | None) -> None:
        self.guilds.append(guild_id)
        self.changed.set()

    async def next(self, timeout: float = 5.0) -> int | None:
        """The oldest notice not read yet, waiting for it if need be."""
        while len(self.guilds) <= self._read:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), timeout)
        self._read += 1
        return self.guilds[self._read - 1]


async def listening(database: Database, heard: Heard) -> ForgottenListener:
    listener = ForgottenListener(database, heard)
    listener.start()
    if database.dialect_name == "postgresql":
        assert await heard.next() is None  # whatever went while nobody listened: every cache drops
    return listener


async def test_a_deletion_in_one_process_reaches_the_others(db: Database, other: Database) -> None:
    heard = Heard()
    listener = await listening(other, heard)
    try:
        await announce_forgotten(db, 42)
        await announce_forgotten(db, None)
        if db.dialect_name != "postgresql":
            await asyncio.sleep(0.2)
            assert heard.guilds == []  # one process: nobody else to tell
            return
        assert await heard.next() == 42
        assert await heard.next() is None
    finally:
        await listener.close()


async def test_a_listener_that_lost_its_connection_listens_again_and_drops_every_cache(
    db: Database, other: Database
) -> None:
    if db.dialect_name != "postgresql":
        return
    heard = Heard()
    listener = await listening(other, heard)
    try:
        async with db.engine.begin() as connection:
            await connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE :listen"),
                {"listen": f"%LISTEN%{CHANNEL}%"},
            )
        assert await heard.next(timeout=10) is None  # listening again: what it missed, it drops
        await announce_forgotten(db, 7)
        assert await heard.next() == 7
    finally:
        await listener.close()
