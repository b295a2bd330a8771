"""Alembic environment: run by Alembic itself, never imported by the bot.

Normally `trainer_bot.storage.migrate.upgrade` hands over an open connection (already inside a
transaction). Without one, a `sqlalchemy.url` main option is used, which keeps
`alembic revision --autogenerate` usable by developers with a small ini file.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from trainer_bot.storage.tables import Base

config = context.config


def _configure_and_run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead, so autogenerate should
    # emit batch operations there.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=sqlite)
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_configure_and_run)
    finally:
        await engine.dispose()


def _run() -> None:
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if isinstance(connection, Connection):
        _configure_and_run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection in config.attributes and no sqlalchemy.url to connect to")
    asyncio.run(_run_with_own_engine(url))


_run()
