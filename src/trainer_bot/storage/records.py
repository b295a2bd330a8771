"""Plain, immutable values the repositories return.

Repositories never hand out ORM objects, so callers cannot trigger lazy loads (which fail under
asyncio) or accidentally write through a detached instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class DatasetSource(StrEnum):
    UPLOAD = "upload"
    DIRECTORY = "directory"
    INLINE = "inline"
    CORRECTIONS = "corrections"


class TurnSource(StrEnum):
    TEXT = "text"
    VOICE = "voice"


@dataclass(frozen=True, slots=True)
class Dataset:
    id: int
    guild_id: int
    name: str
    source: DatasetSource
    path: str
    default_label: str | None
    examples: int
    pairs: int
    label_counts: dict[str, int]
    checksum: str
    selected: bool
    created_by: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TrainingJob:
    id: int
    guild_id: int
    requested_by: int
    channel_id: int | None
    status: JobStatus
    progress: float
    stage: str
    error: str | None
    metrics: dict[str, Any] | None
    dataset_ids: tuple[int, ...]
    model_version: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    force: bool = False  # make the new version live even when the active one scores better


@dataclass(frozen=True, slots=True)
class ModelVersion:
    id: int
    guild_id: int
    version: str
    job_id: int | None
    metrics: dict[str, Any]
    created_at: datetime
    active: bool


@dataclass(frozen=True, slots=True)
class Misclassified:
    """One test example the model got wrong; `confidence` is None for models without probabilities."""

    text: str
    expected: str
    predicted: str
    confidence: float | None


@dataclass(frozen=True, slots=True)
class TestRun:
    __test__: ClassVar[bool] = False  # not a pytest test class, despite the name

    id: int
    guild_id: int
    requested_by: int
    model_version: str
    items: int
    accuracy: float | None
    macro_f1: float | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ConversationTurn:
    id: int
    guild_id: int | None
    channel_id: int
    author_id: int
    prompt: str
    answer: str
    model_version: str | None
    bot_message_id: int | None
    source: TurnSource
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Correction:
    id: int
    turn_id: int | None
    guild_id: int
    channel_id: int
    prompt: str
    old_answer: str
    corrected_answer: str
    corrected_by: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Feedback:
    id: int
    guild_id: int | None
    channel_id: int
    author_id: int
    text: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Rating:
    id: int
    turn_id: int
    user_id: int
    value: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ChatChannel:
    guild_id: int
    channel_id: int
    enabled_by: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """A guild's preferences; `updated_at` is None while the guild still runs on defaults."""

    guild_id: int
    tts_voice: str | None = None
    stt_language: str | None = None
    retention_days: int | None = None  # None: the operator's RETENTION_DAYS
    left_at: datetime | None = None
    persona: str | None = None  # None: the default persona
    updated_at: datetime | None = None
