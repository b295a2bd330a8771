"""`/test`'s work: run the guild's model on test examples, score them, and keep what it got wrong."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from trainer_bot.errors import UserError
from trainer_bot.ml import EvaluationResult, NotTrainedError, evaluate
from trainer_bot.storage import Misclassified, TestRunRepository
from trainer_bot.training.active_models import ActiveModels
from trainer_bot.training.catalog import UploadedFile

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


def _item(value: Any, position: int) -> TestItem:
    if isinstance(value, str) and value.strip():
        return TestItem(value.strip(), None)
    if isinstance(value, dict) and isinstance(value.get("text"), str) and value["text"].strip():
        label = value.get("label")
        if label is not None and not isinstance(label, str | int):
            raise BadTestData(f"Item {position}: `label` must be a string.")
        return TestItem(value["text"].strip(), None if label is None else str(label).strip() or None)
    raise BadTestData(f"Item {position} is neither a text nor an object with a non-empty `text`.")


def parse_test_json(raw: str) -> list[TestItem]:
    """A JSON list of texts, a list of {"text", "label"} objects, or one such object."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadTestData(
            f"`test_data` is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from None
    values = value if isinstance(value, list) else [value]
    if not values:
        raise BadTestData("`test_data` is an empty list: give at least one text.")
    if len(values) > MAX_TEST_ITEMS:
        raise BadTestData(f"At most {MAX_TEST_ITEMS} test examples at once, got {len(values)}.")
    items = [_item(v, n) for n, v in enumerate(values, start=1)]
    labelled = sum(item.label is not None for item in items)
    if 0 < labelled < len(items):
        raise BadTestData("Either every test example has a `label` or none has: mixed sets cannot be scored.")
    return items


class TestService:
    __test__ = False

    def __init__(self, models: ActiveModels, runs: TestRunRepository) -> None:
        self._models = models
        self._runs = runs

    async def items_from(self, test_data: str | None, upload: UploadedFile | None) -> list[TestItem]:
        if upload is not None:
            try:
                text = upload.data.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise BadTestData(f"`{upload.filename}` is not UTF-8 text.") from None
            return parse_test_json(text)
        if test_data is None or not test_data.strip():
            raise BadTestData(
                'Give `test_data` as JSON, e.g. `["great service", "awful food"]`, or attach a file.'
            )
        return parse_test_json(test_data)

    async def run(self, guild_id: int, user_id: int, items: list[TestItem]) -> TestOutcome:
        current = await self._models.current(guild_id)
        if current is None:
            raise NotTrainedError("There is no trained model yet: run /train first.")
        version, model = current
        if not model.has_classifier:
            raise NotTrainedError(
                "The current model only answers prompts; /test needs labelled examples in /train."
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
