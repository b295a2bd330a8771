"""Training's messages in Russian: no English left but code, labels and version names; plurals in all forms."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from trainer_bot.i18n import Translations, Translator
from trainer_bot.ml import EvaluationResult, ItemResult, TrainingError
from trainer_bot.ml.examples import Example
from trainer_bot.ml.fitting import train_model
from trainer_bot.storage import JobStatus, TrainingJob
from trainer_bot.training import reports, stored
from trainer_bot.training.parsing import DatasetError, parse_bytes

# Code blocks and spans, Discord timestamps and the names Russian uses as they are.
_NOT_PROSE = re.compile(r"```.*?```|`[^`]*`|<t:\d+:R>|macro-F1|F1|CSV|JSON|UTF-8", re.DOTALL)


@pytest.fixture(scope="module")
def russian() -> Translator:
    return Translations.load().get("ru")


def english_words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]{2,}", _NOT_PROSE.sub("", text))


def job(status: JobStatus, **changes: object) -> TrainingJob:
    values: dict[str, object] = {
        "id": 7,
        "guild_id": 1,
        "requested_by": 2,
        "channel_id": 3,
        "status": status,
        "progress": 0.5,
        "stage": "evaluating",
        "error": None,
        "metrics": None,
        "dataset_ids": (),
        "model_version": None,
        "created_at": datetime.now(UTC),
        "started_at": None,
        "finished_at": None,
    }
    return TrainingJob(**(values | changes))  # type: ignore[arg-type]


def test_progress_reads_in_russian(russian: Translator) -> None:
    text = russian.render(reports.job_text(job(JobStatus.RUNNING)))
    assert text == "Задача обучения **№7**: оценка…\n▰▰▰▰▰▰▱▱▱▱▱▱ 50\xa0%"
    queued = russian.render(reports.job_text(job(JobStatus.QUEUED)))
    assert queued.startswith("Задача обучения **№7** стоит в очереди.") and not english_words(queued)


def test_a_finished_job_reads_in_russian_with_its_plurals(russian: Translator) -> None:
    examples = [f"good {n}" for n in range(4)] + [f"bad {n}" for n in range(4)]
    labels = ["positive"] * 4 + ["negative"] * 4
    _, report = train_model([Example(t, label) for t, label in zip(examples, labels, strict=True)], [])
    metrics = {**report.__dict__, "notes": [stored.to_json(note) for note in report.notes]}
    text = russian.render(reports.job_text(job(JobStatus.SUCCEEDED, metrics=metrics, model_version="v0003")))
    assert "теперь активна модель `v0003`" in text
    assert "(2 отложенных примера)" in text  # the "few" form
    assert "_всего 2 отложенных примера: эти цифры приблизительны и ненадёжны_" in text
    assert "на 8 примерах" in text
    assert not english_words(text), text
    live = russian.render(
        reports.model_live_text(job(JobStatus.SUCCEEDED, metrics=metrics, model_version="v3"), "<@2>")
    )
    assert "примеров мало" in live and not english_words(live)


def test_a_stored_training_error_is_shown_in_the_readers_language(russian: Translator) -> None:
    with pytest.raises(TrainingError) as refused:
        train_model([], [])
    failed = job(JobStatus.FAILED, error=stored.to_text(refused.value.message))
    assert "nothing to train on" in str(reports.job_text(failed))
    text = russian.render(reports.job_text(failed))
    assert "учиться пока не на чем" in text and not english_words(text), text
    # Rows from before messages were stored, and the runner's own reasons.
    assert "old English reason" in russian.render(
        reports.job_text(job(JobStatus.FAILED, error="old English reason"))
    )
    assert "внутренняя ошибка" in russian.render(
        reports.job_text(job(JobStatus.FAILED, error="internal error"))
    )


def test_a_dataset_error_reads_in_russian(russian: Translator) -> None:
    with pytest.raises(DatasetError) as refused:
        parse_bytes(b"text,label\n,a\nok\n", "r.csv", default_label="x")
    text = russian.render(refused.value.message)
    assert text.startswith("`r.csv` не подходит (2 проблемы):")
    assert "• строка 2: столбец `text` пустой" in text
    assert "• строка 3: ожидалось столбцов: 2, а найдено: 1" in text
    assert not english_words(text), text


def test_a_test_report_reads_in_russian(russian: Translator) -> None:
    items = [ItemResult(f"text {n}", "positive", 0.9, "negative", False) for n in range(5)]
    result = EvaluationResult(
        items=items,
        accuracy=0.0,
        macro_f1=0.0,
        per_label={"negative": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 5.0}},
        confusion_labels=["negative", "positive"],
        confusion=[[0, 5], [0, 0]],
        misclassified=items,
    )
    text, attachment = reports.evaluation_message("v1", result, russian)
    assert attachment is None
    assert text.startswith("Модель `v1` на 5 примерах.")
    assert "5 примеров с ошибкой сохранено для разбора." in text and "❌ (ожидалось `negative`)" in text
    assert not english_words(text), text
