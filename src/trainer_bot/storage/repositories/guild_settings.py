"""Per-guild preferences (voice and speech language). A guild with no row uses the defaults."""

from __future__ import annotations

from typing import Any

from trainer_bot.storage.coltypes import utcnow
from trainer_bot.storage.db import Database
from trainer_bot.storage.records import GuildSettings
from trainer_bot.storage.repositories._sql import upsert
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
            updated_at=row.updated_at,
        )

    async def set_tts_voice(self, guild_id: int, voice: str | None) -> GuildSettings:
        """Choose the guild's text-to-speech voice; None goes back to the default."""
        return await self._set(guild_id, tts_voice=voice)

    async def set_stt_language(self, guild_id: int, language: str | None) -> GuildSettings:
        """Choose the language speech is transcribed in; None goes back to auto/default."""
        return await self._set(guild_id, stt_language=language)

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
