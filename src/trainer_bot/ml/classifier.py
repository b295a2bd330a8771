"""Text classifier: hashed word + character n-gram TF-IDF features and a linear model with probabilities.

Features, measured with bench/datasets.py and train_model on 10k examples and 10 labels (accuracy on
2,000 unseen ones; with 2,000 of them, differences under ~0.007 are noise), and the time on 100k:

=========================================  =========  =====  =======  ==========  ==========
features                                   synthetic  typos  Russian  model file  100k train
=========================================  =========  =====  =======  ==========  ==========
word 1-2 + char_wb 2-5 TF-IDF vocabularies    0.8935  0.8605   0.8250    9-17 MB      57.8 s
word 1-2 TF-IDF only                          0.8985  0.8395   0.4355     5-8 MB
hashed word 1-2 + char_wb 3-4, 2x2^16         0.8935  0.8640   0.8420     5.8 MB     ~2x 4-4
hashed word 1-2 + char_wb 4, 2x2^16           0.8950  0.8620   0.8395     5.8 MB
=========================================  =========  =====  =======  ==========  ==========

Words alone were 10x faster but failed on inflected Russian (a stem met in forms nobody taught) and
lost two points on typos, so character n-grams stay. Hashing them (`HashingVectorizer`, no vocabulary)
instead of keeping vocabularies removed the two big dicts that were 70% of a loaded model's memory;
2^16 columns per kind were as accurate as 2^17 and 2^18 and better than 2^15. Character 4-grams alone
scored as well as 3- and 4-grams together (within the noise, on all three sets) and took 100k examples
from 16.7 s to 9.5 s in the same run (0.902 against 0.906, both within noise of the vocabularies'
0.908), so the 3-grams went. The linear model's weights are one float32 row per label over those
columns, so models with more labels get fewer columns (`_hash_bits`) and every model's weights stay
near 6 MB.

Model choice, measured on bench/train.py-style synthetic data on 2 CPU cores: `SGDClassifier` with log
loss rather than `LogisticRegression` (lbfgs). Both reached the same held-out accuracy, but fitting
the linear model on the same features took:

* 100k examples, 10 labels: 41 s for LogisticRegression, 14 s for SGD in one thread;
* 100k examples, 50 labels: 180 s and 3.4 GB peak, against 36 s and 0.9 GB for SGD in 2 threads;
* 10k examples, 10 labels: 9-15 s against 0.9 s.

SGD's regularisation is scaled with the data size (see `_alpha`), which gave the best held-out log
loss, i.e. the most honest confidences, from 60 to 5k examples; a fixed small alpha made it
overconfident on small sets.

Fitting in steps: `vectorize` fits the feature pipeline (unsupervised: only document frequencies, no
label) and keeps the feature matrix; `fit_on_features` fits the linear model on any rows of it, and
`refine_on_features` continues a fitted model over all rows for a few epochs. Training uses these to
vectorize once and fit once (see fitting.py); `fit_classifier` is the one-step form.

Thread-safety: `predict` does not change fitted state, so many threads may call it at once
(scikit-learn's transform/predict_proba read fitted attributes). tests/unit/test_ml.py checks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trainer_bot.i18n import t
from trainer_bot.ml.errors import TrainingError
from trainer_bot.ml.normalize import WORD_PATTERN, normalize_text

if TYPE_CHECKING:  # scikit-learn, scipy and numpy are imported where they are used: not at the bot's start
    import numpy as np
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline

MIN_LABELS = 2
MAX_LABELS = 50
# One-vs-rest fits run in threads; two keeps a big training job from taking every core of the bot's host.
_FIT_JOBS = 2
# Hashed columns per kind of feature (words, characters) by number of labels: at most ~6 MB of weights.
_HASH_BITS = ((12, 16), (25, 15))  # (up to this many labels, bits); more labels: 14 bits
# Epochs over every example that turn the held-out trial model into the shipped one (see fitting.py).
REFINE_EPOCHS = 2


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
    def pipeline(self) -> Pipeline:
        return self._pipeline

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
        import numpy as np

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
    return fit_on_features(vectorize(texts, labels=len(set(labels))), labels, seed=seed)


def vectorize(texts: Sequence[str], *, labels: int | None = None) -> Features:
    """Fit the feature pipeline on `texts` (document frequencies only, no labels involved) and return it
    with the texts' features, sized for `labels` labels (None: the most); raises `TrainingError` when the
    texts have nothing to learn from."""
    from scipy.sparse import csr_matrix

    union = _features(labels)
    matrix = csr_matrix(union.fit_transform(list(texts)))
    word_columns = 2 ** _hash_bits(labels)  # the union's first block; punctuation still has char n-grams
    # No vocabulary to find empty: look for word features. (Counting indices; slicing the columns of a
    # 100k-row matrix copied it, ~1 s.)
    if not (matrix.indices < word_columns).any():
        raise TrainingError(
            t("the examples contain no words to learn from (only spaces, punctuation or emoji)")
        )
    return Features(union, matrix)


def fit_on_features(
    features: Features, labels: Sequence[str], *, rows: Sequence[int] | None = None, seed: int = 0
) -> TextClassifier:
    """Fit the linear model on `rows` of `features` (all of them by default; `labels` has one label per
    fitted row) and return a classifier whose pipeline holds the same fitted vectorizers."""
    check_labels(labels)
    matrix = features.matrix if rows is None else features.select(rows)
    if matrix.shape[0] != len(labels):
        raise ValueError(f"{matrix.shape[0]} feature rows but {len(labels)} labels")
    from sklearn.pipeline import Pipeline

    model = _model(len(labels), seed=seed)
    model.fit(matrix, list(labels))
    return TextClassifier(Pipeline([("features", features.union), ("model", model)]))


def refine_on_features(
    classifier: TextClassifier, features: Features, labels: Sequence[str]
) -> TextClassifier:
    """`classifier`'s linear model, continued for REFINE_EPOCHS epochs over every row of `features`
    (`labels`: one per row, the same label set it was fitted on); the learning rate goes on decreasing
    from where its fit stopped. Changes `classifier` in place and returns it."""
    if features.matrix.shape[0] != len(labels):
        raise ValueError(f"{features.matrix.shape[0]} feature rows but {len(labels)} labels")
    import numpy as np

    model: SGDClassifier = classifier.pipeline[-1]
    targets = np.asarray(labels, dtype=object)
    for _ in range(REFINE_EPOCHS):
        model.partial_fit(features.matrix, targets)
    return classifier


def is_empty_vocabulary(exc: ValueError) -> bool:
    """Whether a vectorizer refused the texts because they had no n-grams (empty strings, only spaces)."""
    message = str(exc)
    return "empty vocabulary" in message or "no terms remain" in message


def check_labels(labels: Sequence[str]) -> None:
    distinct = len(set(labels))
    if distinct < MIN_LABELS:
        raise TrainingError(
            t("training needs at least two labels; add negative examples with positive=false")
        )
    if distinct > MAX_LABELS:
        raise TrainingError(
            t(
                "training supports at most {limit} labels, but the examples have {count}",
                limit=MAX_LABELS,
                count=distinct,
            )
        )


def build_pipeline(n_examples: int, *, seed: int = 0, labels: int | None = None) -> Pipeline:
    """The unfitted pipeline `fit_classifier` fits in two steps (`vectorize`, then `fit_on_features`)."""
    from sklearn.pipeline import Pipeline

    return Pipeline([("features", _features(labels)), ("model", _model(n_examples, seed=seed))])


def _features(labels: int | None) -> FeatureUnion:
    from sklearn.pipeline import FeatureUnion

    from trainer_bot.ml.hashing import hashed_tfidf

    bits = _hash_bits(labels)
    return FeatureUnion(
        [
            # WORD_PATTERN keeps one-letter words ("я", "5"), which sklearn's default pattern drops.
            (
                "words",
                hashed_tfidf(
                    bits, normalize_text, analyzer="word", ngram_range=(1, 2), token_pattern=WORD_PATTERN
                ),
            ),
            ("chars", hashed_tfidf(bits, normalize_text, analyzer="char_wb", ngram_range=(4, 4))),
        ]
    )


def _hash_bits(labels: int | None) -> int:
    count = MAX_LABELS if labels is None else labels
    return next((bits for most, bits in _HASH_BITS if count <= most), 14)


def _model(n_examples: int, *, seed: int) -> SGDClassifier:
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", alpha=_alpha(n_examples), random_state=seed, n_jobs=_FIT_JOBS)


def _alpha(n_examples: int) -> float:
    # Stronger regularisation for small sets keeps SGD from being overconfident on a few dozen examples.
    return min(1e-4, max(1e-5, 0.1 / max(n_examples, 1)))
