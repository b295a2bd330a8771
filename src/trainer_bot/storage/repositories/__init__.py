"""Repositories: small async APIs over the tables, each call its own committed transaction."""

from __future__ import annotations

from trainer_bot.storage.repositories.conversation import ConversationRepository
from trainer_bot.storage.repositories.datasets import DatasetRepository
from trainer_bot.storage.repositories.guild_settings import GuildSettingsRepository
from trainer_bot.storage.repositories.jobs import INTERRUPTED, JobRepository
from trainer_bot.storage.repositories.model_versions import ModelVersionRepository
from trainer_bot.storage.repositories.privacy import PrivacyRepository
from trainer_bot.storage.repositories.test_runs import TestRunRepository

__all__ = [
    "INTERRUPTED",
    "ConversationRepository",
    "DatasetRepository",
    "GuildSettingsRepository",
    "JobRepository",
    "ModelVersionRepository",
    "PrivacyRepository",
    "TestRunRepository",
]
