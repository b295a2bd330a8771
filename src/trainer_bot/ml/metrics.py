"""Scoring: held-out metrics for training reports and the /test command's evaluation.

Per-label figures and macro-F1 cover the labels that occur among the expected or predicted labels of
the evaluated texts; a label with no test examples that was never predicted has no meaningful
precision or recall, and counting it as 0 would drag macro-F1 down for no reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from trainer_bot.ml.model import TrainedModel

PerLabel = dict[str, dict[str, float]]  # label -> {"precision", "recall", "f1", "support"}
# The confusion table's corner: expected labels run down, predicted ones across. Arrows, not words, so the
# table reads the same in every language (the caption above it says which is which).
_CORNER = "↓ →"


@dataclass(frozen=True)
class Scores:
    accuracy: float
    macro_f1: float
    per_label: PerLabel


@dataclass(frozen=True)
class ItemResult:
    text: str
    predicted: str
    confidence: float
    expected: str | None  # None when evaluated without labels
    correct: bool | None


@dataclass(frozen=True)
class EvaluationResult:
    items: list[ItemResult]
    accuracy: float | None = None  # the fields below are only filled when labels were given
    macro_f1: float | None = None
    per_label: PerLabel = field(default_factory=dict)
    confusion_labels: list[str] = field(default_factory=list)  # order of the matrix's rows and columns
    confusion: list[list[int]] = field(default_factory=list)  # rows: expected, columns: predicted
    misclassified: list[ItemResult] = field(default_factory=list)


def score(expected: Sequence[str], predicted: Sequence[str]) -> Scores:
    """Accuracy, macro-F1 and per-label precision/recall/F1/support for non-empty, equal-length lists."""
    labels = sorted(set(expected) | set(predicted))
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    precision, recall, f1, support = precision_recall_fscore_support(
        list(expected), list(predicted), labels=labels, zero_division=0
    )
    per_label = {
        label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": float(s)}
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    }
    return Scores(
        accuracy=float(accuracy_score(list(expected), list(predicted))),
        macro_f1=float(f1.mean()),
        per_label=per_label,
    )


def evaluate(
    model: TrainedModel, texts: Sequence[str], labels: Sequence[str] | None = None
) -> EvaluationResult:
    """Predict `texts`; with `labels` (one per text) also score them. Blocking: run it in a thread."""
    if labels is not None and len(labels) != len(texts):
        raise ValueError(f"got {len(texts)} texts but {len(labels)} labels")
    predictions = model.predict(texts)
    expected: Sequence[str | None] = labels if labels is not None else [None] * len(texts)
    items = [
        ItemResult(
            text=text,
            predicted=prediction.label,
            confidence=prediction.confidence,
            expected=truth,
            correct=None if truth is None else truth == prediction.label,
        )
        for text, prediction, truth in zip(texts, predictions, expected, strict=True)
    ]
    if labels is None or not items:
        return EvaluationResult(items=items)
    return _scored(model, items, list(labels))


def _scored(model: TrainedModel, items: list[ItemResult], expected: list[str]) -> EvaluationResult:
    predicted = [item.predicted for item in items]
    scores = score(expected, predicted)
    order = _confusion_order(model.labels, expected, predicted)
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(expected, predicted, labels=order)
    return EvaluationResult(
        items=items,
        accuracy=scores.accuracy,
        macro_f1=scores.macro_f1,
        per_label=scores.per_label,
        confusion_labels=order,
        confusion=[[int(count) for count in row] for row in matrix],
        misclassified=[item for item in items if item.correct is False],
    )


def _confusion_order(model_labels: Sequence[str], expected: list[str], predicted: list[str]) -> list[str]:
    """Labels that occur, in the model's order, then expected labels the model has never seen (sorted).

    Labels that occur nowhere are left out so that a five-message /test against a 50-label model
    stays readable.
    """
    present = set(expected) | set(predicted)
    known = [label for label in model_labels if label in present]
    return known + sorted(present - set(model_labels))


def format_confusion(
    matrix: Sequence[Sequence[int]], labels: Sequence[str], *, max_label_width: int = 16
) -> str:
    """Render a confusion matrix as a monospace table for a Discord code block.

    Rows are expected labels, numbered; columns use the same numbers, so long label names are only
    written once; the corner's arrows point along the expected and predicted labels. Zeros are shown as "." to make the diagonal and the mistakes stand out.
    """
    if len(matrix) != len(labels) or any(len(row) != len(labels) for row in matrix):
        raise ValueError("the matrix must be square with one row and column per label")
    if not labels:
        return "(no labels)"
    numbers = [str(index) for index in range(1, len(labels) + 1)]
    names = [_truncate(label, max_label_width) for label in labels]
    cell = max(len(numbers[-1]), *(len(str(count)) for row in matrix for count in row))
    head_width = len(numbers[-1]) + 1 + max(len(name) for name in names)
    lines = [_row(_CORNER[:head_width], numbers, head_width, cell)]
    for number, name, row in zip(numbers, names, matrix, strict=True):
        cells = [str(count) if count else "." for count in row]
        lines.append(_row(f"{number:>{len(numbers[-1])}} {name}", cells, head_width, cell))
    return "\n".join(lines)


def _row(head: str, cells: Sequence[str], head_width: int, cell: int) -> str:
    return (f"{head:<{head_width}} " + " ".join(f"{value:>{cell}}" for value in cells)).rstrip()


def _truncate(label: str, width: int) -> str:
    return label if len(label) <= width else label[: max(width - 1, 0)] + "…"
