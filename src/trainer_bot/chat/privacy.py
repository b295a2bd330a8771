"""Members' data: what they can take with them, what they can delete, and what expires by itself."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from trainer_bot.errors import UserError
from trainer_bot.i18n import t
from trainer_bot.storage import GuildSettingsRepository, PrivacyRepository
from trainer_bot.workspace.paths import Workspaces

_LOGGER = logging.getLogger(__name__)
DAY = 24 * 60 * 60
MAX_RETENTION_DAYS = 3650


class BadRetention(UserError):
    pass


class PrivacyService:
    def __init__(
        self,
        privacy: PrivacyRepository,
        guilds: GuildSettingsRepository,
        workspaces: Workspaces,
        *,
        retention_days: int,
        grace_days: int,
        on_forgotten: Callable[[int | None], None] = lambda guild_id: None,
        tell_others: Callable[[int | None], Awaitable[None]] | None = None,
        several_processes: bool = False,
    ) -> None:
        """`on_forgotten(guild_id)`: drop caches built from data just deleted (None: every guild).

        `tell_others(guild_id)`: the same news for the other processes on the database, once the deletion
        committed (their caches hold other guilds' data, built from the same members' corrections).

        `several_processes`: other processes run the same housekeeping on the same database, so turns this
        process's caches were built from may have expired in another's run; each run then drops them.
        """
        self._privacy = privacy
        self._guilds = guilds
        self._workspaces = workspaces
        self.retention_days = retention_days
        self.grace_days = grace_days
        self._on_forgotten = on_forgotten
        self._tell_others = tell_others
        self._several_processes = several_processes

    # --- what a member asks -------------------------------------------------------------------------------

    async def export(self, user_id: int) -> bytes:
        """Everything the member wrote, in every guild, as a JSON document."""
        data = await self._privacy.export(user_id)
        document = {"user_id": str(user_id), "exported_at": datetime.now(UTC).isoformat(), **data}
        return await asyncio.to_thread(lambda: json.dumps(document, ensure_ascii=False, indent=2).encode())

    async def forget(self, user_id: int) -> dict[str, int]:
        """Delete what the member wrote in every guild; how many of each kind went."""
        counts = await self._privacy.forget(user_id)
        await self._forgotten(None)
        _LOGGER.info("forgot the data of a member: %s", counts)  # the count, never the member's id
        return counts

    async def set_retention(self, guild_id: int, days: int | None) -> None:
        if days is not None and not 1 <= days <= MAX_RETENTION_DAYS:
            raise BadRetention(t("Keep conversations between 1 and {limit} days.", limit=MAX_RETENTION_DAYS))
        await self._guilds.set_retention_days(guild_id, days)

    async def retention_of(self, guild_id: int) -> int:
        """Days the guild's conversations are kept (0: until a member asks)."""
        days = (await self._guilds.get(guild_id)).retention_days
        return self.retention_days if days is None else days

    # --- guilds coming and going ------------------------------------------------------------------------------

    async def guild_left(self, guild_id: int) -> None:
        await self._guilds.set_left(guild_id, datetime.now(UTC))
        _LOGGER.info(
            "removed from guild %s: its data goes in %d days unless it adds me again",
            guild_id,
            self.grace_days,
        )

    async def guild_present(self, guild_id: int) -> None:
        if (await self._guilds.get(guild_id)).left_at is not None:
            await self._guilds.set_left(guild_id, None)

    # --- housekeeping -------------------------------------------------------------------------------------------

    async def housekeeping(self, now: datetime | None = None) -> None:
        """Expire old conversation turns and purge guilds that removed the bot long enough ago.

        Every bot process runs it daily on the shared database: one at a time does the work, and one
        that finds another doing it skips this round (the same deletions again would find nothing).
        """
        async with self._privacy.housekeeping_turn() as mine:
            if mine:
                await self._expire_and_purge(now or datetime.now(UTC))
            elif self._several_processes:
                self._on_forgotten(None)  # the process doing it may expire turns this one's caches hold

    async def _expire_and_purge(self, now: datetime) -> None:
        overrides = await self._guilds.retention_overrides()
        expired = 0
        if self.retention_days:
            expired += await self._privacy.delete_turns_before(
                now - timedelta(days=self.retention_days), except_guilds=frozenset(overrides)
            )
        for guild_id, days in overrides.items():
            expired += await self._privacy.delete_turns_before(now - timedelta(days=days), guild_id=guild_id)
        if expired:
            await self._forgotten(None)
        elif self._several_processes:
            self._on_forgotten(None)
        if expired:
            _LOGGER.info("expired %d conversation turn(s)", expired)
        for guild_id in await self._guilds.left_before(now - timedelta(days=self.grace_days)):
            rows = await self._privacy.purge_guild(guild_id)
            await asyncio.to_thread(self._workspaces.remove, guild_id)
            await self._forgotten(guild_id)
            _LOGGER.info("purged guild %s (%d rows and its workspace)", guild_id, rows)

    async def _forgotten(self, guild_id: int | None) -> None:
        self._on_forgotten(guild_id)
        if self._tell_others is not None:
            try:
                await self._tell_others(guild_id)
            except Exception:  # the deletion stands; the others see it at their next re-listen or restart
                _LOGGER.exception("could not tell the other processes about a deletion")

    async def run_daily(self) -> None:
        """Housekeeping now and then once a day, until cancelled."""
        while True:
            try:
                await self.housekeeping()
            except Exception:
                _LOGGER.exception("housekeeping failed; trying again tomorrow")
            await asyncio.sleep(DAY)
