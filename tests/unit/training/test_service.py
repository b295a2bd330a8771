"""TrainingService without Discord: data joins the pool, jobs train on all of it, models go live."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from trainer_bot.storage import (
    ConversationRepository,
    Database,
    DatasetRepository,
    JobRepository,
    JobStatus,
    ModelVersionRepository,
)
from trainer_bot.training.active_models import ActiveModels
from trainer_bot.training.catalog import DatasetCatalog, NoTrainingData, UploadedFile
from trainer_bot.training.jobs import JobRunner
from trainer_bot.training.parsing import DatasetError, DatasetLimits
from trainer_bot.training.service import TrainingRequest, TrainingService
from trainer_bot.workspace.paths import Workspaces

GUILD, USER, CHANNEL = 10, 20, 30
POSITIVE = "great food\nlovely staff\nwonderful evening\nfriendly service\nexcellent coffee"
NEGATIVE = (
    b"text,label\nawful food,negative\nrude staff,negative\ncold soup,negative\nslow service,negative\n"
)


class Setup:
    def __init__(self, database: Database, workspaces: Workspaces, runner: JobRunner) -> None:
        self.catalog = DatasetCatalog(DatasetRepository(database), workspaces, DatasetLimits())
        self.jobs = JobRepository(database)
        self.models = ActiveModels(workspaces, ModelVersionRepository(database), b"k" * 32)
        self.conversations = ConversationRepository(database)
        self.runner = runner
        self.service = TrainingService(self.catalog, runner, self.jobs, self.models, self.conversations)

    def request(self, **fields: object) -> TrainingRequest:
        return TrainingRequest(guild_id=GUILD, user_id=USER, channel_id=CHANNEL, **fields)  # type: ignore[arg-type]


@pytest.fixture
async def setup(database: Database, workspaces: Workspaces) -> AsyncIterator[Setup]:
    runner = JobRunner(JobRepository(database), progress_interval=0.01)
    await runner.start()
    yield Setup(database, workspaces, runner)
    await runner.close(timeout=10)


async def test_positives_and_negatives_given_apart_train_one_live_model(setup: Setup) -> None:
    first = await setup.service.start(setup.request(inline=POSITIVE))
    assert (await setup.runner.wait(first.id)).status is JobStatus.FAILED  # one label is not enough

    upload = UploadedFile("reviews.csv", NEGATIVE)
    job = await setup.service.start(setup.request(upload=upload, positive=False))
    final = await setup.runner.wait(job.id)
    assert final.status is JobStatus.SUCCEEDED, final.error
    assert final.metrics is not None and final.metrics["examples"] == 9

    current = await setup.models.current(GUILD)
    assert current is not None and current[0] == final.model_version
    [prediction] = current[1].predict(["awful rude service"])
    assert prediction.label == "negative"
    assert len(await setup.catalog.selected(GUILD)) == 2


async def test_a_malformed_source_stores_and_queues_nothing(setup: Setup) -> None:
    broken = UploadedFile("broken.json", b'[{"text": "fine"}, {"label": 3}]')
    with pytest.raises(DatasetError):
        await setup.service.start(setup.request(inline=POSITIVE, upload=broken))
    assert await setup.catalog.selected(GUILD) == []
    assert await setup.jobs.recent(GUILD) == []


async def test_without_any_data_training_is_refused(setup: Setup) -> None:
    with pytest.raises(NoTrainingData):
        await setup.service.start(setup.request())


async def test_corrections_join_the_training_as_prompt_response_pairs(setup: Setup) -> None:
    await setup.conversations.add_correction(
        guild_id=GUILD,
        channel_id=CHANNEL,
        prompt="what time do you open",
        old_answer="I don't know that yet.",
        corrected_answer="We open at nine.",
        corrected_by=USER,
        turn_id=None,
    )
    job = await setup.service.start(setup.request())
    final = await setup.runner.wait(job.id)
    assert final.status is JobStatus.SUCCEEDED, final.error
    current = await setup.models.current(GUILD)
    assert current is not None
    assert current[1].answer("what time do you open?").response == "We open at nine."


async def test_a_failed_run_leaves_the_previous_model_answering(setup: Setup) -> None:
    def labels(first: int) -> UploadedFile:
        rows = "".join(f"example {n},label{n}\n" for n in range(first, first + 26))
        return UploadedFile(f"from{first}.csv", f"text,label\n{rows}".encode())

    good = await setup.service.start(setup.request(upload=labels(0)))
    version = (await setup.runner.wait(good.id)).model_version
    assert version is not None
    # Accepted on its own, but the pool now has more labels than a model may: the run fails.
    bad = await setup.service.start(setup.request(upload=labels(26)))
    final = await setup.runner.wait(bad.id)
    assert final.status is JobStatus.FAILED and "at most" in (final.error or "")
    current = await setup.models.current(GUILD)
    assert current is not None and current[0] == version


async def test_lone_surrogates_in_an_upload_are_stored_replaced(setup: Setup) -> None:
    data = b'[{"text": "great \\ud800 food", "label": "positive"}, {"text": "cold \\udfff soup", "label": "negative"}]'
    job = await setup.service.start(setup.request(upload=UploadedFile("odd.json", data)))
    assert (await setup.runner.wait(job.id)).status is JobStatus.SUCCEEDED
    [dataset] = await setup.catalog.selected(GUILD)
    loaded = await setup.catalog.load(GUILD, [dataset])
    assert [e.text for e in loaded.examples] == ["great \ufffd food", "cold \ufffd soup"]


async def test_a_worse_new_model_does_not_replace_a_better_active_one_unless_forced(setup: Setup) -> None:
    rng = random.Random(7)  # labels that follow nothing: a model that saw them all knows them by heart
    rows = "".join(f"sample text {n} {rng.random()},{rng.choice(['a', 'b'])}\n" for n in range(120))
    first = await setup.service.start(
        setup.request(upload=UploadedFile("noise.csv", f"text,label\n{rows}".encode()))
    )
    active = (await setup.runner.wait(first.id)).model_version
    assert active is not None

    again = await setup.service.start(setup.request())  # the same pool: the new model is scored fairly
    kept = await setup.runner.wait(again.id)
    assert kept.status is JobStatus.SUCCEEDED and kept.model_version is None
    assert kept.metrics is not None and kept.metrics["kept_version"] == active
    assert kept.metrics["kept_accuracy"] > kept.metrics["accuracy"]
    current = await setup.models.current(GUILD)
    assert current is not None and current[0] == active

    forced = await setup.runner.wait((await setup.service.start(setup.request(force=True))).id)
    assert forced.model_version is not None and forced.model_version != active
    current = await setup.models.current(GUILD)
    assert current is not None and current[0] == forced.model_version
