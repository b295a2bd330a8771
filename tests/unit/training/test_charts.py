"""Result charts: valid PNGs of a fixed size, bounded for huge label sets, safe with any label text."""

from __future__ import annotations

import io
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image

from trainer_bot.i18n import Translations
from trainer_bot.ml import EvaluationResult, ItemResult
from trainer_bot.storage import JobStatus, TrainingJob
from trainer_bot.training import charts

EXPECTED_SIZE = (1200, 600)


def job(job_id: int = 7, *, status: JobStatus = JobStatus.SUCCEEDED, **metrics: Any) -> TrainingJob:
    return TrainingJob(
        id=job_id,
        guild_id=1,
        requested_by=2,
        channel_id=3,
        status=status,
        progress=1.0,
        stage="done",
        error=None,
        metrics=metrics or None,
        dataset_ids=(),
        model_version=f"v{job_id:04d}-20260101T000000" if status is JobStatus.SUCCEEDED else None,
        created_at=datetime.now(UTC),
        started_at=None,
        finished_at=None,
    )


def per_label(labels: list[str], seed: int = 0) -> dict[str, dict[str, float]]:
    rng = random.Random(seed)
    return {
        label: {
            "precision": rng.random(),
            "recall": rng.random(),
            "f1": rng.random(),
            "support": rng.randint(0, 40),
        }
        for label in labels
    }


def scored(labels: list[str], seed: int = 0) -> EvaluationResult:
    rng = random.Random(seed)
    matrix = [[rng.randint(0, 3) for _ in labels] for _ in labels]
    items = [ItemResult("text", labels[0], 0.9, labels[0], True)]
    return EvaluationResult(
        items=items,
        accuracy=0.5,
        macro_f1=0.4,
        per_label=per_label(labels, seed),
        confusion_labels=labels,
        confusion=matrix,
    )


def assert_png(data: bytes | None) -> Image.Image:
    assert data is not None and data.startswith(charts.PNG_SIGNATURE)
    image = Image.open(io.BytesIO(data))
    image.load()  # decodes every pixel: a truncated file fails here
    assert image.format == "PNG" and image.size == EXPECTED_SIZE
    return image


def test_a_successful_training_job_is_drawn_as_f1_bars() -> None:
    metrics = {"accuracy": 0.9, "macro_f1": 0.88, "test_size": 24, "per_label": per_label(["good", "bad"])}
    assert_png(charts.training_chart(job(**metrics)))


def test_no_training_chart_without_held_out_figures_or_success() -> None:
    assert charts.training_chart(job(accuracy=None, per_label={})) is None
    assert charts.training_chart(job(status=JobStatus.FAILED, per_label=per_label(["a", "b"]))) is None


def test_a_labelled_test_is_drawn_and_an_unlabelled_one_is_not() -> None:
    assert_png(charts.evaluation_chart(scored(["positive", "negative", "neutral"])))
    unlabelled = EvaluationResult(items=[ItemResult("text", "positive", 0.9, None, None)])
    assert charts.evaluation_chart(unlabelled) is None


def test_a_thousand_labels_render_within_bounded_time_and_size() -> None:
    labels = [f"label {n}" for n in range(1000)]
    started = time.perf_counter()
    png = charts.evaluation_chart(scored(labels))
    elapsed = time.perf_counter() - started
    assert_png(png)
    assert png is not None and len(png) < 1_000_000
    assert elapsed < 15, f"rendering took {elapsed:.1f} s"  # ~1 s alone; the test machine is shared


# pytest resets warning filters for each test; in the bot, charts.py silences missing glyphs itself.
@pytest.mark.filterwarnings("ignore:Glyph")
def test_labels_with_dollars_and_long_labels_do_not_break_rendering() -> None:
    labels = ["$x$", r"$\notacommand{$", "price: $5 or $6", "a" * 5000, "tab\tand\nnewline", "", "日本語 🧪"]
    assert_png(charts.evaluation_chart(scored(labels)))
    metrics = {"accuracy": 0.5, "macro_f1": 0.5, "test_size": 10, "per_label": per_label(labels)}
    assert_png(charts.training_chart(job(**metrics)))


def test_display_keeps_labels_short_one_line_and_free_of_mathtext() -> None:
    assert charts.display("$x^2$") == r"\$x^2\$"
    assert charts.display("line\nbreak\x00here") == "line break here"
    assert charts.display("") == "∅"
    long = charts.display("b" * 500)
    assert len(long) == charts.MAX_LABEL_CHARS and long.endswith("…")


def test_a_wide_confusion_matrix_folds_into_others_without_losing_counts() -> None:
    labels = [f"l{n}" for n in range(30)]
    matrix = [[(row * 31 + column) % 5 for column in range(30)] for row in range(30)]
    matrix[29][29] = 1000  # the busiest label keeps its own row even though it is last
    names, counts = charts.fold_confusion(labels, matrix, 12)
    assert len(names) == 12 and counts.shape == (12, 12)
    assert names[-1] == "(19 others)" and "l29" in names
    assert int(counts.sum()) == sum(map(sum, matrix))
    small_names, small = charts.fold_confusion(["a", "b"], [[1, 2], [3, 4]], 12)
    assert small_names == ["a", "b"] and small.tolist() == [[1, 2], [3, 4]]


def test_accuracy_of_recent_jobs_skips_jobs_without_a_score() -> None:
    jobs = [job(n, accuracy=0.5 + n / 100, macro_f1=0.5) for n in range(1, 40)]
    jobs.append(job(40, status=JobStatus.FAILED))
    jobs.append(job(41, accuracy=None, macro_f1=None))
    assert_png(charts.accuracy_chart(jobs))
    assert charts.accuracy_chart([job(1, status=JobStatus.FAILED), job(2, accuracy=None)]) is None
    assert charts.accuracy_chart([]) is None


def test_charts_render_side_by_side_in_threads() -> None:
    results = [scored(["a", "b", "c"], seed) for seed in range(6)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        for png in pool.map(charts.evaluation_chart, results):
            assert_png(png)


def test_importing_the_charts_does_not_import_matplotlib() -> None:
    """The bot starts without matplotlib; it loads with the first chart, in a worker thread."""
    code = "import sys, trainer_bot.training.charts; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False, timeout=60).returncode == 0


def chart_texts(monkeypatch: pytest.MonkeyPatch, draw_chart: Callable[[], object]) -> list[str]:
    """Every text a chart shows (titles, axis labels, ticks, legend), drawn on a figure kept for reading."""
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    texts: list[str] = []

    def keep(draw: Callable[[Figure], None]) -> bytes:
        figure = Figure(figsize=charts.SIZE_INCHES, dpi=charts.DPI)
        draw(figure)
        texts.extend(text.get_text() for text in figure.findobj(Text) if text.get_text())
        return b""

    monkeypatch.setattr(charts, "_render", keep)
    draw_chart()
    return texts


def test_charts_speak_the_readers_language(monkeypatch: pytest.MonkeyPatch) -> None:
    russian = Translations.load().get("ru")
    labels = [f"l{n}" for n in range(30)]
    metrics = {"accuracy": 0.9, "macro_f1": 0.8, "test_size": 24, "per_label": per_label(labels)}
    texts = [
        *chart_texts(monkeypatch, lambda: charts.training_chart(job(**metrics), russian)),
        *chart_texts(monkeypatch, lambda: charts.evaluation_chart(scored(labels), russian)),
        *chart_texts(monkeypatch, lambda: charts.accuracy_chart([job(1, **metrics)], russian)),
    ]
    assert (
        "Задача №7: F1 по меткам на 24 отложенных примерах (первые 20 из 30 меток по числу примеров)" in texts
    )
    assert {"Матрица ошибок (первые 11 из 30 меток)", "предсказано", "ожидалось", "(ещё 19)"} <= set(texts)
    assert "точность на отложенных примерах" in texts
    # What is left in Latin letters: labels, versions, and the metric names Russian keeps.
    english = {word for text in texts for word in re.findall(r"[A-Za-z]{2,}", text)}
    assert english <= {"macro"}, english
