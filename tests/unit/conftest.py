"""What many service tests need: a data directory, its migrated database, and its guild workspaces."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

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
