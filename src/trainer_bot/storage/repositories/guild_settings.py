"""Per-guild preferences (voice and speech language). A guild with no row uses the defaults."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from trainer_bot.storage.coltypes import utcnow
from trainer_bot.storage.concurrency import upsert
from trainer_bot.storage.db import Database
from trainer_bot.storage.records import GuildSettings
from trainer_bot.storage.tables import GuildSettingsRow


class GuildSettingsRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, guild_id: int) -> GuildSettings:
        async with self._db.session() as session:
            row = await session.get(GuildSettingsRow, guild_id)
        if row is None:
            return GuildSettings(guild_id=guild_id)
        return GuildSettings(
            guild_id=row.guild_id,
            tts_voice=row.tts_voice,
            stt_language=row.stt_language,
            retention_days=row.retention_days,
            left_at=row.left_at,
            persona=row.persona,
            updated_at=row.updated_at,
        )

    async def set_tts_voice(self, guild_id: int, voice: str | None) -> GuildSettings:
        """Choose the guild's text-to-speech voice; None goes back to the default."""
        return await self._set(guild_id, tts_voice=voice)

    async def set_stt_language(self, guild_id: int, language: str | None) -> GuildSettings:
        """Choose the language speech is transcribed in; None goes back to auto/default."""
        return await self._set(guild_id, stt_language=language)

    async def set_retention_days(self, guild_id: int, days: int | None) -> GuildSettings:
        """How long the guild's conversation turns are kept; None goes back to RETENTION_DAYS."""
        return await self._set(guild_id, retention_days=days)

    async def set_persona(self, guild_id: int, persona: str | None) -> GuildSettings:
        """The system prompt the guild's answers are written with; None goes back to the default."""
        return await self._set(guild_id, persona=persona)

    async def set_left(self, guild_id: int, left_at: datetime | None) -> GuildSettings:
        """When the bot was removed from the guild (None: it is there)."""
        return await self._set(guild_id, left_at=left_at)

    async def retention_overrides(self) -> dict[int, int]:
        statement = select(GuildSettingsRow.guild_id, GuildSettingsRow.retention_days).where(
            GuildSettingsRow.retention_days.is_not(None)
        )
        async with self._db.session() as session:
            return {
                guild: days for guild, days in (await session.execute(statement)).all() if days is not None
            }

    async def left_before(self, moment: datetime) -> list[int]:
        statement = select(GuildSettingsRow.guild_id).where(GuildSettingsRow.left_at < moment)
        async with self._db.session() as session:
            return list((await session.scalars(statement)).all())

    async def _set(self, guild_id: int, **values: Any) -> GuildSettings:
        # One setting per call, upserted: the other column keeps whatever the guild chose before.
        statement = upsert(
            self._db.dialect_name,
            GuildSettingsRow,
            {"guild_id": guild_id, "updated_at": utcnow(), **values},
            conflict=("guild_id",),
            update=(*values, "updated_at"),
        )
        async with self._db.transaction() as session:
            await session.execute(statement)
        return await self.get(guild_id)
