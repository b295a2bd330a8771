"""Telling the other processes on the same PostgreSQL that data they may hold in memory is gone.

A member's `/privacy` deletion or a guild's purge runs in one bot process, but every process holding
other guilds keeps indexes built from that member's corrections in memory. PostgreSQL's LISTEN/NOTIFY
reaches all of them at once: the deleting process notifies after its transaction committed, and each
process listening drops its caches. A process that lost its listening connection may have missed
notices, so it drops its caches when it listens again too.

SQLite serves one process: there is nobody else to tell, and both ends do nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import func as sql
from sqlalchemy import select

from trainer_bot.storage.db import Database

log = logging.getLogger(__name__)

CHANNEL = "trainer_bot_forgotten"
EVERY_GUILD = "*"
RECONNECT_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)  # then every 30 s while the database stays away
CONNECT_TIMEOUT = 10.0

Forgotten = Callable[[int | None], None]
"""Called with the guild whose data went (None: it may have been any guild)."""


async def announce_forgotten(database: Database, guild_id: int | None) -> None:
    """Tell the other processes (after the deletion committed) that a guild's data, or any guild's
    (None), is gone."""
    if database.dialect_name != "postgresql":
        return
    async with database.engine.begin() as connection:
        payload = EVERY_GUILD if guild_id is None else str(guild_id)
        await connection.execute(select(sql.pg_notify(CHANNEL, payload)))


class ForgottenListener:
    """Listens for `announce_forgotten` from other processes and calls `forgotten` on the event loop."""

    def __init__(self, database: Database, forgotten: Forgotten) -> None:
        self._database = database
        self._forgotten = forgotten
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._database.dialect_name == "postgresql" and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._listen(), name="forgotten-listener")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _listen(self) -> None:
        failures = 0
        while True:
            try:
                await self._listen_until_lost()
                failures = 0
                log.warning("lost the database connection that listens for deletions; listening again")
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: try again later, never give up
                delay = RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)]
                failures += 1
                log.warning(
                    "cannot listen for deletions (%s); trying again in %.0f s", type(exc).__name__, delay
                )
                await asyncio.sleep(delay)

    async def _listen_until_lost(self) -> None:
        lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_lost(_connection: Any) -> None:
            if not lost.done():
                lost.set_result(None)

        async with asyncio.timeout(CONNECT_TIMEOUT):
            connection = await self._database.engine.connect()
        try:
            raw: Any = (await connection.get_raw_connection()).driver_connection
            await raw.add_listener(CHANNEL, self._on_notice)
            raw.add_termination_listener(on_lost)
            # Anything may have been deleted while nobody listened (a first start included).
            self._forgotten(None)
            await lost
        finally:
            with contextlib.suppress(Exception):
                await connection.invalidate()  # a listening connection goes back to no pool
                await connection.close()

    def _on_notice(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        self._forgotten(None if payload == EVERY_GUILD else int(payload))
