"""`/test`'s work: run the guild's model on test examples, score them, and keep what it got wrong."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass

from trainer_bot.errors import UserError
from trainer_bot.i18n import t
from trainer_bot.ml import EvaluationResult, NotTrainedError, evaluate
from trainer_bot.ml.examples import Example
from trainer_bot.storage import Misclassified, TestRunRepository
from trainer_bot.training.active_models import ActiveModels
from trainer_bot.training.catalog import UploadedFile
from trainer_bot.training.parsing import DatasetLimits, parse_test_bytes, parse_test_json

MAX_TEST_ITEMS = 10_000


class BadTestData(UserError):
    pass


@dataclass(frozen=True)
class TestItem:
    __test__ = False  # not a pytest class

    text: str
    label: str | None


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False

    model_version: str
    result: EvaluationResult
    test_run_id: int | None


def _items(examples: list[Example]) -> list[TestItem]:
    items = [TestItem(example.text, example.label or None) for example in examples]
    labelled = sum(item.label is not None for item in items)
    if 0 < labelled < len(items):
        raise BadTestData(
            t("Either every test example has a `label` or none has: mixed sets cannot be scored.")
        )
    return items


class TestService:
    __test__ = False

    def __init__(self, models: ActiveModels, runs: TestRunRepository, limits: DatasetLimits) -> None:
        self._models = models
        self._runs = runs
        # A test set is read like a dataset (same formats, same label cap), but is smaller.
        self._limits = dataclasses.replace(limits, max_examples=min(limits.max_examples, MAX_TEST_ITEMS))

    async def items_from(self, test_data: str | None, upload: UploadedFile | None) -> list[TestItem]:
        """The test set from the attached file (CSV, JSON, JSONL or TXT), else from `test_data` (JSON);
        read in a worker thread, so no file can stall the bot."""
        if upload is not None:
            examples = await asyncio.to_thread(
                parse_test_bytes, upload.data, upload.filename, limits=self._limits
            )
            return _items(examples)
        if test_data is None or not test_data.strip():
            raise BadTestData(
                t('Give `test_data` as JSON, e.g. `["great service", "awful food"]`, or attach a file.')
            )
        examples = await asyncio.to_thread(
            parse_test_json, test_data, source=t("`test_data`"), limits=self._limits
        )
        return _items(examples)

    async def run(self, guild_id: int, user_id: int, items: list[TestItem]) -> TestOutcome:
        current = await self._models.current(guild_id)
        if current is None:
            refused = self._models.refused(guild_id)
            if refused is not None:
                raise NotTrainedError(
                    t(
                        "The active model `{version}` failed its integrity check and is not used: run /train.",
                        version=refused,
                    )
                )
            raise NotTrainedError(t("There is no trained model yet: run /train first."))
        version, model = current
        if not model.has_classifier:
            raise NotTrainedError(
                t("The current model only answers prompts; /test needs labelled examples in /train.")
            )
        texts = [item.text for item in items]
        labels = [item.label for item in items if item.label is not None] or None
        result = await asyncio.to_thread(evaluate, model, texts, labels)
        if labels is None:
            return TestOutcome(version, result, None)
        run = await self._runs.add(
            guild_id=guild_id,
            requested_by=user_id,
            model_version=version,
            items=len(items),
            accuracy=result.accuracy,
            macro_f1=result.macro_f1,
            misclassified=[
                Misclassified(item.text, item.expected or "", item.predicted, item.confidence)
                for item in result.misclassified
            ],
        )
        return TestOutcome(version, result, run.id)
