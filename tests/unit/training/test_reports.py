"""How jobs and test results read in Discord: every state, every score, and the CSV for large sets."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from trainer_bot.ml import EvaluationResult, ItemResult
from trainer_bot.storage import JobStatus, TrainingJob
from trainer_bot.text import DISCORD_MESSAGE_LIMIT
from trainer_bot.training import reports

METRICS = {
    "examples": 40,
    "pairs": 3,
    "seconds": 1.25,
    "accuracy": 0.875,
    "macro_f1": 0.8,
    "test_size": 8,
    "per_label": {"negative": {"precision": 1.0, "recall": 0.75, "f1": 0.857, "support": 4.0}},
    "notes": ["label `rare` has one example, so it was not evaluated"],
}


def job(status: JobStatus, **changes: object) -> TrainingJob:
    values: dict[str, object] = {
        "id": 7,
        "guild_id": 1,
        "requested_by": 2,
        "channel_id": 3,
        "status": status,
        "progress": 0.5,
        "stage": "fitting the classifier",
        "error": None,
        "metrics": None,
        "dataset_ids": (),
        "model_version": None,
        "created_at": datetime.now(UTC),
        "started_at": None,
        "finished_at": None,
    }
    return TrainingJob(**(values | changes))  # type: ignore[arg-type]


def test_every_job_state_reads_plainly() -> None:
    assert "queued" in str(reports.job_text(job(JobStatus.QUEUED)))
    running = str(reports.job_text(job(JobStatus.RUNNING)))
    assert "fitting the classifier…" in running and "50%" in running
    done = str(reports.job_text(job(JobStatus.SUCCEEDED, metrics=METRICS, model_version="v0003")))
    assert "model `v0003` is now active" in done
    assert "Held-out accuracy **87.5%**" in done and "• `negative`: precision 100%" in done
    assert "_label `rare` has one example" in done
    failed = str(reports.job_text(job(JobStatus.FAILED, error="training needs at least two labels")))
    assert "failed: training needs at least two labels" in failed and "previous model stays active" in failed
    assert "cancelled" in str(reports.job_text(job(JobStatus.CANCELLED)))


def result(count: int) -> EvaluationResult:
    items = [ItemResult(f"text {n}", "positive", 0.9, "negative", False) for n in range(count)]
    return EvaluationResult(
        items=items,
        accuracy=0.0,
        macro_f1=0.0,
        per_label={},
        confusion_labels=["negative", "positive"],
        confusion=[[0, count], [0, 0]],
        misclassified=items,
    )


def test_small_results_fit_in_one_message() -> None:
    text, attachment = reports.evaluation_message("v1", result(3))
    assert attachment is None
    assert "Model `v1` on 3 examples." in text and "Confusion matrix" in text and "❌" in text


def test_large_results_come_with_every_prediction_as_csv() -> None:
    text, attachment = reports.evaluation_message("v1", result(500))
    assert len(text) <= DISCORD_MESSAGE_LIMIT and "attached CSV" in text
    assert attachment is not None
    rows = list(csv.reader(io.StringIO(attachment.decode("utf-8"))))
    assert rows[0] == ["text", "predicted", "confidence", "expected", "correct"]
    assert len(rows) == 501 and rows[1] == ["text 0", "positive", "0.9000", "negative", "false"]


def test_progress_bar_is_clamped() -> None:
    assert str(reports.progress_bar(2.0, width=4)).startswith("▰▰▰▰ ")
    assert str(reports.progress_bar(-1, width=4)).startswith("▱▱▱▱")


def test_job_lists_and_announcements() -> None:
    listed = str(
        reports.jobs_text([job(JobStatus.SUCCEEDED, model_version="v2"), job(JobStatus.FAILED, id=6)])
    )
    first, second = listed.splitlines()
    assert first.startswith("**#7** succeeded") and "→ `v2`" in first and "<t:" in first
    assert second.startswith("**#6** failed")
    live = str(reports.model_live_text(job(JobStatus.SUCCEEDED, model_version="v2", metrics=METRICS), "<@2>"))
    assert live == "🧠 New model `v2` is live, trained by <@2> (held-out accuracy 87.5%)."


def test_a_job_followed_again_after_a_restart_ends_in_its_channel_naming_the_trainer() -> None:
    live = job(JobStatus.SUCCEEDED, model_version="v2", metrics=METRICS)
    assert str(reports.job_ended_text(live, "<@2>")) == str(reports.model_live_text(live, "<@2>"))
    failed = str(reports.job_ended_text(job(JobStatus.FAILED, error="interrupted"), "<@2>"))
    assert failed.startswith("<@2> Training job **#7** failed: ") and "previous model stays active" in failed


def test_exported_cells_never_run_as_formulas_and_labels_never_break_markdown() -> None:
    item = ItemResult('=HYPERLINK("http://evil")', "@sum", 0.5, "-2+3", False)
    result = EvaluationResult(
        items=[item] * 20,
        accuracy=0.0,
        macro_f1=0.0,
        per_label={"a`b": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1.0}},
        confusion_labels=["a`b", "@sum"],
        confusion=[[0, 1], [0, 0]],
        misclassified=[item],
    )
    text, attachment = reports.evaluation_message("v1", result)
    assert attachment is not None
    row = next(csv.reader(io.StringIO(attachment.decode("utf-8").splitlines()[1])))
    assert row[0].startswith("'=") and row[1] == "'@sum" and row[3] == "'-2+3"
    assert "• `aˋb`:" in text and "a`b" not in text


def test_many_labels_give_no_unreadable_matrix() -> None:
    labels = [f"label{n}" for n in range(40)]
    result = EvaluationResult(
        items=[ItemResult("t", "label0", 0.5, "label1", False)],
        accuracy=0.0,
        macro_f1=0.0,
        per_label={},
        confusion_labels=labels,
        confusion=[[0] * 40 for _ in range(40)],
        misclassified=[],
    )
    text = str(reports.evaluation_text("v1", result))
    assert "40 labels: too many for a confusion matrix" in text and "```" not in text


def test_a_kept_model_is_explained() -> None:
    metrics = METRICS | {"accuracy": 0.5, "kept_version": "v0001", "kept_accuracy": 0.9}
    text = str(reports.job_text(job(JobStatus.SUCCEEDED, metrics=metrics, model_version=None)))
    assert "`v0001` stays active" in text and "90%" in text and "force:True" in text
