"""The storage tests' databases: each test runs on SQLite and on PostgreSQL (see support.databases)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from support.databases import BACKENDS, empty_database_url
from trainer_bot.storage import Database


@pytest.fixture(params=BACKENDS)
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, not migrated."""
    return await empty_database_url(request, tmp_path)


@pytest.fixture
async def db(url: str) -> AsyncIterator[Database]:
    database = Database.from_url(url)
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
async def other(db: Database, url: str) -> AsyncIterator[Database]:
    """A second, independent handle on the same database, as another process has: it only sees
    committed writes."""
    database = Database.from_url(url)
    yield database
    await database.close()
