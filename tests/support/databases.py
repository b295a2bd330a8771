"""The databases the storage tests run on: SQLite in a temporary folder, or the run's PostgreSQL, emptied."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from trainer_bot.layout import DataLayout

BACKENDS = ["sqlite", "postgresql"]


async def wipe_postgres(url: str) -> None:
    """Every table, type and sequence gone: the next migration starts from an empty database."""
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """For a fixture parametrised over BACKENDS: an empty database of `request.param`'s kind."""
    if request.param == "sqlite":
        return DataLayout(tmp_path).default_database_url
    postgres_url = request.getfixturevalue("postgres_url")  # only PostgreSQL's variants start a server
    await wipe_postgres(postgres_url)
    return str(postgres_url)
