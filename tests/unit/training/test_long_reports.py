"""Reports with many labels still fit one Discord message, in English and in (longer) Russian."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from trainer_bot.i18n import Translations, Translator
from trainer_bot.ml import EvaluationResult, ItemResult
from trainer_bot.storage import JobStatus, TrainingJob
from trainer_bot.text import DISCORD_MESSAGE_LIMIT
from trainer_bot.training import reports

LABELS = [f"customer-intent-{n:02d}" for n in range(50)]
# How each language counts the per-label lines left out.
MORE_LABELS = {"en": r"_…and (\d+) more labels\._", "ru": r"_…и ещё (\d+) (?:метка|метки|меток)\._"}


@pytest.fixture(params=["en", "ru"])
def translator(request: pytest.FixtureRequest) -> Translator:
    return Translations.load().get(request.param)


def scores(n: int) -> dict[str, float]:
    return {"precision": 0.9123, "recall": 0.8765, "f1": 0.8944, "support": float(10 + n)}


def finished_job(labels: list[str]) -> TrainingJob:
    metrics = {
        "examples": 5000,
        "pairs": 0,
        "seconds": 12.3,
        "accuracy": 0.9,
        "macro_f1": 0.89,
        "test_size": 1000,
        "per_label": {label: scores(n) for n, label in enumerate(labels)},
    }
    now = datetime.now(UTC)
    return TrainingJob(
        id=3, guild_id=1, requested_by=2, channel_id=3, status=JobStatus.SUCCEEDED, progress=1.0,
        stage="done", error=None, metrics=metrics, dataset_ids=(), model_version="v0003-20260101T000000",
        created_at=now, started_at=now, finished_at=now,
    )  # fmt: skip


def label_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("• `customer-intent-")]


def test_a_finished_job_with_fifty_labels_fits_and_counts_the_labels_left_out(translator: Translator) -> None:
    text = reports.fitted_job_text(finished_job(LABELS), translator)
    assert len(text) <= DISCORD_MESSAGE_LIMIT
    shown = label_lines(text)
    assert shown and shown[0].startswith("• `customer-intent-00`")
    [more] = re.findall(MORE_LABELS[translator.language], text)
    assert len(shown) + int(more) == len(LABELS)
    # As many labels as fit: one more line would not.
    longer = translator.render(reports.job_text(finished_job(LABELS), len(shown) + 1))
    assert len(longer) > DISCORD_MESSAGE_LIMIT


def test_a_job_with_few_labels_is_shown_whole(translator: Translator) -> None:
    text = reports.fitted_job_text(finished_job(LABELS[:3]), translator)
    assert text == translator.render(reports.job_text(finished_job(LABELS[:3])))
    assert len(label_lines(text)) == 3 and "…" not in text


def test_an_overlong_error_is_cut_to_one_message(translator: Translator) -> None:
    failed = replace(finished_job([]), status=JobStatus.FAILED, error="x " * 3000)
    text = reports.fitted_job_text(failed, translator)
    assert len(text) <= DISCORD_MESSAGE_LIMIT and text.endswith("\n…")


def test_a_test_report_with_fifty_labels_fits_and_counts_the_labels_left_out(translator: Translator) -> None:
    items = [ItemResult(f"text {n}", LABELS[n % 50], 0.9, LABELS[n % 50], True) for n in range(100)]
    result = EvaluationResult(
        items=items,
        accuracy=1.0,
        macro_f1=1.0,
        per_label={label: scores(n) for n, label in enumerate(LABELS)},
        confusion_labels=LABELS,
        confusion=[[2 if row == column else 0 for column in range(50)] for row in range(50)],
    )
    text, predictions = reports.evaluation_message("v0003", result, translator)
    assert predictions is not None and len(text) <= DISCORD_MESSAGE_LIMIT
    [more] = re.findall(MORE_LABELS[translator.language], text)
    assert label_lines(text) and len(label_lines(text)) + int(more) == len(LABELS)
