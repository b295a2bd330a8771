"""Persistence: the database handle, its migrations, and the repositories services call."""

from __future__ import annotations

from trainer_bot.storage.db import Database
from trainer_bot.storage.records import (
    ChatChannel,
    ConversationTurn,
    Correction,
    Dataset,
    DatasetSource,
    Feedback,
    GuildSettings,
    JobStatus,
    Misclassified,
    ModelVersion,
    Rating,
    TestRun,
    TrainingJob,
    TurnSource,
)
from trainer_bot.storage.repositories import (
    INTERRUPTED,
    ConversationRepository,
    DatasetRepository,
    GuildSettingsRepository,
    JobRepository,
    ModelVersionRepository,
    PrivacyRepository,
    TestRunRepository,
)

__all__ = [
    "INTERRUPTED",
    "ChatChannel",
    "ConversationRepository",
    "ConversationTurn",
    "Correction",
    "Database",
    "Dataset",
    "DatasetRepository",
    "DatasetSource",
    "Feedback",
    "GuildSettings",
    "GuildSettingsRepository",
    "JobRepository",
    "JobStatus",
    "Misclassified",
    "ModelVersion",
    "ModelVersionRepository",
    "PrivacyRepository",
    "Rating",
    "TestRun",
    "TestRunRepository",
    "TrainingJob",
    "TurnSource",
]
