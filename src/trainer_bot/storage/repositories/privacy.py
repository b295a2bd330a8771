"""A member's data across every guild (export, forget), and deleting by age or by guild."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Delete, delete, or_, select

from trainer_bot.storage.concurrency import lock_for_transaction, turn_of
from trainer_bot.storage.db import Database
from trainer_bot.storage.repositories._sql import rowcount
from trainer_bot.storage.tables import (
    ChatChannelRow,
    ConversationTurnRow,
    CorrectionRow,
    DatasetRow,
    FeedbackRow,
    GuildSettingsRow,
    ModelVersionRow,
    RatingRow,
    TestRunRow,
    TrainingJobRow,
)

# Every deletion here takes this lock first, so deletions from several processes take turns: a member's
# deletion reaches other members' rows (ratings of their answers, corrections of them), and two such
# deletions at once could lock each other's rows in opposite orders (PostgreSQL; SQLite has one writer).
DELETIONS_LOCK = "privacy-deletions"
# Only the process holding it does the daily housekeeping; the others skip that round.
HOUSEKEEPING_TURN = "privacy-housekeeping"

# What a member wrote, by table and the column that names them as its author.
_AUTHORED = (
    (ConversationTurnRow, ConversationTurnRow.author_id),
    (CorrectionRow, CorrectionRow.corrected_by),
    (FeedbackRow, FeedbackRow.author_id),
    (RatingRow, RatingRow.user_id),
)
_EXPORTED_COLUMNS = {
    "conversation_turns": ("guild_id", "channel_id", "prompt", "answer", "source", "created_at"),
    "corrections": ("guild_id", "channel_id", "prompt", "old_answer", "corrected_answer", "created_at"),
    "feedback": ("guild_id", "channel_id", "text", "created_at"),
    "ratings": ("turn_id", "value", "created_at"),
}


class PrivacyRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def export(self, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Everything the member wrote, table by table, oldest first."""
        exported: dict[str, list[dict[str, Any]]] = {}
        async with self._db.session() as session:
            for table, author in _AUTHORED:
                rows = (
                    await session.scalars(select(table).where(author == user_id).order_by(table.id))
                ).all()
                columns = _EXPORTED_COLUMNS[table.__tablename__]
                exported[table.__tablename__] = [
                    {name: _plain(getattr(row, name)) for name in columns} for row in rows
                ]
        return exported

    async def forget(self, user_id: int) -> dict[str, int]:
        """Delete what the member wrote, in one transaction; how many rows of each kind went.

        Ratings of their turns go with the turns; other members' corrections of those turns stay,
        no longer linked to them."""
        counts: dict[str, int] = {}
        async with self._db.transaction() as session:
            await lock_for_transaction(session, DELETIONS_LOCK)
            for table, author in reversed(_AUTHORED):  # ratings before the turns they rate
                result = await session.execute(delete(table).where(author == user_id))
                counts[table.__tablename__] = rowcount(result)
        return counts

    async def delete_turns_before(
        self, moment: datetime, *, guild_id: int | None = None, except_guilds: frozenset[int] = frozenset()
    ) -> int:
        """Conversation turns older than `moment` (in one guild, or in every guild but `except_guilds`)."""
        statement: Delete = delete(ConversationTurnRow).where(ConversationTurnRow.created_at < moment)
        if guild_id is not None:
            statement = statement.where(ConversationTurnRow.guild_id == guild_id)
        elif except_guilds:
            statement = statement.where(
                or_(
                    ConversationTurnRow.guild_id.is_(None), ConversationTurnRow.guild_id.not_in(except_guilds)
                )
            )
        async with self._db.transaction() as session:
            await lock_for_transaction(session, DELETIONS_LOCK)
            return rowcount(await session.execute(statement))

    async def purge_guild(self, guild_id: int) -> int:
        """Every row of a guild, in one transaction (its files are the caller's to remove)."""
        tables = (
            RatingRow,
            CorrectionRow,
            ConversationTurnRow,
            FeedbackRow,
            ChatChannelRow,
            TestRunRow,
            ModelVersionRow,
            TrainingJobRow,
            DatasetRow,
            GuildSettingsRow,
        )
        deleted = 0
        async with self._db.transaction() as session:
            await lock_for_transaction(session, DELETIONS_LOCK)
            turns = select(ConversationTurnRow.id).where(ConversationTurnRow.guild_id == guild_id)
            deleted += rowcount(await session.execute(delete(RatingRow).where(RatingRow.turn_id.in_(turns))))
            for table in tables[1:]:
                deleted += rowcount(await session.execute(delete(table).where(table.guild_id == guild_id)))
        return deleted

    @asynccontextmanager
    async def housekeeping_turn(self) -> AsyncIterator[bool]:
        """Whether this process does the housekeeping now (True while the block runs), or another
        process sharing the database is doing it (False: skip). Deletions are idempotent either way."""
        async with turn_of(self._db.engine, HOUSEKEEPING_TURN) as mine:
            yield mine


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
