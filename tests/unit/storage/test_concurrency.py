"""Several bot and worker processes on one database: every race must end as if the writes took turns.

Each test races independent `Database` handles (their own engines and connections, as separate processes
have) and, where whole processes interleave, separate OS processes (support.processes). Every test runs
on SQLite and PostgreSQL (see conftest.py) unless a behaviour is PostgreSQL's alone.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from support import shared_database
from support.processes import run_at_once
from trainer_bot.storage import (
    ConversationRepository,
    ConversationTurn,
    Database,
    GuildSettingsRepository,
    ModelVersionRepository,
    PrivacyRepository,
)
from trainer_bot.storage.migrate import head_revision

GUILD = 111_111_111_111_111_111
MEMBER = 333_333_333_333_333_333
OTHER_MEMBER = 333_333_333_333_333_334
CHANNEL = 444_444_444_444_444_444


async def _turn(db: Database, author: int, bot_message_id: int) -> ConversationTurn:
    return await ConversationRepository(db).add_turn(
        guild_id=GUILD,
        channel_id=CHANNEL,
        author_id=author,
        prompt=f"question {bot_message_id}",
        answer="answer",
        model_version=None,
        bot_message_id=bot_message_id,
    )


async def _warm_up(*handles: Database) -> None:
    """Open two pooled connections per handle, so a race is not decided by who connected first."""

    async def connected(handle: Database) -> None:
        async with handle.session() as session:
            await session.execute(text("SELECT 1"))
            await asyncio.sleep(0.05)

    await asyncio.gather(*(connected(handle) for handle in handles * 2))


# --- migrations --------------------------------------------------------------------------------------


async def test_concurrent_migrations_of_an_empty_database_end_at_head_once(url: str) -> None:
    databases = [Database.from_url(url) for _ in range(4)]
    try:
        await asyncio.gather(*(database.migrate() for database in databases))
        assert [await database.current_revision() for database in databases] == [head_revision()] * 4
    finally:
        await asyncio.gather(*(database.close() for database in databases))


async def test_processes_starting_together_migrate_an_empty_database_once(url: str) -> None:
    revisions = await asyncio.to_thread(run_at_once, shared_database.migrate, [(url,)] * 3)
    assert revisions == [head_revision()] * 3


# --- model switches ----------------------------------------------------------------------------------


async def test_first_versions_published_at_once_leave_exactly_one_active(
    db: Database, other: Database
) -> None:
    for guild in range(GUILD, GUILD + 5):  # a guild's first versions: no row exists yet to lock
        await asyncio.gather(
            ModelVersionRepository(db).add(guild, "a", job_id=None, metrics={}, activate=True),
            ModelVersionRepository(other).add(guild, "b", job_id=None, metrics={}, activate=True),
        )
        versions = await ModelVersionRepository(db).list_for_guild(guild)
        assert [version.active for version in versions] == [True, False]  # newest first: the last one wins


async def test_two_processes_publishing_for_one_guild_leave_the_last_committed_active(
    db: Database, url: str
) -> None:
    await asyncio.to_thread(
        run_at_once, shared_database.publish_versions, [(url, GUILD, "a", 8), (url, GUILD, "b", 8)]
    )
    versions = await ModelVersionRepository(db).list_for_guild(GUILD, limit=100)
    assert len(versions) == 16
    # Versions are numbered as they take the guild's turn, so the newest row is the last committed.
    assert [version.version for version in versions if version.active] == [versions[0].version]


# --- ratings and corrections -------------------------------------------------------------------------


async def test_the_same_rating_delivered_at_once_is_one_row(db: Database, other: Database) -> None:
    turn = await _turn(db, MEMBER, bot_message_id=7)
    ratings = await asyncio.gather(
        *(ConversationRepository(handle).rate(turn.id, OTHER_MEMBER, 1) for handle in (db, other) * 3)
    )
    assert len({rating.id for rating in ratings}) == 1
    stored = await ConversationRepository(other).ratings_for_turn(turn.id)
    assert [(rating.user_id, rating.value) for rating in stored] == [(OTHER_MEMBER, 1)]


async def test_the_same_correction_delivered_at_once_is_one_row(db: Database, other: Database) -> None:
    turn = await _turn(db, MEMBER, bot_message_id=42)

    async def correct(handle: Database, text: str) -> int:
        correction = await ConversationRepository(handle).add_correction(
            guild_id=GUILD,
            channel_id=CHANNEL,
            message_id=42,
            prompt=turn.prompt,
            old_answer=turn.answer,
            corrected_answer=text,
            corrected_by=OTHER_MEMBER,
            turn_id=turn.id,
        )
        return correction.id

    ids = await asyncio.gather(*(correct(handle, "4") for handle in (db, other) * 3))
    assert len(set(ids)) == 1
    changed_mind = await correct(other, "four")  # another text is another correction; the latest wins
    stored = await ConversationRepository(db).corrections_for_guild(GUILD)
    assert [(c.id, c.corrected_answer) for c in stored] == [(ids[0], "4"), (changed_mind, "four")]


# --- privacy and housekeeping ------------------------------------------------------------------------


async def test_members_forgotten_at_once_whose_rows_cross(db: Database, other: Database, url: str) -> None:
    """Each rated and corrected the other's answer, so each deletion reaches the other's rows."""
    conversation = ConversationRepository(db)
    for number in range(5):
        mine = await _turn(db, MEMBER, bot_message_id=1_000 + number)
        theirs = await _turn(db, OTHER_MEMBER, bot_message_id=2_000 + number)
        await conversation.rate(theirs.id, MEMBER, 1)
        await conversation.rate(mine.id, OTHER_MEMBER, -1)
        for turn, by in ((theirs, MEMBER), (mine, OTHER_MEMBER)):
            await conversation.add_correction(
                guild_id=GUILD,
                channel_id=CHANNEL,
                message_id=turn.bot_message_id or 0,
                prompt=turn.prompt,
                old_answer=turn.answer,
                corrected_answer="better",
                corrected_by=by,
                turn_id=turn.id,
            )

    await _warm_up(db, other)
    await asyncio.gather(
        PrivacyRepository(db).forget(MEMBER),
        PrivacyRepository(other).forget(OTHER_MEMBER),
        PrivacyRepository(other).forget(MEMBER),  # asked twice: the second finds nothing left
    )
    await asyncio.to_thread(
        run_at_once, shared_database.forget, [(url, MEMBER), (url, OTHER_MEMBER), (url, MEMBER)]
    )
    exported = await PrivacyRepository(db).export(MEMBER)
    assert not any(exported.values())
    assert not any((await PrivacyRepository(db).export(OTHER_MEMBER)).values())


async def test_only_one_process_at_a_time_does_the_housekeeping(db: Database, other: Database) -> None:
    async with (
        PrivacyRepository(db).housekeeping_turn() as first,
        PrivacyRepository(other).housekeeping_turn() as second,
    ):
        assert first
        # SQLite serves one process, which never races itself; PostgreSQL's other processes skip.
        assert second is (db.dialect_name == "sqlite")
    async with PrivacyRepository(other).housekeeping_turn() as later:
        assert later  # released when the first was done


# --- settings and channels ---------------------------------------------------------------------------


async def test_settings_written_at_once_keep_one_of_the_writes(db: Database, other: Database) -> None:
    voices = [f"voice-{number}" for number in range(6)]
    handles = [db, other] * 3
    await asyncio.gather(
        *(
            GuildSettingsRepository(handle).set_tts_voice(GUILD, voice)
            for handle, voice in zip(handles, voices, strict=True)
        )
    )
    assert (await GuildSettingsRepository(other).get(GUILD)).tts_voice in voices


async def test_a_channel_enabled_at_once_is_enabled_once(db: Database, other: Database) -> None:
    enabled = await asyncio.gather(
        *(ConversationRepository(handle).enable_channel(GUILD, CHANNEL, MEMBER) for handle in (db, other) * 2)
    )
    assert sorted(enabled) == [False, False, False, True]
    assert len(await ConversationRepository(db).enabled_channels(GUILD)) == 1
