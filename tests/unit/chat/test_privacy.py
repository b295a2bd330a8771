"""PrivacyService without Discord: old conversations expire, guilds that left are purged after a grace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trainer_bot.chat.privacy import BadRetention, PrivacyService
from trainer_bot.storage import ConversationRepository, Database, GuildSettingsRepository, PrivacyRepository
from trainer_bot.storage.records import TurnSource
from trainer_bot.workspace.paths import Workspaces

KEPT, SHORT, LEFT, MEMBER = 1, 2, 3, 40


class Forgotten(list[int | None]):
    def __call__(self, guild_id: int | None) -> None:
        self.append(guild_id)


@pytest.fixture
def forgotten() -> Forgotten:
    return Forgotten()


@pytest.fixture
def service(database: Database, workspaces: Workspaces, forgotten: Forgotten) -> PrivacyService:
    return PrivacyService(
        PrivacyRepository(database),
        GuildSettingsRepository(database),
        workspaces,
        retention_days=90,
        grace_days=30,
        on_forgotten=forgotten,
    )


async def turn(database: Database, guild_id: int, message_id: int) -> None:
    await ConversationRepository(database).add_turn(
        guild_id=guild_id,
        channel_id=5,
        author_id=MEMBER,
        prompt="hello",
        answer="hi",
        model_version=None,
        bot_message_id=message_id,
        source=TurnSource.TEXT,
    )


async def test_old_turns_expire_by_the_guilds_retention(
    service: PrivacyService, database: Database, forgotten: Forgotten
) -> None:
    for number, guild in enumerate((KEPT, SHORT)):
        await turn(database, guild, 100 + number)
    await service.set_retention(SHORT, 7)
    assert await service.retention_of(SHORT) == 7 and await service.retention_of(KEPT) == 90
    await service.housekeeping(now=datetime.now(UTC) + timedelta(days=10))
    exported = await PrivacyRepository(database).export(MEMBER)
    assert [t["guild_id"] for t in exported["conversation_turns"]] == [KEPT]
    assert forgotten == [None]
    with pytest.raises(BadRetention):
        await service.set_retention(SHORT, 0)


async def test_a_guild_that_removed_the_bot_is_purged_after_the_grace_period(
    service: PrivacyService, database: Database, workspaces: Workspaces, forgotten: Forgotten
) -> None:
    await turn(database, LEFT, 200)
    root = workspaces.for_guild(LEFT).root
    await service.guild_left(LEFT)
    await service.housekeeping(now=datetime.now(UTC) + timedelta(days=29))
    assert root.exists(), "still within the grace period"
    await service.guild_present(LEFT)  # re-added: the clock stops
    await service.guild_left(LEFT)
    await service.housekeeping(now=datetime.now(UTC) + timedelta(days=31))
    assert not root.exists()
    assert (await PrivacyRepository(database).export(MEMBER))["conversation_turns"] == []
    assert forgotten == [LEFT]


async def test_with_several_processes_every_run_drops_the_caches_another_run_may_have_outdated(
    database: Database, workspaces: Workspaces, forgotten: Forgotten
) -> None:
    # Another process expired this guild's old turns; this one's run finds nothing left to delete, yet
    # its caches were built from those turns.
    service = PrivacyService(
        PrivacyRepository(database),
        GuildSettingsRepository(database),
        workspaces,
        retention_days=90,
        grace_days=30,
        on_forgotten=forgotten,
        several_processes=True,
    )
    await service.housekeeping()
    assert forgotten == [None]
