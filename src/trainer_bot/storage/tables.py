"""The ORM tables. Only the repositories use these; everyone else gets `records` dataclasses.

Portable on purpose: generic types only (no SQLite- or PostgreSQL-only SQL), Discord snowflakes as
BigInteger, timestamps as aware UTC. Constraint names come from a naming convention so migrations
can refer to them identically on every backend.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from trainer_bot.storage.coltypes import UTCDateTime, utcnow
from trainer_bot.storage.records import DatasetSource, JobStatus, TurnSource

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Short labels (names, versions, stages) are bounded so PostgreSQL gets VARCHAR, not unbounded TEXT.
NAME_LENGTH = 100
VERSION_LENGTH = 64
LABEL_LENGTH = 200


def _one_of(column: str, values: type[StrEnum]) -> str:
    allowed = ", ".join(f"'{member.value}'" for member in values)
    return f"{column} IN ({allowed})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DatasetRow(Base):
    __tablename__ = "datasets"
    # (guild_id, checksum) is indexed but not unique: the same file may be stored twice with a different
    # default label, which changes its meaning; whether to refuse duplicates is the service's call.
    __table_args__ = (
        CheckConstraint(_one_of("source", DatasetSource), name="source"),
        Index("ix_datasets_guild_id_checksum", "guild_id", "checksum"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    source: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(500))
    default_label: Mapped[str | None] = mapped_column(String(LABEL_LENGTH))
    examples: Mapped[int] = mapped_column(Integer)
    pairs: Mapped[int] = mapped_column(Integer)
    label_counts: Mapped[dict[str, int]] = mapped_column(JSON)
    checksum: Mapped[str] = mapped_column(String(64))
    selected: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TrainingJobRow(Base):
    __tablename__ = "training_jobs"
    __table_args__ = (CheckConstraint(_one_of("status", JobStatus), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    requested_by: Mapped[int] = mapped_column(BigInteger)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    stage: Mapped[str] = mapped_column(String(LABEL_LENGTH), default="")
    error: Mapped[str | None] = mapped_column(Text)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dataset_ids: Mapped[list[int]] = mapped_column(JSON)
    model_version: Mapped[str | None] = mapped_column(String(VERSION_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Make the new version live even when the active one scores better (/train force).
    force: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ModelVersionRow(Base):
    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("guild_id", "version"),
        # Backstop for the repository's one-active-model transaction. Partial: both supported
        # backends (SQLite, PostgreSQL) index only the active rows, so old versions don't collide.
        Index(
            "uq_model_versions_one_active",
            "guild_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[str] = mapped_column(String(VERSION_LENGTH))
    # Nullable so a model can outlive (or predate) the job row that produced it.
    job_id: Mapped[int | None] = mapped_column(ForeignKey("training_jobs.id", ondelete="SET NULL"))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class TestRunRow(Base):
    __tablename__ = "test_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    requested_by: Mapped[int] = mapped_column(BigInteger)
    model_version: Mapped[str] = mapped_column(String(VERSION_LENGTH))
    items: Mapped[int] = mapped_column(Integer)
    accuracy: Mapped[float | None] = mapped_column(Float)
    macro_f1: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MisclassifiedRow(Base):
    __tablename__ = "misclassified_examples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    test_run_id: Mapped[int] = mapped_column(ForeignKey("test_runs.id", ondelete="CASCADE"), index=True)
    guild_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    expected: Mapped[str] = mapped_column(String(LABEL_LENGTH))
    predicted: Mapped[str] = mapped_column(String(LABEL_LENGTH))
    confidence: Mapped[float | None] = mapped_column(Float)


class ConversationTurnRow(Base):
    __tablename__ = "conversation_turns"
    __table_args__ = (CheckConstraint(_one_of("source", TurnSource), name="source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # None in DMs
    channel_id: Mapped[int] = mapped_column(BigInteger)
    author_id: Mapped[int] = mapped_column(BigInteger)
    prompt: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    model_version: Mapped[str | None] = mapped_column(String(VERSION_LENGTH))
    # Nullable: a spoken answer may have no text message. NULLs never collide in a unique index.
    bot_message_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    source: Mapped[str] = mapped_column(String(16), default=TurnSource.TEXT.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CorrectionRow(Base):
    __tablename__ = "corrections"
    # The same correction delivered twice (a retried interaction, a double click, two processes) is one
    # row: the repository derives the key from who corrected which message, and how.
    __table_args__ = (Index("uq_corrections_delivery_key", "delivery_key", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    turn_id: Mapped[int | None] = mapped_column(ForeignKey("conversation_turns.id", ondelete="SET NULL"))
    guild_id: Mapped[int] = mapped_column(BigInteger, index=True)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    prompt: Mapped[str] = mapped_column(Text)
    old_answer: Mapped[str] = mapped_column(Text)
    corrected_answer: Mapped[str] = mapped_column(Text)
    corrected_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    delivery_key: Mapped[str | None] = mapped_column(String(64))  # None: stored before revision 0005


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    guild_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    author_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RatingRow(Base):
    __tablename__ = "ratings"
    # One rating per member and turn: re-rating updates the row instead of adding a vote.
    __table_args__ = (
        UniqueConstraint("turn_id", "user_id"),
        CheckConstraint("value IN (-1, 1)", name="value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("conversation_turns.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ChatChannelRow(Base):
    __tablename__ = "chat_channels"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    enabled_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GuildSettingsRow(Base):
    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    tts_voice: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    stt_language: Mapped[str | None] = mapped_column(String(32))
    retention_days: Mapped[int | None] = mapped_column(Integer)  # None: RETENTION_DAYS
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when the bot was removed from it
    persona: Mapped[str | None] = mapped_column(Text)  # None: the bundled default persona
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
