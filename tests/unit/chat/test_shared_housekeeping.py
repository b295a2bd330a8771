"""Every bot process runs the daily housekeeping on the shared database: one does it, and the work is
done once (on PostgreSQL the others skip; SQLite serves one process, whose runs take turns)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from support.databases import BACKENDS, empty_database_url
from trainer_bot.chat.privacy import PrivacyService
from trainer_bot.layout import DataLayout
from trainer_bot.storage import ConversationRepository, Database, GuildSettingsRepository, PrivacyRepository
from trainer_bot.workspace.paths import Workspaces

GUILD = 111_111_111_111_111_111
MEMBER = 333_333_333_333_333_333


@pytest.fixture(params=BACKENDS)
async def handles(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[list[Database]]:
    """Three handles on one migrated database, as three bot processes have."""
    url = await empty_database_url(request, tmp_path)
    databases = [Database.from_url(url) for _ in range(3)]
    await databases[0].migrate()
    yield databases
    await asyncio.gather(*(database.close() for database in databases))


async def test_housekeeping_run_by_every_process_at_once_expires_old_turns_once(
    handles: list[Database], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    turns = ConversationRepository(handles[0])
    for message in range(20):
        await turns.add_turn(
            guild_id=GUILD,
            channel_id=1,
            author_id=MEMBER,
            prompt="old",
            answer="answer",
            model_version=None,
            bot_message_id=message,
        )
    forgotten: list[list[int | None]] = [[] for _ in handles]
    services = [
        PrivacyService(
            PrivacyRepository(handle),
            GuildSettingsRepository(handle),
            Workspaces(DataLayout(tmp_path / "data")),
            retention_days=30,
            grace_days=30,
            on_forgotten=forgotten[number].append,
            several_processes=True,
        )
        for number, handle in enumerate(handles)
    ]
    later = datetime.now(UTC) + timedelta(days=31)
    with caplog.at_level(logging.INFO, logger="trainer_bot.chat.privacy"):
        await asyncio.gather(*(service.housekeeping(later) for service in services))

    assert [record.getMessage() for record in caplog.records] == ["expired 20 conversation turn(s)"]
    assert (await PrivacyRepository(handles[1]).export(MEMBER))["conversation_turns"] == []
    assert all(calls == [None] for calls in forgotten)  # every process dropped its caches
