"""Fifty-odd bad datasets through /train's and /test's services: each refused in words, nothing kept,
and the event loop never held up while they are read."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from trainer_bot.errors import UserError
from trainer_bot.layout import DataLayout
from trainer_bot.storage import (
    ConversationRepository,
    Database,
    DatasetRepository,
    JobRepository,
    ModelVersionRepository,
    TestRunRepository,
)
from trainer_bot.training.active_models import ActiveModels
from trainer_bot.training.catalog import DatasetCatalog, UploadedFile
from trainer_bot.training.evaluation import TestService
from trainer_bot.training.jobs import JobRunner
from trainer_bot.training.parsing import DatasetLimits
from trainer_bot.training.service import TrainingRequest, TrainingService
from trainer_bot.workspace.paths import Workspaces

from .bad_datasets import BAD_DATASETS
from .conftest import GROWTH, WORST
from .lag import lag_probe

GUILD, USER = 10, 20


class Services:
    def __init__(self, database: Database, layout: DataLayout) -> None:
        workspaces = Workspaces(layout)
        limits = DatasetLimits(max_file_bytes=25 * 1024 * 1024)
        models = ActiveModels(workspaces, ModelVersionRepository(database), b"k" * 32)
        self.catalog = DatasetCatalog(DatasetRepository(database), workspaces, limits)
        self.jobs = JobRepository(database)
        self.runner = JobRunner(self.jobs)
        self.training = TrainingService(
            self.catalog, self.runner, self.jobs, models, ConversationRepository(database)
        )
        self.tests = TestService(models, TestRunRepository(database), limits)
        self.datasets_dir = workspaces.for_guild(GUILD).datasets_dir


@pytest.fixture
async def services(tmp_path: object) -> AsyncIterator[Services]:
    layout = DataLayout(tmp_path / "data")  # type: ignore[operator]
    layout.ensure()
    database = Database.from_url(layout.default_database_url)
    await database.migrate()
    built = Services(database, layout)
    await built.runner.start()
    yield built
    await built.runner.close()
    await database.close()


@pytest.mark.parametrize(("name", "data", "says"), BAD_DATASETS, ids=[name for name, _, _ in BAD_DATASETS])
async def test_a_bad_dataset_is_refused_and_nothing_is_kept(
    services: Services, name: str, data: bytes, says: str
) -> None:
    upload = UploadedFile(name, data)
    async with lag_probe() as lag:
        with pytest.raises(UserError) as training:
            await services.training.start(TrainingRequest(GUILD, USER, None, upload=upload))
        with pytest.raises(UserError) as testing:
            await services.tests.items_from(None, upload)
    WORST[f"/train and /test with {name}"] = lag.worst
    GROWTH[f"/train and /test with {name}"] = lag.rss_growth_mb
    assert lag.rss_growth_mb < 300, "memory grew by more than 300 MB"
    assert says in str(training.value), str(training.value)
    assert name in str(testing.value) or "`test_data`" in str(testing.value) or says in str(testing.value)
    assert len(str(training.value)) < 2000 and len(str(testing.value)) < 2000  # fits one message
    assert await services.catalog.selected(GUILD) == []
    assert await services.jobs.recent(GUILD) == []
    assert list(services.datasets_dir.iterdir()) == []


def test_there_are_at_least_fifty() -> None:
    assert len(BAD_DATASETS) >= 50
