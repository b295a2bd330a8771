"""The conversation loop's rows: turns, corrections, feedback, ratings and chat-enabled channels."""

from __future__ import annotations

import hashlib

from sqlalchemy import delete, func, select

from trainer_bot.storage.coltypes import utcnow
from trainer_bot.storage.concurrency import upsert
from trainer_bot.storage.db import Database
from trainer_bot.storage.records import (
    ChatChannel,
    ConversationTurn,
    Correction,
    Feedback,
    Rating,
    TurnSource,
)
from trainer_bot.storage.repositories._sql import rowcount
from trainer_bot.storage.tables import (
    ChatChannelRow,
    ConversationTurnRow,
    CorrectionRow,
    FeedbackRow,
    RatingRow,
)


def _turn(row: ConversationTurnRow) -> ConversationTurn:
    return ConversationTurn(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        author_id=row.author_id,
        prompt=row.prompt,
        answer=row.answer,
        model_version=row.model_version,
        bot_message_id=row.bot_message_id,
        source=TurnSource(row.source),
        created_at=row.created_at,
    )


def _correction(row: CorrectionRow) -> Correction:
    return Correction(
        id=row.id,
        turn_id=row.turn_id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        prompt=row.prompt,
        old_answer=row.old_answer,
        corrected_answer=row.corrected_answer,
        corrected_by=row.corrected_by,
        created_at=row.created_at,
    )


def _delivery_key(guild_id: int, message_id: int, corrected_by: int, corrected_answer: str) -> str:
    """Equal for the same correction of the same message by the same member, whoever delivers it."""
    delivered = f"{guild_id}:{message_id}:{corrected_by}:{corrected_answer}"
    return hashlib.sha256(delivered.encode()).hexdigest()


def _feedback(row: FeedbackRow) -> Feedback:
    return Feedback(
        id=row.id,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
        author_id=row.author_id,
        text=row.text,
        created_at=row.created_at,
    )


def _rating(row: RatingRow) -> Rating:
    return Rating(
        id=row.id, turn_id=row.turn_id, user_id=row.user_id, value=row.value, created_at=row.created_at
    )


def _channel(row: ChatChannelRow) -> ChatChannel:
    return ChatChannel(
        guild_id=row.guild_id, channel_id=row.channel_id, enabled_by=row.enabled_by, created_at=row.created_at
    )


class ConversationRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_turn(
        self,
        *,
        guild_id: int | None,
        channel_id: int,
        author_id: int,
        prompt: str,
        answer: str,
        model_version: str | None,
        bot_message_id: int | None,
        source: TurnSource = TurnSource.TEXT,
    ) -> ConversationTurn:
        row = ConversationTurnRow(
            guild_id=guild_id,
            channel_id=channel_id,
            author_id=author_id,
            prompt=prompt,
            answer=answer,
            model_version=model_version,
            bot_message_id=bot_message_id,
            source=TurnSource(source).value,
            created_at=utcnow(),
        )
        async with self._db.transaction() as session:
            session.add(row)
        return _turn(row)

    async def turn_by_message(self, bot_message_id: int) -> ConversationTurn | None:
        """The turn whose answer is the bot message a member replied to or reacted on."""
        statement = select(ConversationTurnRow).where(ConversationTurnRow.bot_message_id == bot_message_id)
        async with self._db.session() as session:
            row = await session.scalar(statement)
        return None if row is None else _turn(row)

    async def add_correction(
        self,
        *,
        guild_id: int,
        channel_id: int,
        prompt: str,
        old_answer: str,
        corrected_answer: str,
        corrected_by: int,
        turn_id: int | None = None,
        message_id: int | None = None,
    ) -> Correction:
        """Store a correction of the bot's message `message_id`. Delivered again (a retried interaction,
        a double click, another process), the same correction returns the row stored the first time;
        another text is another correction (the latest wins). Without `message_id`, always a new row."""
        values = {
            "turn_id": turn_id,
            "guild_id": guild_id,
            "channel_id": channel_id,
            "prompt": prompt,
            "old_answer": old_answer,
            "corrected_answer": corrected_answer,
            "corrected_by": corrected_by,
            "created_at": utcnow(),
        }
        if message_id is None:
            row = CorrectionRow(**values)
            async with self._db.transaction() as session:
                session.add(row)
            return _correction(row)
        key = _delivery_key(guild_id, message_id, corrected_by, corrected_answer)
        statement = upsert(
            self._db.dialect_name, CorrectionRow, {**values, "delivery_key": key}, conflict=("delivery_key",)
        )
        async with self._db.transaction() as session:
            await session.execute(statement)
            stored = await session.scalar(select(CorrectionRow).where(CorrectionRow.delivery_key == key))
            assert stored is not None  # written in this transaction, or committed before its conflict
        return _correction(stored)

    async def corrections_for_guild(self, guild_id: int, *, after_id: int = 0) -> list[Correction]:
        """Oldest first; `after_id` lets a caller fetch only corrections newer than ones it has used."""
        statement = (
            select(CorrectionRow)
            .where(CorrectionRow.guild_id == guild_id, CorrectionRow.id > after_id)
            .order_by(CorrectionRow.id)
        )
        async with self._db.session() as session:
            rows = (await session.scalars(statement)).all()
        return [_correction(row) for row in rows]

    async def add_feedback(
        self, *, guild_id: int | None, channel_id: int, author_id: int, text: str
    ) -> Feedback:
        row = FeedbackRow(
            guild_id=guild_id, channel_id=channel_id, author_id=author_id, text=text, created_at=utcnow()
        )
        async with self._db.transaction() as session:
            session.add(row)
        return _feedback(row)

    async def rate(self, turn_id: int, user_id: int, value: int) -> Rating:
        """Record a member's +1/-1 on a turn; rating again replaces the value (and its timestamp)."""
        if value not in (1, -1):
            raise ValueError(f"a rating is +1 or -1, not {value}")
        statement = upsert(
            self._db.dialect_name,
            RatingRow,
            {"turn_id": turn_id, "user_id": user_id, "value": value, "created_at": utcnow()},
            conflict=("turn_id", "user_id"),
            update=("value", "created_at"),
        )
        async with self._db.transaction() as session:
            await session.execute(statement)
            row = await session.scalar(
                select(RatingRow).where(RatingRow.turn_id == turn_id, RatingRow.user_id == user_id)
            )
            assert row is not None  # just written in this transaction
        return _rating(row)

    async def ratings_for_turn(self, turn_id: int) -> list[Rating]:
        statement = select(RatingRow).where(RatingRow.turn_id == turn_id).order_by(RatingRow.id)
        async with self._db.session() as session:
            rows = (await session.scalars(statement)).all()
        return [_rating(row) for row in rows]

    async def liked_turns(self, guild_id: int, *, limit: int = 500) -> list[ConversationTurn]:
        """The guild's answers that members rated up more than down, newest first (at most `limit`)."""
        score = func.sum(RatingRow.value)
        liked = select(RatingRow.turn_id).group_by(RatingRow.turn_id).having(score > 0).scalar_subquery()
        statement = (
            select(ConversationTurnRow)
            .where(ConversationTurnRow.guild_id == guild_id, ConversationTurnRow.id.in_(liked))
            .order_by(ConversationTurnRow.id.desc())
            .limit(limit)
        )
        async with self._db.session() as session:
            rows = (await session.scalars(statement)).all()
        return [_turn(row) for row in rows]

    async def enable_channel(self, guild_id: int, channel_id: int, enabled_by: int) -> bool:
        """Let the bot chat in a channel. False if it already could (the first enabler is kept)."""
        statement = upsert(
            self._db.dialect_name,
            ChatChannelRow,
            {
                "guild_id": guild_id,
                "channel_id": channel_id,
                "enabled_by": enabled_by,
                "created_at": utcnow(),
            },
            conflict=("guild_id", "channel_id"),
        )
        async with self._db.transaction() as session:
            return rowcount(await session.execute(statement)) == 1

    async def disable_channel(self, guild_id: int, channel_id: int) -> bool:
        """Stop chatting in a channel. False if it was not enabled."""
        statement = delete(ChatChannelRow).where(
            ChatChannelRow.guild_id == guild_id, ChatChannelRow.channel_id == channel_id
        )
        async with self._db.transaction() as session:
            return rowcount(await session.execute(statement)) == 1

    async def is_channel_enabled(self, guild_id: int, channel_id: int) -> bool:
        async with self._db.session() as session:
            return await session.get(ChatChannelRow, (guild_id, channel_id)) is not None

    async def enabled_channels(self, guild_id: int) -> list[ChatChannel]:
        statement = (
            select(ChatChannelRow)
            .where(ChatChannelRow.guild_id == guild_id)
            .order_by(ChatChannelRow.channel_id)
        )
        async with self._db.session() as session:
            rows = (await session.scalars(statement)).all()
        return [_channel(row) for row in rows]
