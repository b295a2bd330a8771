"""What training and testing look like in a Discord message (plain text and Markdown, no hikari)."""

from __future__ import annotations

import csv
import io
from typing import Any

from trainer_bot.ml import EvaluationResult, format_confusion
from trainer_bot.storage import JobStatus, TrainingJob
from trainer_bot.text import DISCORD_MESSAGE_LIMIT, inline_code

SHOWN_PREDICTIONS = 15
SHOWN_CONFUSION_LABELS = 12  # a wider matrix is unreadable in a message
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def progress_bar(fraction: float, width: int = 12) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return "▰" * filled + "▱" * (width - filled) + f" {fraction:.0%}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def training_summary(metrics: dict[str, Any]) -> str:
    lines = [
        f"Trained on {metrics.get('examples', 0)} examples and {metrics.get('pairs', 0)} prompt/response pairs "
        f"in {metrics.get('seconds', 0):.1f} s.",
    ]
    if metrics.get("accuracy") is not None:
        lines.append(
            f"Held-out accuracy **{_percent(metrics['accuracy'])}**, macro-F1 **{_percent(metrics['macro_f1'])}** "
            f"({metrics.get('test_size', 0)} held-out examples)."
        )
        for label, scores in sorted(metrics.get("per_label", {}).items()):
            lines.append(
                f"• {inline_code(label)}: precision {_percent(scores['precision'])}, "
                f"recall {_percent(scores['recall'])}, F1 {_percent(scores['f1'])} (n={scores['support']:.0f})"
            )
    lines.extend(f"_{note}_" for note in metrics.get("notes", []))
    return "\n".join(lines)


def job_text(job: TrainingJob) -> str:
    head = f"Training job **#{job.id}**"
    if job.status is JobStatus.QUEUED:
        return f"{head}: queued, waiting for its turn.\n{progress_bar(0)}"
    if job.status is JobStatus.RUNNING:
        return f"{head}: {job.stage}…\n{progress_bar(job.progress)}"
    if job.status is JobStatus.SUCCEEDED:
        metrics = job.metrics or {}
        summary = training_summary(metrics)
        if job.model_version is None and metrics.get("kept_version"):
            return (
                f"{head} finished, but the new model scored {_percent(metrics.get('accuracy'))} on its "
                f"held-out examples and the active model `{metrics['kept_version']}` scored "
                f"{_percent(metrics['kept_accuracy'])} on the same ones, so `{metrics['kept_version']}` stays "
                f"active. Use `/train force:True` to switch anyway.\n{summary}"
            )
        return f"{head} finished: model `{job.model_version}` is now active.\n{summary}"
    if job.status is JobStatus.CANCELLED:
        return f"{head} was cancelled."
    return f"{head} failed: {job.error or 'unknown error'}\nThe previous model stays active."


def jobs_text(jobs: list[TrainingJob]) -> str:
    """/jobs: one line per job, newest first, with Discord's relative time."""
    return "\n".join(
        f"**#{job.id}** {job.status.value} {progress_bar(job.progress, 8)}"
        f"{f' → `{job.model_version}`' if job.model_version else ''} · <t:{int(job.created_at.timestamp())}:R>"
        for job in jobs
    )


def model_live_text(job: TrainingJob, trainer_mention: str) -> str:
    """What the channel hears when a member's training put a new model version live."""
    metrics = job.metrics or {}
    accuracy = metrics.get("accuracy")
    rough = " on few examples" if any("not reliable" in note for note in metrics.get("notes", [])) else ""
    score = f" (held-out accuracy {accuracy:.1%}{rough})" if accuracy is not None else ""
    return f"🧠 New model `{job.model_version}` is live, trained by {trainer_mention}{score}."


def evaluation_text(version: str, result: EvaluationResult, *, shown: int = SHOWN_PREDICTIONS) -> str:
    """Scores, the confusion matrix and the first `shown` predictions."""
    lines = [f"Model `{version}` on {len(result.items)} examples."]
    if result.accuracy is not None:
        lines.append(f"Accuracy **{_percent(result.accuracy)}**, macro-F1 **{_percent(result.macro_f1)}**.")
        for label, scores in sorted(result.per_label.items()):
            lines.append(
                f"• {inline_code(label)}: precision {_percent(scores['precision'])}, "
                f"recall {_percent(scores['recall'])}, F1 {_percent(scores['f1'])}"
            )
        if len(result.confusion_labels) <= SHOWN_CONFUSION_LABELS:
            labels = [label.replace("`", "ˋ") for label in result.confusion_labels]
            lines.append("Confusion matrix (rows: expected, columns: predicted):")
            lines.append(f"```\n{format_confusion(result.confusion, labels)}\n```")
        else:
            lines.append(f"_{len(result.confusion_labels)} labels: too many for a confusion matrix here._")
        if result.misclassified:
            lines.append(f"{len(result.misclassified)} misclassified examples were recorded for review.")
    for item in result.items[:shown]:
        mark = (
            ""
            if item.correct is None
            else (" ✅" if item.correct else f" ❌ (expected {inline_code(item.expected or '')})")
        )
        lines.append(
            f"• {inline_code(item.text[:80])} → {inline_code(item.predicted)} {item.confidence:.0%}{mark}"
        )
    return "\n".join(lines)


def evaluation_message(version: str, result: EvaluationResult) -> tuple[str, bytes | None]:
    """The reply to /test: everything in one message when it fits, else a summary and a CSV of all items."""
    full = evaluation_text(version, result)
    if len(result.items) <= SHOWN_PREDICTIONS and len(full) <= DISCORD_MESSAGE_LIMIT:
        return full, None
    summary = evaluation_text(version, result, shown=0) + "\nAll predictions are in the attached CSV."
    if len(summary) > DISCORD_MESSAGE_LIMIT:
        summary = (
            f"Model `{version}` on {len(result.items)} examples: the full report is in the attached CSV."
        )
    return summary, evaluation_csv(result)


def evaluation_csv(result: EvaluationResult) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["text", "predicted", "confidence", "expected", "correct"])
    for item in result.items:
        correct = "" if item.correct is None else str(item.correct).lower()
        row = [item.text, item.predicted, f"{item.confidence:.4f}", item.expected or "", correct]
        writer.writerow([_inert(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")


def _inert(cell: str) -> str:
    """Spreadsheets run a cell that starts with = + - @ (or tab, CR) as a formula: quote it as text."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell
