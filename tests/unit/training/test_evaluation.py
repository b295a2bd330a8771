"""TestService and /test's input: what members may send, scores, and what gets recorded."""

from __future__ import annotations

import pytest

from trainer_bot.ml import NotTrainedError, train_model
from trainer_bot.ml.examples import Example
from trainer_bot.storage import Database, ModelVersionRepository, TestRunRepository
from trainer_bot.training.active_models import ActiveModels
from trainer_bot.training.catalog import UploadedFile
from trainer_bot.training.evaluation import BadTestData, TestService, parse_test_json
from trainer_bot.workspace.paths import Workspaces

GUILD, USER = 10, 20
EXAMPLES = [Example(text, "positive") for text in ("great food", "lovely staff", "wonderful evening")] + [
    Example(text, "negative") for text in ("awful food", "rude staff", "terrible evening")
]


@pytest.fixture
def models(database: Database, workspaces: Workspaces) -> ActiveModels:
    return ActiveModels(workspaces, ModelVersionRepository(database), b"k" * 32)


@pytest.fixture
def tests(database: Database, models: ActiveModels) -> TestService:
    return TestService(models, TestRunRepository(database))


async def trained(models: ActiveModels) -> str:
    model, _ = train_model(EXAMPLES, [])
    version = models.store(GUILD).save(model)
    await models.publish(GUILD, model, version, job_id=None, metrics={})
    return version


async def test_without_a_model_there_is_nothing_to_test(tests: TestService) -> None:
    with pytest.raises(NotTrainedError):
        await tests.run(GUILD, USER, parse_test_json('["hello"]'))


async def test_labelled_items_are_scored_and_mistakes_recorded(
    tests: TestService, models: ActiveModels, database: Database
) -> None:
    version = await trained(models)
    items = await tests.items_from(
        '[{"text": "great evening", "label": "positive"}, {"text": "lovely food", "label": "negative"}]', None
    )
    outcome = await tests.run(GUILD, USER, items)
    assert outcome.model_version == version
    assert outcome.result.accuracy == 0.5
    assert outcome.test_run_id is not None
    [wrong] = await TestRunRepository(database).misclassified(GUILD, outcome.test_run_id)
    assert (wrong.text, wrong.expected) == ("lovely food", "negative")


async def test_unlabelled_items_are_predicted_but_not_recorded(
    tests: TestService, models: ActiveModels
) -> None:
    await trained(models)
    outcome = await tests.run(GUILD, USER, await tests.items_from('["awful staff"]', None))
    assert outcome.test_run_id is None and outcome.result.accuracy is None
    assert outcome.result.items[0].predicted == "negative"


@pytest.mark.parametrize(
    ("test_data", "upload", "message"),
    [
        (None, None, "Give `test_data`"),
        ("[1, 2", None, "not valid JSON"),
        ("[]", None, "empty list"),
        ('[{"text": "a", "label": "x"}, "b"]', None, "Either every test example"),
        (None, UploadedFile("set.json", b"\xff\xfe"), "is not UTF-8"),
    ],
)
async def test_bad_test_data_is_refused_plainly(
    tests: TestService, test_data: str | None, upload: UploadedFile | None, message: str
) -> None:
    with pytest.raises(BadTestData, match=message):
        await tests.items_from(test_data, upload)
