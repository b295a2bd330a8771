"""What training and testing look like in a Discord message (Markdown, no hikari), as messages the plugin
renders in the reader's language."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from trainer_bot.i18n import SOURCE, Message, Number, Translator, number, percent, t, tn
from trainer_bot.ml import EvaluationResult, ItemResult, format_confusion
from trainer_bot.storage import JobStatus, TrainingJob
from trainer_bot.text import DISCORD_MESSAGE_LIMIT, inline_code, truncate_message
from trainer_bot.training import stored
from trainer_bot.training.texts import Part, error_text, joined, lines, stage_text, status_text

SHOWN_PREDICTIONS = 15
SHOWN_CONFUSION_LABELS = 12  # a wider matrix is unreadable in a message
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def progress_bar(fraction: float, width: int = 12) -> Message:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return joined(["▰" * filled + "▱" * (width - filled), " ", percent(fraction, 0)])


def _percent(value: float | None) -> Number | Message:
    return t("n/a") if value is None else percent(value)


def _label_scores(label: str, scores: dict[str, float]) -> Message:
    return t(
        "• {label}: precision {precision}, recall {recall}, F1 {f1}",
        label=inline_code(label),
        precision=_percent(scores["precision"]),
        recall=_percent(scores["recall"]),
        f1=_percent(scores["f1"]),
    )


def _cut_labels(label_lines: list[Part], shown: int | None) -> list[Part]:
    """The first `shown` per-label lines (all for None), and a line counting the ones left out."""
    if shown is None or shown >= len(label_lines):
        return label_lines
    hidden = len(label_lines) - shown
    more = tn("_…and {count} more label._", "_…and {count} more labels._", hidden)
    return [*label_lines[:shown], more]


def fitted(
    render: Callable[[int | None], str], labels: int, limit: int = DISCORD_MESSAGE_LIMIT
) -> str | None:
    """A report that fits one Discord message: with every per-label line if it can, else with as many as
    fit and a line counting the rest; None when even no label line is short enough. (Translations differ
    in length, so this is decided on the rendered text.)"""
    for shown in (None, *range(labels - 1, -1, -1)):
        text = render(shown)
        if len(text) <= limit:
            return text
    return None


def training_summary(metrics: dict[str, Any], shown_labels: int | None = None) -> Message:
    parts: list[Part] = [
        tn(
            "Trained on {count} example and {pairs} prompt/response pairs in {seconds} s.",
            "Trained on {count} examples and {pairs} prompt/response pairs in {seconds} s.",
            int(metrics.get("examples", 0)),
            pairs=int(metrics.get("pairs", 0)),
            seconds=number(float(metrics.get("seconds", 0))),
        )
    ]
    if metrics.get("accuracy") is not None:
        held_out = int(metrics.get("test_size", 0))
        parts.append(
            t(
                "Held-out accuracy **{accuracy}**, macro-F1 **{macro_f1}** ({held_out}).",
                accuracy=_percent(metrics["accuracy"]),
                macro_f1=_percent(metrics["macro_f1"]),
                held_out=tn("{count} held-out example", "{count} held-out examples", held_out),
            )
        )
        label_lines: list[Part] = [
            joined([_label_scores(label, scores), " (n=", number(float(scores["support"]), 0), ")"])
            for label, scores in sorted(metrics.get("per_label", {}).items())
        ]
        parts += _cut_labels(label_lines, shown_labels)
    # Notes are stored as `stored.to_json` keeps them: read back, they speak the reader's language.
    parts.extend(joined(["_", stored.from_json(note), "_"]) for note in metrics.get("notes", []))
    return lines(parts)


def fitted_job_text(job: TrainingJob, translator: Translator) -> str:
    """`job_text` in the reader's language, short enough for one Discord message however many labels."""
    labels = len((job.metrics or {}).get("per_label", {}))
    text = fitted(lambda shown: translator.render(job_text(job, shown)), labels)
    # Only a huge error or note list is still too long; its head says what went wrong.
    return text or truncate_message(translator.render(job_text(job, 0)), DISCORD_MESSAGE_LIMIT)


def job_text(job: TrainingJob, shown_labels: int | None = None) -> Message:
    if job.status is JobStatus.QUEUED:
        queued = t("Training job **#{job_id}**: queued, waiting for its turn.", job_id=job.id)
        return lines([queued, progress_bar(0)])
    if job.status is JobStatus.RUNNING:
        running = t("Training job **#{job_id}**: {stage}…", job_id=job.id, stage=stage_text(job.stage))
        return lines([running, progress_bar(job.progress)])
    if job.status is JobStatus.SUCCEEDED:
        return lines([_finished(job), training_summary(job.metrics or {}, shown_labels)])
    if job.status is JobStatus.CANCELLED:
        return t("Training job **#{job_id}** was cancelled.", job_id=job.id)
    return t(
        "Training job **#{job_id}** failed: {error}\nThe previous model stays active.",
        job_id=job.id,
        error=error_text(job.error),
    )


def _finished(job: TrainingJob) -> Message:
    metrics = job.metrics or {}
    if job.model_version is None and metrics.get("kept_version"):
        return t(
            "Training job **#{job_id}** finished, but the new model scored {accuracy} on its held-out "
            "examples and the active model `{kept}` scored {kept_accuracy} on the same ones, so `{kept}` "
            "stays active. Use `/train force:True` to switch anyway.",
            job_id=job.id,
            accuracy=_percent(metrics.get("accuracy")),
            kept=metrics["kept_version"],
            kept_accuracy=_percent(metrics["kept_accuracy"]),
        )
    return t(
        "Training job **#{job_id}** finished: model `{version}` is now active.",
        job_id=job.id,
        version=job.model_version,
    )


def jobs_text(jobs: list[TrainingJob]) -> Message:
    """/jobs: one line per job, newest first, with Discord's relative time."""
    return lines([_job_line(job) for job in jobs])


def _job_line(job: TrainingJob) -> Message:
    return t(
        "**#{job_id}** {status} {progress}{model} · {when}",
        job_id=job.id,
        status=status_text(job.status),
        progress=progress_bar(job.progress, 8),
        model=f" → `{job.model_version}`" if job.model_version else "",
        when=f"<t:{int(job.created_at.timestamp())}:R>",
    )


def model_live_text(job: TrainingJob, trainer_mention: str) -> Message:
    """What the channel hears when a member's training put a new model version live."""
    metrics = job.metrics or {}
    accuracy = metrics.get("accuracy")
    fields = {"version": job.model_version, "trainer": trainer_mention}
    if accuracy is None:
        return t("🧠 New model `{version}` is live, trained by {trainer}.", **fields)
    if _rough(metrics):
        return t(
            "🧠 New model `{version}` is live, trained by {trainer} (held-out accuracy {accuracy} on few "
            "examples).",
            accuracy=percent(accuracy),
            **fields,
        )
    return t(
        "🧠 New model `{version}` is live, trained by {trainer} (held-out accuracy {accuracy}).",
        accuracy=percent(accuracy),
        **fields,
    )


def job_ended_text(job: TrainingJob, trainer_mention: str) -> Message:
    """What the channel hears when a job the bot followed again after a restart ends: the trainer's own
    reply can no longer be edited (the interaction died with the process that answered it)."""
    if job.status is JobStatus.SUCCEEDED and job.model_version is not None:
        return model_live_text(job, trainer_mention)
    return joined([trainer_mention, " ", job_text(job, 0)])


def _rough(metrics: dict[str, Any]) -> bool:
    """Whether training noted its held-out figures are mostly chance (too few examples). Read from the
    notes' English, which rows from before notes were kept as messages have too."""
    return any("not reliable" in str(stored.from_json(note)) for note in metrics.get("notes", []))


def evaluation_text(
    version: str, result: EvaluationResult, *, shown: int = SHOWN_PREDICTIONS, shown_labels: int | None = None
) -> Message:
    """Scores (of the first `shown_labels` labels, None: all), the confusion matrix and the first `shown`
    predictions."""
    parts: list[Part] = [_tested_on(version, result)]
    if result.accuracy is not None:
        parts += _scores(result, shown_labels)
    parts += [_prediction(item) for item in result.items[:shown]]
    return lines(parts)


def _tested_on(version: str, result: EvaluationResult) -> Message:
    return tn(
        "Model `{version}` on {count} example.",
        "Model `{version}` on {count} examples.",
        len(result.items),
        version=version,
    )


def _scores(result: EvaluationResult, shown_labels: int | None) -> list[Part]:
    parts: list[Part] = [
        t(
            "Accuracy **{accuracy}**, macro-F1 **{macro_f1}**.",
            accuracy=_percent(result.accuracy),
            macro_f1=_percent(result.macro_f1),
        )
    ]
    label_lines: list[Part] = [
        _label_scores(label, scores) for label, scores in sorted(result.per_label.items())
    ]
    parts += _cut_labels(label_lines, shown_labels)
    labels = len(result.confusion_labels)
    if labels <= SHOWN_CONFUSION_LABELS:
        names = [label.replace("`", "ˋ") for label in result.confusion_labels]
        parts.append(t("Confusion matrix (rows: expected, columns: predicted):"))
        parts.append(f"```\n{format_confusion(result.confusion, names)}\n```")
    else:
        parts.append(
            tn(
                "_{count} label: too many for a confusion matrix here._",
                "_{count} labels: too many for a confusion matrix here._",
                labels,
            )
        )
    if result.misclassified:
        parts.append(
            tn(
                "{count} misclassified example was recorded for review.",
                "{count} misclassified examples were recorded for review.",
                len(result.misclassified),
            )
        )
    return parts


def _prediction(item: ItemResult) -> Message:
    predicted: list[Part] = [
        "• ",
        inline_code(item.text[:80]),
        " → ",
        inline_code(item.predicted),
        " ",
        percent(item.confidence, 0),
    ]
    if item.correct is True:
        predicted.append(" ✅")
    elif item.correct is False:
        predicted += [" ", t("❌ (expected {label})", label=inline_code(item.expected or ""))]
    return joined(predicted)


def evaluation_message(
    version: str, result: EvaluationResult, translator: Translator = SOURCE
) -> tuple[str, bytes | None]:
    """The reply to /test in the reader's language: everything in one message when it fits, else a summary
    and a CSV of all items. (Rendered here, not later: whether it fits depends on the language.)"""
    full = translator.render(evaluation_text(version, result))
    if len(result.items) <= SHOWN_PREDICTIONS and len(full) <= DISCORD_MESSAGE_LIMIT:
        return full, None

    def summary(shown_labels: int | None) -> str:
        text = evaluation_text(version, result, shown=0, shown_labels=shown_labels)
        return translator.render(lines([text, t("All predictions are in the attached CSV.")]))

    fitting = fitted(summary, len(result.per_label))
    if fitting is None:
        fitting = translator.render(
            tn(
                "Model `{version}` on {count} example: the full report is in the attached CSV.",
                "Model `{version}` on {count} examples: the full report is in the attached CSV.",
                len(result.items),
                version=version,
            )
        )
    return fitting, evaluation_csv(result)


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
