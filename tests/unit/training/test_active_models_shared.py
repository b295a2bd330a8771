"""ActiveModels in two processes on one database: a version one publishes reaches the other in bounded time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from support.databases import BACKENDS, empty_database_url
from trainer_bot.layout import DataLayout
from trainer_bot.ml import train_model
from trainer_bot.ml.examples import Example
from trainer_bot.storage import Database, ModelVersionRepository
from trainer_bot.training.active_models import ACTIVE_RECHECK_SECONDS, ActiveModels
from trainer_bot.workspace.paths import Workspaces

GUILD = 111_111_111_111_111_111
KEY = b"k" * 32
MODEL, _ = train_model(
    [Example(text, "positive") for text in ("great food", "lovely staff")]
    + [Example(text, "negative") for text in ("awful food", "rude staff")],
    [],
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=BACKENDS)
async def handles(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Database, Database]]:
    """Two handles on one migrated database, as two processes have."""
    url = await empty_database_url(request, tmp_path)
    first, second = Database.from_url(url), Database.from_url(url)
    await first.migrate()
    yield first, second
    await asyncio.gather(first.close(), second.close())


async def publish(models: ActiveModels) -> str:
    version = models.store(GUILD).save(MODEL)
    await models.publish(GUILD, MODEL, version, job_id=None, metrics={})
    return version


async def test_a_version_another_process_publishes_is_served_within_the_recheck_interval(
    handles: tuple[Database, Database], tmp_path: Path
) -> None:
    workspaces = Workspaces(DataLayout(tmp_path / "data"))  # the data directory both processes share
    clock = Clock()
    publisher = ActiveModels(workspaces, ModelVersionRepository(handles[0]), KEY)
    serving = ActiveModels(workspaces, ModelVersionRepository(handles[1]), KEY, clock=clock)

    first = await publish(publisher)
    assert (await serving.current(GUILD) or ("none",))[0] == first
    second = await publish(publisher)
    clock.now += ACTIVE_RECHECK_SECONDS / 2
    assert (await serving.current(GUILD) or ("none",))[0] == first  # from memory, not asked again yet
    clock.now += ACTIVE_RECHECK_SECONDS / 2
    assert (await serving.current(GUILD) or ("none",))[0] == second

    clock.now += ACTIVE_RECHECK_SECONDS  # asked again, still the same version: served from memory
    assert (await serving.current(GUILD) or ("none",))[0] == second
