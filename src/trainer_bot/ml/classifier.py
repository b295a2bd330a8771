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

Thread-safety: `predict` does not change fitted state, so many threads may call it at once
(scikit-learn's transform/predict_proba read fitted attributes; the word vectorizer re-sets one cache
attribute to the same value on each call, which is harmless). tests/unit/test_ml.py checks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
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
        probabilities = self._pipeline.predict_proba(list(texts))
        best = np.argmax(probabilities, axis=1)
        return [
            Prediction(label=self._labels[index], confidence=float(row[index]))
            for index, row in zip(best, probabilities, strict=True)
        ]


def fit_classifier(texts: Sequence[str], labels: Sequence[str], *, seed: int = 0) -> TextClassifier:
    """Fit a classifier; raises `TrainingError` with a member-readable reason when it cannot."""
    check_labels(labels)
    pipeline = build_pipeline(len(texts), seed=seed)
    try:
        pipeline.fit(list(texts), list(labels))
    except ValueError as exc:
        if not is_empty_vocabulary(exc):
            raise
        raise TrainingError(
            "the examples contain no words to learn from (only spaces, punctuation or emoji)"
        ) from exc
    return TextClassifier(pipeline)


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
    min_df = 2 if n_examples >= _MIN_DF_THRESHOLD else 1
    features = FeatureUnion(
        [
            # WORD_PATTERN keeps one-letter words ("я", "5"), which sklearn's default pattern drops.
            (
                "words",
                _vectorizer(analyzer="word", ngram_range=(1, 2), min_df=min_df, token_pattern=WORD_PATTERN),
            ),
            ("chars", _vectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=min_df)),
        ]
    )
    model = SGDClassifier(loss="log_loss", alpha=_alpha(n_examples), random_state=seed, n_jobs=_FIT_JOBS)
    return Pipeline([("features", features), ("model", model)])


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
