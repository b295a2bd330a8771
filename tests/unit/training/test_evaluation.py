"""TestService and /test's input: what members may send, scores, and what gets recorded."""

from __future__ import annotations

import re

import pytest

from trainer_bot.ml import NotTrainedError, train_model
from trainer_bot.ml.examples import Example
from trainer_bot.storage import Database, ModelVersionRepository, TestRunRepository
from trainer_bot.training.active_models import ActiveModels
from trainer_bot.training.catalog import UploadedFile
from trainer_bot.training.evaluation import BadTestData, TestService
from trainer_bot.training.parsing import DatasetError, DatasetLimits
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
    return TestService(models, TestRunRepository(database), DatasetLimits())


async def trained(models: ActiveModels) -> str:
    model, _ = train_model(EXAMPLES, [])
    version = models.store(GUILD).save(model)
    await models.publish(GUILD, model, version, job_id=None, metrics={})
    return version


async def test_without_a_model_there_is_nothing_to_test(tests: TestService) -> None:
    with pytest.raises(NotTrainedError):
        await tests.run(GUILD, USER, await tests.items_from('["hello"]', None))


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
        ("[1, 2", None, "`test_data` can't be used: line 1, column 6: invalid JSON"),
        ("[]", None, "`test_data` can't be used: it has no examples"),
        ("[" * 100_000 + "]" * 100_000, None, "too deeply nested"),
        ("[" + "9" * 5000 + "]", None, "a number too large"),
        ('[{"text": "a", "label": "x"}, "b"]', None, "Either every test example"),
        ('[{"prompt": "hi", "response": "hello"}]', None, "pairs can't be tested"),
        (
            None,
            UploadedFile("set.json", b"\xff\xfe"),
            "`set.json` can't be used: line 1: the file is not valid UTF-8",
        ),
        (None, UploadedFile("set.xlsx", b"PK"), "`.xlsx` files aren't supported"),
        (
            None,
            UploadedFile("many.csv", b"text,label\n" + b"".join(b"t%d,l%d\n" % (n, n) for n in range(60))),
            "60 different labels",
        ),
    ],
)
async def test_bad_test_data_is_refused_plainly(
    tests: TestService, test_data: str | None, upload: UploadedFile | None, message: str
) -> None:
    with pytest.raises((BadTestData, DatasetError), match=re.escape(message)):
        await tests.items_from(test_data, upload)


async def test_test_sets_come_in_every_format_training_reads(tests: TestService) -> None:
    csv_items = await tests.items_from(None, UploadedFile("set.csv", b"text,label\ngreat food,positive\n"))
    txt_items = await tests.items_from(None, UploadedFile("set.txt", b"great food\nawful food\n"))
    assert [(i.text, i.label) for i in csv_items] == [("great food", "positive")]
    assert [(i.text, i.label) for i in txt_items] == [("great food", None), ("awful food", None)]


async def test_lone_surrogates_are_replaced_so_results_can_be_stored(
    tests: TestService, models: ActiveModels, database: Database
) -> None:
    await trained(models)
    items = await tests.items_from('[{"text": "bad \\ud800 food", "label": "x\\udfff"}]', None)
    assert items[0].text == "bad \ufffd food" and items[0].label == "x\ufffd"
    outcome = await tests.run(GUILD, USER, items)  # recording the misclassified example must not fail
    assert outcome.test_run_id is not None
