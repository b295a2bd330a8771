"""Text classifier: word + character n-gram TF-IDF features and a linear model with probabilities.

Model choice, measured on bench/train.py-style synthetic data on 2 CPU cores: `SGDClassifier` with log
loss rather than `LogisticRegression` (lbfgs). Both reached the same held-out accuracy, but fitting
the linear model on the same features took:

* 100k examples, 10 labels: 41 s for LogisticRegression, 14 s for SGD in one thread;
* 100k examples, 50 labels: 180 s and 3.4 GB peak, against 36 s and 0.9 GB for SGD in 2 threads;
* 10k examples, 10 labels: 9-15 s against 0.9 s.

SGD's regularisation is scaled with the data size (see `_alpha`), which gave the best held-out log
loss, i.e. the most honest confidences, from 60 to 5k examples; a fixed small alpha made it
overconfident on small sets.

Fitting in two steps: `vectorize` fits the TF-IDF vectorizers (unsupervised: they never see a label)
and keeps the feature matrix; `fit_on_features` fits the linear model on any rows of it and ships the
same fitted vectorizers in the classifier's pipeline. Training uses this to vectorize once for both its
held-out check and its final model (see fitting.py); `fit_classifier` is the one-step form of the two.

Thread-safety: `predict` does not change fitted state, so many threads may call it at once
(scikit-learn's transform/predict_proba read fitted attributes; the word vectorizer re-sets one cache
attribute to the same value on each call, which is harmless). tests/unit/test_ml.py checks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from trainer_bot.ml.errors import TrainingError
from trainer_bot.ml.normalize import WORD_PATTERN, normalize_text

MIN_LABELS = 2
MAX_LABELS = 50
# One-vs-rest fits run in threads; two keeps a big training job from taking every core of the bot's host.
_FIT_JOBS = 2
# Above this many examples, terms seen only once are dropped: they cannot generalise, and at 100k
# examples they are most of the character n-gram vocabulary (memory and model size).
_MIN_DF_THRESHOLD = 20_000


@dataclass(frozen=True)
class Prediction:
    label: str
    confidence: float  # the highest class probability, in [0, 1]


class TextClassifier:
    """A fitted pipeline plus its labels; build one with `fit_classifier`."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self._labels: tuple[str, ...] = tuple(str(label) for label in pipeline.classes_)

    @property
    def labels(self) -> tuple[str, ...]:
        return self._labels

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        if not texts:
            return []
        return self._predictions(self._pipeline.predict_proba(list(texts)))

    def predict_features(self, matrix: csr_matrix) -> list[Prediction]:
        """Like `predict`, for rows already vectorized by this classifier's own fitted vectorizers."""
        if matrix.shape[0] == 0:
            return []
        return self._predictions(self._pipeline[-1].predict_proba(matrix))

    def _predictions(self, probabilities: np.ndarray) -> list[Prediction]:
        best = np.argmax(probabilities, axis=1)
        return [
            Prediction(label=self._labels[index], confidence=float(row[index]))
            for index, row in zip(best, probabilities, strict=True)
        ]


@dataclass(frozen=True)
class Features:
    """Fitted vectorizers and the feature matrix of the texts they were fitted on, one row per text."""

    union: FeatureUnion
    matrix: csr_matrix

    def select(self, rows: Sequence[int]) -> csr_matrix:
        return self.matrix[list(rows)]


def fit_classifier(texts: Sequence[str], labels: Sequence[str], *, seed: int = 0) -> TextClassifier:
    """Fit a classifier; raises `TrainingError` with a member-readable reason when it cannot."""
    check_labels(labels)
    return fit_on_features(vectorize(texts), labels, seed=seed)


def vectorize(texts: Sequence[str]) -> Features:
    """Fit the vectorizers on `texts` (no labels involved) and return them with the texts' features;
    raises `TrainingError` when the texts have nothing to learn from."""
    union = _features(len(texts))
    try:
        matrix = union.fit_transform(list(texts))
    except ValueError as exc:
        if not is_empty_vocabulary(exc):
            raise
        raise TrainingError(
            "the examples contain no words to learn from (only spaces, punctuation or emoji)"
        ) from exc
    return Features(union, csr_matrix(matrix))


def fit_on_features(
    features: Features, labels: Sequence[str], *, rows: Sequence[int] | None = None, seed: int = 0
) -> TextClassifier:
    """Fit the linear model on `rows` of `features` (all of them by default; `labels` has one label per
    fitted row) and return a classifier whose pipeline holds the same fitted vectorizers."""
    check_labels(labels)
    matrix = features.matrix if rows is None else features.select(rows)
    if matrix.shape[0] != len(labels):
        raise ValueError(f"{matrix.shape[0]} feature rows but {len(labels)} labels")
    model = _model(len(labels), seed=seed)
    model.fit(matrix, list(labels))
    return TextClassifier(Pipeline([("features", features.union), ("model", model)]))


def is_empty_vocabulary(exc: ValueError) -> bool:
    """Whether a vectorizer refused the texts because they had no n-grams (empty strings, only spaces)."""
    message = str(exc)
    return "empty vocabulary" in message or "no terms remain" in message


def check_labels(labels: Sequence[str]) -> None:
    distinct = len(set(labels))
    if distinct < MIN_LABELS:
        raise TrainingError("training needs at least two labels; add negative examples with positive=false")
    if distinct > MAX_LABELS:
        raise TrainingError(
            f"training supports at most {MAX_LABELS} labels, but the examples have {distinct}"
        )


def build_pipeline(n_examples: int, *, seed: int = 0) -> Pipeline:
    """The unfitted pipeline `fit_classifier` fits in two steps (`vectorize`, then `fit_on_features`)."""
    return Pipeline([("features", _features(n_examples)), ("model", _model(n_examples, seed=seed))])


def _features(n_examples: int) -> FeatureUnion:
    min_df = 2 if n_examples >= _MIN_DF_THRESHOLD else 1
    return FeatureUnion(
        [
            # WORD_PATTERN keeps one-letter words ("я", "5"), which sklearn's default pattern drops.
            (
                "words",
                _vectorizer(analyzer="word", ngram_range=(1, 2), min_df=min_df, token_pattern=WORD_PATTERN),
            ),
            ("chars", _vectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=min_df)),
        ]
    )


def _model(n_examples: int, *, seed: int) -> SGDClassifier:
    return SGDClassifier(loss="log_loss", alpha=_alpha(n_examples), random_state=seed, n_jobs=_FIT_JOBS)


def _vectorizer(**options: Any) -> TfidfVectorizer:
    return TfidfVectorizer(
        preprocessor=normalize_text,  # replaces sklearn's lowercase(): casefold + NFKC + ё→е
        sublinear_tf=True,
        dtype=np.float32,  # halves the feature matrix, the biggest allocation when fitting
        **options,
    )


def _alpha(n_examples: int) -> float:
    # Stronger regularisation for small sets keeps SGD from being overconfident on a few dozen examples.
    return min(1e-4, max(1e-5, 0.1 / max(n_examples, 1)))
