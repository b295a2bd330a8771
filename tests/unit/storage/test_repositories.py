"""Storage: migrations, SQLite settings, and that every repository write is committed and correct.

Runs on SQLite in tmp_path, and the backend-neutral tests against PostgreSQL as well: a throwaway server
from Debian's `postgresql` package, or TRAINER_BOT_TEST_POSTGRES_URL (see tests/support/postgres.py).
"""

from __future__ import annotations

import asyncio
import io
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from trainer_bot.layout import DataLayout
from trainer_bot.storage import (
    ConversationRepository,
    Database,
    Dataset,
    DatasetRepository,
    DatasetSource,
    GuildSettingsRepository,
    JobRepository,
    JobStatus,
    Misclassified,
    ModelVersionRepository,
    TestRunRepository,
    TurnSource,
)
from trainer_bot.storage.coltypes import UTCDateTime
from trainer_bot.storage.migrate import (
    MIGRATIONS_DIR,
    SCHEMA_REVISION,
    MigrationError,
    alembic_config,
    head_revision,
    run_migrations,
)
from trainer_bot.storage.tables import Base

GUILD = 111_111_111_111_111_111
OTHER_GUILD = 222_222_222_222_222_222
USER = 333_333_333_333_333_333
CHANNEL = 444_444_444_444_444_444


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


# --- migrations -------------------------------------------------------------------------------


async def test_migrate_creates_every_table_at_head(db: Database) -> None:
    assert await db.current_revision() == head_revision()
    assert set(Base.metadata.tables) <= await _tables(db)


async def test_models_and_migrations_describe_the_same_schema(db: Database) -> None:
    def diff(connection: Connection) -> list[object]:
        return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))

    async with db.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_migrate_twice_is_idempotent_and_keeps_data(db: Database, url: str) -> None:
    job = await JobRepository(db).create(GUILD, USER, CHANNEL, [1, 2])
    await db.migrate()
    again = Database.from_url(url)
    try:
        await again.migrate()
        assert await again.current_revision() == head_revision()
        assert await JobRepository(again).get(GUILD, job.id) == job
    finally:
        await again.close()


_NEXT_REVISION = """
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Forces SQLite's copy-and-swap rebuild of a table other rows reference; elsewhere a plain ALTER.
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("training_jobs", recreate=recreate) as batch:
        batch.add_column(sa.Column("note", sa.String(50), nullable=False, server_default="none"))
"""


async def test_upgrade_past_the_head_keeps_rows(db: Database, tmp_path: Path) -> None:
    jobs, models = JobRepository(db), ModelVersionRepository(db)
    job = await jobs.create(GUILD, USER, CHANNEL, [7])
    await jobs.mark_running(job.id)
    await jobs.finish_success(job.id, {"accuracy": 0.9}, "v1")
    await models.add(GUILD, "v1", job_id=job.id, metrics={"accuracy": 0.9}, activate=True)

    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "9999_note.py").write_text(
        _NEXT_REVISION.format(head=SCHEMA_REVISION), encoding="utf-8"
    )
    assert await run_migrations(db.engine, alembic_config(scripts)) == (SCHEMA_REVISION, "9999")

    assert await db.current_revision() == "9999"
    async with db.engine.connect() as connection:
        notes = (await connection.execute(text("SELECT note FROM training_jobs"))).scalars().all()
    assert notes == ["none"]
    stored = await jobs.get(GUILD, job.id)
    assert stored is not None
    assert stored.status is JobStatus.SUCCEEDED
    assert stored.metrics == {"accuracy": 0.9}
    active = await models.active(GUILD)
    assert active is not None
    assert active.job_id == job.id


_NEXT_REVISION_BREAKS_KEYS = """
from __future__ import annotations

from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM training_jobs")
"""


async def test_sqlite_migration_that_breaks_foreign_keys_is_rolled_back(tmp_path: Path) -> None:
    db = Database.from_url(DataLayout(tmp_path).default_database_url)
    try:
        await db.migrate()
        job = await JobRepository(db).create(GUILD, USER, None, [])
        await ModelVersionRepository(db).add(GUILD, "v1", job_id=job.id, metrics={})
        scripts = tmp_path / "migrations"
        shutil.copytree(MIGRATIONS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
        (scripts / "versions" / "9999_bad.py").write_text(
            _NEXT_REVISION_BREAKS_KEYS.format(head=SCHEMA_REVISION), encoding="utf-8"
        )
        with pytest.raises(MigrationError, match="model_versions"):
            await run_migrations(db.engine, alembic_config(scripts))
        assert await db.current_revision() == SCHEMA_REVISION
        assert await JobRepository(db).get(GUILD, job.id) == job
    finally:
        await db.close()


def test_postgresql_migration_renders_offline() -> None:
    # Catches SQLite-only SQL in the migration even where no PostgreSQL server is around.
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", "postgresql://localhost/trainer")
    config.output_buffer = io.StringIO()
    command.upgrade(config, "head", sql=True)
    sql = config.output_buffer.getvalue()
    assert "CREATE UNIQUE INDEX uq_model_versions_one_active ON model_versions (guild_id) WHERE active" in sql
    assert "TIMESTAMP WITH TIME ZONE" in sql
    assert "BIGINT" in sql


# --- SQLite specifics -------------------------------------------------------------------------


async def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    db = Database.from_url(DataLayout(tmp_path / "nested" / "dir").default_database_url)
    try:
        await db.migrate()
        async with db.session() as session:
            assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
            assert (await session.execute(text("PRAGMA busy_timeout"))).scalar_one() >= 1000
    finally:
        await db.close()
    assert (tmp_path / "nested" / "dir" / "trainer-bot.sqlite3").is_file()


def test_default_url_points_into_the_data_dir(tmp_path: Path) -> None:
    assert (
        DataLayout(tmp_path).default_database_url
        == f"sqlite+aiosqlite:///{tmp_path.resolve().as_posix()}/trainer-bot.sqlite3"
    )


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2024, 1, 1), sqlite.dialect())


# --- repositories -----------------------------------------------------------------------------


async def test_timestamps_come_back_aware_utc(db: Database, other: Database) -> None:
    before = datetime.now(UTC)
    job = await JobRepository(db).create(GUILD, USER, None, [])
    stored = await JobRepository(other).get(GUILD, job.id)
    assert stored is not None
    assert stored.created_at.tzinfo is UTC
    assert before - timedelta(seconds=1) <= stored.created_at <= datetime.now(UTC) + timedelta(seconds=1)


async def test_job_lifecycle_is_committed_and_guarded(db: Database, other: Database) -> None:
    jobs, seen = JobRepository(db), JobRepository(other)
    job = await jobs.create(GUILD, USER, CHANNEL, [3, 4])
    assert (job.status, job.progress, job.dataset_ids, job.started_at) == (
        JobStatus.QUEUED,
        0.0,
        (3, 4),
        None,
    )
    assert not await jobs.update_progress(job.id, 0.5, "too early")  # not running yet

    assert await jobs.mark_running(job.id)
    assert await jobs.update_progress(job.id, 0.5, "fitting")
    running = await seen.get(GUILD, job.id)
    assert running is not None
    assert (running.status, running.progress, running.stage) == (JobStatus.RUNNING, 0.5, "fitting")

    assert await jobs.finish_success(job.id, {"accuracy": 1.0}, "v3")
    assert not await jobs.update_progress(job.id, 0.1, "late")  # a straggler cannot reopen it
    assert not await jobs.finish_failure(job.id, "late")
    done = await seen.get(GUILD, job.id)
    assert done is not None
    assert (done.status, done.progress, done.metrics, done.model_version) == (
        JobStatus.SUCCEEDED,
        1.0,
        {"accuracy": 1.0},
        "v3",
    )
    assert done.started_at is not None
    assert done.finished_at is not None
    assert done.created_at <= done.started_at <= done.finished_at
    assert await seen.get(OTHER_GUILD, job.id) is None  # other guilds cannot read it


async def test_job_recent_cancel_and_interrupted(db: Database, other: Database) -> None:
    jobs = JobRepository(db)
    queued = await jobs.create(GUILD, USER, None, [])
    running = await jobs.create(GUILD, USER, None, [])
    await jobs.mark_running(running.id)
    cancelled = await jobs.create(GUILD, USER, None, [])
    assert await jobs.mark_cancelled(cancelled.id)
    assert not await jobs.mark_cancelled(running.id)
    await jobs.create(OTHER_GUILD, USER, None, [])

    assert [job.id for job in await jobs.recent(GUILD, limit=2)] == [cancelled.id, running.id]
    assert await jobs.mark_interrupted_all() == 3
    after = {job.id: job for job in await JobRepository(other).recent(GUILD)}
    assert after[queued.id].status is JobStatus.FAILED
    assert after[running.id].error == "interrupted"
    assert after[cancelled.id].status is JobStatus.CANCELLED


async def test_a_version_goes_live_and_its_job_succeeds_in_one_transaction(
    db: Database, other: Database
) -> None:
    jobs, versions = JobRepository(db), ModelVersionRepository(db)
    job = await jobs.create(GUILD, USER, None, [])
    await jobs.mark_running(job.id)
    await versions.add(
        GUILD, "v0002-20261201T000000", job_id=job.id, metrics={"accuracy": 0.8}, activate=True
    )
    seen = await JobRepository(other).get(GUILD, job.id)  # committed, as seen from another connection
    assert seen is not None and (seen.status, seen.model_version) == (
        JobStatus.SUCCEEDED,
        "v0002-20261201T000000",
    )
    # The runner's own success write afterwards agrees instead of failing.
    assert await jobs.finish_success(job.id, {"accuracy": 0.8}, "v0002-20261201T000000")


async def test_a_job_that_died_after_its_model_went_live_is_settled_as_succeeded(db: Database) -> None:
    jobs, versions = JobRepository(db), ModelVersionRepository(db)
    job = await jobs.create(GUILD, USER, None, [])
    await jobs.mark_running(job.id)
    # The process died between committing the new version and marking the job succeeded.
    await versions.add(
        GUILD, "v0007-20261201T000000", job_id=job.id, metrics={"accuracy": 0.9}, activate=True
    )
    lost = await jobs.create(GUILD, USER, None, [])
    await jobs.mark_running(lost.id)

    assert await jobs.mark_interrupted_all() == 1
    settled = await jobs.get(GUILD, job.id)
    assert settled is not None
    assert (settled.status, settled.model_version, settled.metrics, settled.error) == (
        JobStatus.SUCCEEDED,
        "v0007-20261201T000000",
        {"accuracy": 0.9},
        None,
    )
    interrupted = await jobs.get(GUILD, lost.id)
    assert interrupted is not None and interrupted.error == "interrupted"


async def _add_dataset(
    datasets: DatasetRepository,
    guild_id: int,
    name: str,
    *,
    source: DatasetSource = DatasetSource.UPLOAD,
    default_label: str | None = None,
    selected: bool = False,
) -> Dataset:
    return await datasets.add(
        guild_id=guild_id,
        name=name,
        source=source,
        path=f"{guild_id}/{name}.csv",
        examples=10,
        pairs=0,
        label_counts={"yes": 6, "no": 4},
        checksum="c1",
        created_by=USER,
        default_label=default_label,
        selected=selected,
    )


async def test_datasets_add_select_and_delete(db: Database, other: Database) -> None:
    datasets = DatasetRepository(db)
    first = await _add_dataset(datasets, GUILD, "a")
    second = await _add_dataset(
        datasets, GUILD, "b", source=DatasetSource.INLINE, default_label="yes", selected=True
    )
    await _add_dataset(datasets, OTHER_GUILD, "x", source=DatasetSource.DIRECTORY)

    seen = DatasetRepository(other)
    assert [d.id for d in await seen.list_selected(GUILD)] == [second.id]
    assert await seen.get(GUILD, first.id) == first
    assert first.label_counts == {"yes": 6, "no": 4}
    assert [d.id for d in await seen.find_by_checksum(GUILD, "c1")] == [first.id, second.id]

    assert await datasets.set_selected(GUILD, first.id, True)
    assert not await datasets.set_selected(OTHER_GUILD, first.id, True)  # not that guild's dataset
    assert [d.id for d in await seen.list_selected(GUILD)] == [first.id, second.id]

    removed = await datasets.delete(GUILD, second.id)
    assert removed is not None
    assert removed.path == f"{GUILD}/b.csv"
    assert await datasets.delete(GUILD, second.id) is None
    assert [d.name for d in await seen.list_for_guild(GUILD)] == ["a"]


async def test_only_one_model_is_active_per_guild(db: Database, other: Database) -> None:
    models, seen = ModelVersionRepository(db), ModelVersionRepository(other)
    job = await JobRepository(db).create(GUILD, USER, None, [])
    await models.add(GUILD, "v1", job_id=job.id, metrics={"f1": 0.5}, activate=True)
    await models.add(GUILD, "v2", job_id=None, metrics={"f1": 0.6})
    await models.add(OTHER_GUILD, "v1", job_id=None, metrics={}, activate=True)

    active = await seen.active(GUILD)
    assert active is not None
    assert (active.version, active.job_id) == ("v1", job.id)

    assert await models.activate(GUILD, "v2")
    assert [(m.version, m.active) for m in await seen.list_for_guild(GUILD)] == [("v2", True), ("v1", False)]
    assert not await models.activate(GUILD, "nope")  # unknown: nothing changes
    v3 = await models.add(GUILD, "v3", job_id=None, metrics={}, activate=True)
    assert v3.active
    assert [m.version for m in await seen.list_for_guild(GUILD) if m.active] == ["v3"]
    other_active = await seen.active(OTHER_GUILD)
    assert other_active is not None
    assert other_active.version == "v1"


async def test_concurrent_activations_leave_exactly_one_active(db: Database) -> None:
    models = ModelVersionRepository(db)
    versions = [f"v{n}" for n in range(6)]
    for version in versions:
        await models.add(GUILD, version, job_id=None, metrics={})
    assert all(await asyncio.gather(*(models.activate(GUILD, v) for v in versions * 2)))
    assert sum(m.active for m in await models.list_for_guild(GUILD)) == 1


async def test_partial_unique_index_rejects_a_second_active_model(db: Database) -> None:
    models = ModelVersionRepository(db)
    await models.add(GUILD, "v1", job_id=None, metrics={}, activate=True)
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await session.execute(
                text(
                    "INSERT INTO model_versions (guild_id, version, metrics, created_at, active) "
                    "VALUES (:guild, 'v2', '{}', :now, :active)"
                ),
                {"guild": GUILD, "now": datetime.now(UTC), "active": True},
            )


async def test_test_runs_store_misclassified_examples(db: Database, other: Database) -> None:
    runs = TestRunRepository(db)
    mistakes = [
        Misclassified("hi", "greeting", "question", 0.4),
        Misclassified("bye", "farewell", "greeting", None),
    ]
    run = await runs.add(
        guild_id=GUILD,
        requested_by=USER,
        model_version="v1",
        items=20,
        accuracy=0.9,
        macro_f1=None,
        misclassified=mistakes,
    )
    seen = TestRunRepository(other)
    assert await seen.latest(GUILD) == run
    assert await seen.misclassified(GUILD, run.id) == mistakes
    assert await seen.misclassified(OTHER_GUILD, run.id) == []


async def test_turns_are_found_by_bot_message_id(db: Database, other: Database) -> None:
    conversation = ConversationRepository(db)
    turn = await conversation.add_turn(
        guild_id=None,
        channel_id=CHANNEL,
        author_id=USER,
        prompt="hello?",
        answer="hi!",
        model_version=None,
        bot_message_id=9_000_000_000_000_000_001,
    )
    await conversation.add_turn(
        guild_id=GUILD,
        channel_id=CHANNEL,
        author_id=USER,
        prompt="spoken",
        answer="heard",
        model_version="v1",
        bot_message_id=None,
        source=TurnSource.VOICE,
    )
    seen = ConversationRepository(other)
    assert await seen.turn_by_message(9_000_000_000_000_000_001) == turn
    assert await seen.turn_by_message(1) is None
    with pytest.raises(IntegrityError):  # one turn per bot message
        await conversation.add_turn(
            guild_id=None,
            channel_id=CHANNEL,
            author_id=USER,
            prompt="again",
            answer="dup",
            model_version=None,
            bot_message_id=9_000_000_000_000_000_001,
        )


async def test_corrections_and_feedback_are_committed(db: Database, other: Database) -> None:
    conversation = ConversationRepository(db)
    turn = await conversation.add_turn(
        guild_id=GUILD,
        channel_id=CHANNEL,
        author_id=USER,
        prompt="2+2?",
        answer="5",
        model_version="v1",
        bot_message_id=42,
    )
    first = await conversation.add_correction(
        guild_id=GUILD,
        channel_id=CHANNEL,
        prompt="2+2?",
        old_answer="5",
        corrected_answer="4",
        corrected_by=USER,
        turn_id=turn.id,
    )
    second = await conversation.add_correction(
        guild_id=GUILD,
        channel_id=CHANNEL,
        prompt="sky?",
        old_answer="green",
        corrected_answer="blue",
        corrected_by=USER,
    )
    feedback = await conversation.add_feedback(
        guild_id=None, channel_id=CHANNEL, author_id=USER, text="nice bot"
    )

    seen = ConversationRepository(other)
    assert await seen.corrections_for_guild(GUILD) == [first, second]
    assert await seen.corrections_for_guild(GUILD, after_id=first.id) == [second]
    assert await seen.corrections_for_guild(OTHER_GUILD) == []
    assert feedback.id > 0
    assert feedback.guild_id is None


async def test_rating_again_updates_instead_of_adding(db: Database, other: Database) -> None:
    conversation = ConversationRepository(db)
    turn = await conversation.add_turn(
        guild_id=GUILD,
        channel_id=CHANNEL,
        author_id=USER,
        prompt="p",
        answer="a",
        model_version=None,
        bot_message_id=7,
    )
    up = await conversation.rate(turn.id, USER, 1)
    down = await conversation.rate(turn.id, USER, -1)
    await conversation.rate(turn.id, USER + 1, 1)
    assert (down.id, down.value) == (up.id, -1)
    assert [(r.user_id, r.value) for r in await ConversationRepository(other).ratings_for_turn(turn.id)] == [
        (USER, -1),
        (USER + 1, 1),
    ]
    with pytest.raises(ValueError, match="rating"):
        await conversation.rate(turn.id, USER, 2)


async def test_chat_channels_toggle(db: Database, other: Database) -> None:
    conversation, seen = ConversationRepository(db), ConversationRepository(other)
    assert not await seen.is_channel_enabled(GUILD, CHANNEL)
    assert await conversation.enable_channel(GUILD, CHANNEL, USER)
    assert not await conversation.enable_channel(GUILD, CHANNEL, USER + 1)  # already on; first enabler kept
    assert await seen.is_channel_enabled(GUILD, CHANNEL)
    assert not await seen.is_channel_enabled(OTHER_GUILD, CHANNEL)
    assert [(c.channel_id, c.enabled_by) for c in await seen.enabled_channels(GUILD)] == [(CHANNEL, USER)]
    assert await conversation.disable_channel(GUILD, CHANNEL)
    assert not await conversation.disable_channel(GUILD, CHANNEL)
    assert not await seen.is_channel_enabled(GUILD, CHANNEL)


async def test_guild_settings_default_then_update_one_at_a_time(db: Database, other: Database) -> None:
    settings, seen = GuildSettingsRepository(db), GuildSettingsRepository(other)
    defaults = await seen.get(GUILD)
    assert (defaults.tts_voice, defaults.stt_language, defaults.updated_at) == (None, None, None)
    await settings.set_tts_voice(GUILD, "alba")
    await settings.set_stt_language(GUILD, "de")
    stored = await seen.get(GUILD)
    assert (stored.tts_voice, stored.stt_language) == ("alba", "de")
    assert stored.updated_at is not None
    reset = await settings.set_tts_voice(GUILD, None)
    assert (reset.tts_voice, reset.stt_language) == (None, "de")


async def test_liked_turns_are_the_guilds_answers_rated_up_more_than_down(
    db: Database, other: Database
) -> None:
    conversation = ConversationRepository(db)

    async def turn(guild: int, prompt: str) -> int:
        added = await conversation.add_turn(
            guild_id=guild,
            channel_id=CHANNEL,
            author_id=USER,
            prompt=prompt,
            answer=f"answer to {prompt}",
            model_version=None,
            bot_message_id=None,
        )
        return added.id

    loved, split, disliked, elsewhere = [
        await turn(g, p) for g, p in [(GUILD, "a"), (GUILD, "b"), (GUILD, "c"), (OTHER_GUILD, "d")]
    ]
    for turn_id, votes in [(loved, [1, 1]), (split, [1, -1]), (disliked, [-1]), (elsewhere, [1])]:
        for voter, value in enumerate(votes):
            await conversation.rate(turn_id, USER + voter, value)
    liked = await ConversationRepository(other).liked_turns(GUILD)
    assert [t.prompt for t in liked] == ["a"]


def test_the_schema_revision_the_bot_expects_is_alembics_head() -> None:
    assert head_revision() == SCHEMA_REVISION, "update migrate.SCHEMA_REVISION with every new migration"
