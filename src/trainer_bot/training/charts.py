"""PNG charts of results: per-label F1 bars, a confusion-matrix heatmap, held-out accuracy of recent models.

Drawn with matplotlib's object API (a `Figure` on the Agg canvas), never `pyplot`, whose global figure
registry worker threads would share. Every chart has a fixed size and at most `MAX_BARS` bars or
`SHOWN_CONFUSION_LABELS` rows, so rendering time and PNG size stay bounded whatever a member uploaded.
Blocking (about a tenth of a second, plus matplotlib's import the first time): call it in a worker thread.
Titles, axis labels and legends speak the reader's language: each chart takes the reader's `Translator`.
"""

from __future__ import annotations

import io
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from trainer_bot.i18n import SOURCE, Message, Translator, t, tn
from trainer_bot.ml import EvaluationResult
from trainer_bot.storage import JobStatus, TrainingJob
from trainer_bot.training.reports import SHOWN_CONFUSION_LABELS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SIZE_INCHES = (12.0, 6.0)
DPI = 100  # so every chart is 1200 x 600 pixels
MAX_BARS = 20
MAX_LABEL_CHARS = 28
_FONT_SIZE = 9
# matplotlib's font and text-layout caches are process-wide and not documented as thread-safe; charts
# are rare and quick, so they are drawn one at a time.
_RENDER_LOCK = threading.Lock()
# A label in a script DejaVu Sans lacks (CJK, some emoji) is drawn as boxes, which is fine; without this,
# each new character would also add a warning to the bot's log.
warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)


@dataclass(frozen=True)
class _Bar:
    label: str
    f1: float
    support: float


def training_chart(job: TrainingJob, translator: Translator = SOURCE) -> bytes | None:
    """/train's result: per-label F1 on the held-out examples; None when nothing was held out."""
    metrics = job.metrics or {}
    per_label: Mapping[str, Mapping[str, float]] = metrics.get("per_label") or {}
    if job.status is not JobStatus.SUCCEEDED or not per_label:
        return None
    title = tn(
        "Job #{job_id}: F1 per label on {count} held-out example",
        "Job #{job_id}: F1 per label on {count} held-out examples",
        int(metrics.get("test_size", 0)),
        job_id=job.id,
    )
    return _render(lambda figure: _f1_bars(figure.add_subplot(), per_label, title, translator))


def evaluation_chart(result: EvaluationResult, translator: Translator = SOURCE) -> bytes | None:
    """/test's result: per-label F1 beside the confusion matrix; None for a test set without labels."""
    if result.accuracy is None or not result.per_label:
        return None
    title = tn("F1 per label on {count} example", "F1 per label on {count} examples", len(result.items))

    def draw(figure: Figure) -> None:
        bars, heatmap = figure.subplots(1, 2, width_ratios=(1, 1))
        _f1_bars(bars, result.per_label, title, translator)
        _confusion(heatmap, result.confusion_labels, result.confusion, translator)

    return _render(draw)


def accuracy_chart(jobs: Sequence[TrainingJob], translator: Translator = SOURCE) -> bytes | None:
    """Held-out accuracy and macro-F1 of the newest succeeded jobs, oldest first; None when none has any."""
    scored = sorted(
        (
            job
            for job in jobs
            if job.status is JobStatus.SUCCEEDED and (job.metrics or {}).get("accuracy") is not None
        ),
        key=lambda job: job.id,
    )[-MAX_BARS:]
    if not scored:
        return None
    return _render(lambda figure: _accuracy_bars(figure.add_subplot(), scored, translator))


def _render(draw: Callable[[Figure], None]) -> bytes:
    # Imported here, not at the top: the bot starts without paying for matplotlib until the first chart.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _RENDER_LOCK:
        figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        draw(figure)
        buffer = io.BytesIO()
        # No bbox_inches="tight": it would make the size depend on the labels. No metadata: stable bytes.
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _f1_bars(
    axes: Axes, per_label: Mapping[str, Mapping[str, float]], title: Message, translator: Translator
) -> None:
    """Horizontal bars for the labels with the most examples, most at the top."""
    bars = sorted(
        (
            _Bar(label, float(s.get("f1", 0.0)), float(s.get("support", 0.0)))
            for label, s in per_label.items()
        ),
        key=lambda bar: (-bar.support, bar.label),
    )
    shown = bars[:MAX_BARS]
    heading = translator.render(title)
    if len(bars) > len(shown):
        top = tn(
            "(top {shown} of {count} label by examples)",
            "(top {shown} of {count} labels by examples)",
            len(bars),
            shown=len(shown),
        )
        heading += " " + translator.render(top)
    positions = range(len(shown))
    axes.barh(positions, [bar.f1 for bar in shown], color="#4c72b0")
    axes.set_yticks(positions, [f"{display(bar.label)} (n={bar.support:.0f})" for bar in shown])
    axes.invert_yaxis()
    axes.set_xlim(0, 1.12)  # room for the value beside a perfect bar
    axes.set_xlabel("F1", fontsize=_FONT_SIZE)
    axes.tick_params(labelsize=_FONT_SIZE)
    for position, bar in zip(positions, shown, strict=True):
        axes.text(bar.f1 + 0.01, position, f"{bar.f1:.0%}", va="center", fontsize=_FONT_SIZE - 1)
    axes.set_title(heading, fontsize=_FONT_SIZE + 1)


def _confusion(
    axes: Axes, labels: Sequence[str], matrix: Sequence[Sequence[int]], translator: Translator
) -> None:
    """Counts in each cell, coloured by the share of the expected label's row (so rare labels show too)."""
    names, counts = fold_confusion(labels, matrix, SHOWN_CONFUSION_LABELS, translator)
    rows = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    ticks = np.arange(len(names))
    axes.set_xticks(ticks, names, rotation=35, ha="right", rotation_mode="anchor")
    axes.set_yticks(ticks, names)
    axes.tick_params(labelsize=_FONT_SIZE)
    axes.set_xlabel(translator.render(t("predicted")), fontsize=_FONT_SIZE)
    axes.set_ylabel(translator.render(t("expected")), fontsize=_FONT_SIZE)
    for (row, column), count in np.ndenumerate(counts):
        if count:
            colour = "white" if shares[row, column] > 0.6 else "black"
            axes.text(
                column,
                row,
                _count(int(count)),
                ha="center",
                va="center",
                color=colour,
                fontsize=_FONT_SIZE - 1,
            )
    title = translator.render(t("Confusion matrix"))
    if len(labels) > len(names):
        top = tn(
            "(top {shown} of {count} label)",
            "(top {shown} of {count} labels)",
            len(labels),
            shown=len(names) - 1,
        )
        title += " " + translator.render(top)
    axes.set_title(title, fontsize=_FONT_SIZE + 1)


def fold_confusion(
    labels: Sequence[str], matrix: Sequence[Sequence[int]], limit: int, translator: Translator = SOURCE
) -> tuple[list[str], np.ndarray[Any, np.dtype[np.int64]]]:
    """Display names and counts of at most `limit` labels: the busiest `limit - 1` keep their own row and
    column, in their original order, and the rest add up in a last "others" one, so no count is lost."""
    counts = np.asarray(matrix, dtype=np.int64).reshape(len(labels), len(labels))
    if len(labels) <= limit:
        return [display(label) for label in labels], counts
    busy = counts.sum(axis=0) + counts.sum(axis=1)
    kept = np.sort(np.argsort(-busy, kind="stable")[: limit - 1])
    bucket = np.full(len(labels), limit - 1)
    bucket[kept] = np.arange(limit - 1)
    folded = np.zeros((limit, limit), dtype=np.int64)
    np.add.at(folded, (bucket[:, None], bucket[None, :]), counts)
    others = tn("({count} other)", "({count} others)", len(labels) - len(kept))
    names = [display(labels[index]) for index in kept] + [translator.render(others)]
    return names, folded


def _count(count: int) -> str:
    """At most four characters, so a count fits its cell even in a 10,000-example test."""
    if count < 1000:
        return str(count)
    if count < 10_000:
        return f"{count / 1000:.1f}k"
    return f"{count // 1000}k" if count < 1_000_000 else f"{count / 1_000_000:.1f}M"


def _accuracy_bars(axes: Axes, jobs: Sequence[TrainingJob], translator: Translator) -> None:
    """One bar per job; the jobs whose model did not go live (the active one scored better) are grey."""
    from matplotlib.ticker import PercentFormatter

    positions = range(len(jobs))
    metrics = [job.metrics or {} for job in jobs]
    accuracy = [float(m["accuracy"]) for m in metrics]
    colours = ["#4c72b0" if job.model_version else "#b0b0b0" for job in jobs]
    axes.bar(positions, accuracy, color=colours, label=translator.render(t("held-out accuracy")))
    macro_f1 = [float(m["macro_f1"]) if m.get("macro_f1") is not None else np.nan for m in metrics]
    axes.plot(positions, macro_f1, "o-", color="#dd8452", label="macro-F1")
    for position, value in zip(positions, accuracy, strict=True):
        axes.text(position, value + 0.01, f"{value:.0%}", ha="center", va="bottom", fontsize=_FONT_SIZE - 1)
    axes.set_xticks(positions, [_job_tick(job, translator) for job in jobs])
    axes.set_ylim(0, 1.2)  # room above the bars for the legend
    axes.set_yticks([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.tick_params(labelsize=_FONT_SIZE)
    axes.legend(loc="upper left", ncols=2, fontsize=_FONT_SIZE)
    title = tn(
        "Held-out accuracy of the last trained model (grey: not made active; "
        "each is scored on its own held-out examples)",
        "Held-out accuracy of the last {count} trained models (grey: not made active; "
        "each is scored on its own held-out examples)",
        len(jobs),
    )
    axes.set_title(translator.render(title), fontsize=_FONT_SIZE + 1)


def _job_tick(job: TrainingJob, translator: Translator) -> str:
    live = job.model_version or translator.render(t("not live"))
    version = live.split("-", 1)[0]  # "v0003-20260101T…" -> "v0003"
    return f"#{job.id}\n{display(version)}"


def display(text: str) -> str:
    """Member text as a chart may show it: one line, at most MAX_LABEL_CHARS, and every `$` literal.

    matplotlib reads text between two `$` as a formula (mathtext); a label such as `$\\x$` would fail
    to render. Escaping works on every text object, including tick labels matplotlib creates later.
    """
    line = " ".join("".join(char if char.isprintable() else " " for char in text).split()) or "∅"
    if len(line) > MAX_LABEL_CHARS:
        line = line[: MAX_LABEL_CHARS - 1] + "…"
    return line.replace("$", r"\$")
