"""What many unit tests need: a data directory, its migrated database, its guild workspaces, and
Discord's voice server (the emulator's) for the fake node's players to connect to."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from discord_sandbox.voice_gateway import VoiceGateway
from trainer_bot.layout import DataLayout
from trainer_bot.storage import Database
from trainer_bot.workspace.paths import Workspaces


@pytest.fixture
def layout(tmp_path: Path) -> DataLayout:
    return DataLayout(tmp_path / "data")


@pytest.fixture
async def database(layout: DataLayout) -> AsyncIterator[Database]:
    layout.ensure()
    database = Database.from_url(layout.default_database_url)
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
def workspaces(layout: DataLayout) -> Workspaces:
    return Workspaces(layout)


@pytest.fixture
async def voice_server() -> AsyncIterator[VoiceGateway]:
    gateway = VoiceGateway()
    await gateway.start()
    yield gateway
    await gateway.stop()
