"""ActiveModels: guild models kept in memory within MODEL_CACHE_MB, and read again when dropped."""

from __future__ import annotations

import logging

import pytest

from trainer_bot.ml import train_model
from trainer_bot.ml.examples import Example
from trainer_bot.ml.footprint import approximate_bytes
from trainer_bot.storage import Database, ModelVersionRepository
from trainer_bot.training.active_models import ActiveModels
from trainer_bot.workspace.paths import Workspaces

EXAMPLES = [Example(text, "positive") for text in ("great food", "lovely staff", "wonderful evening")] + [
    Example(text, "negative") for text in ("awful food", "rude staff", "terrible evening")
]
MODEL, _ = train_model(EXAMPLES, [])
MODEL_BYTES = approximate_bytes(MODEL)


def active_models(database: Database, workspaces: Workspaces, cache_bytes: int) -> ActiveModels:
    return ActiveModels(workspaces, ModelVersionRepository(database), b"k" * 32, cache_bytes=cache_bytes)


async def publish(models: ActiveModels, guild_id: int) -> str:
    version = models.store(guild_id).save(MODEL)
    await models.publish(guild_id, MODEL, version, job_id=None, metrics={})
    return version


async def test_a_guild_model_is_a_few_megabytes_at_most() -> None:
    assert MODEL_BYTES < 8 * 2**20


async def test_models_beyond_the_budget_are_dropped_and_read_again(
    database: Database, workspaces: Workspaces
) -> None:
    models = active_models(database, workspaces, cache_bytes=int(MODEL_BYTES * 2.5))
    versions = {guild: await publish(models, guild) for guild in (1, 2, 3)}
    assert models.cached_bytes <= MODEL_BYTES * 2.5  # two of the three models fit

    for guild in (1, 2, 3, 1):  # each one answers, whether it was kept or read from its file again
        current = await models.current(guild)
        assert current is not None and current[0] == versions[guild]
        assert current[1].predict(["lovely evening"])[0].label == "positive"
        assert models.cached_bytes <= MODEL_BYTES * 2.5


async def test_a_model_bigger_than_the_budget_still_answers(
    database: Database, workspaces: Workspaces, caplog: pytest.LogCaptureFixture
) -> None:
    models = active_models(database, workspaces, cache_bytes=MODEL_BYTES // 2)
    with caplog.at_level(logging.WARNING):
        version = await publish(models, 1)
    assert "larger than MODEL_CACHE_MB" in caplog.text
    assert models.cached_bytes == 0
    current = await models.current(1)
    assert current is not None and current[0] == version
