"""What one bot or worker process does to the shared database in the storage race tests.

Module-level coroutines, so `support.processes.run_at_once` can run each in a process of its own.
"""

from __future__ import annotations

from trainer_bot.storage import Database, ModelVersionRepository, PrivacyRepository


async def migrate(url: str) -> str | None:
    database = Database.from_url(url)
    try:
        await database.migrate()
        return await database.current_revision()
    finally:
        await database.close()


async def publish_versions(url: str, guild_id: int, prefix: str, count: int) -> list[str]:
    """Publish `count` versions one after another, each becoming the guild's active model."""
    database = Database.from_url(url)
    models = ModelVersionRepository(database)
    try:
        for number in range(count):
            await models.add(guild_id, f"{prefix}{number}", job_id=None, metrics={}, activate=True)
    finally:
        await database.close()
    return [f"{prefix}{number}" for number in range(count)]


async def forget(url: str, user_id: int) -> dict[str, int]:
    database = Database.from_url(url)
    try:
        return await PrivacyRepository(database).forget(user_id)
    finally:
        await database.close()
