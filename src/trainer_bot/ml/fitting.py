"""Training entry point: a pure, blocking function that the job runner calls in a worker thread.

Held-out evaluation: each label's examples are shuffled (seeded) and `test_fraction` of them, rounded,
but at least one and never all, are held out. That is a stratified split that also works for tiny
sets where scikit-learn's `train_test_split(stratify=...)` refuses. A label with a single example
cannot be held out: it is trained on but not evaluated, and the report's `notes` say so. When no label
has two examples there is no test set at all: metrics are `None`, and the model is fitted once on
everything.

Vectorizing once: the feature pipeline (hashed n-grams and their document frequencies) is fitted once,
on all examples' text, and that feature matrix serves the held-out check and the final model alike. It
never sees a label, so the held-out figures still measure the classifier on examples it was not trained
on; the test texts do shape the IDF weights, which the bot's own predictions get too.

Fitting once: the linear model is fitted on the train split and scored on the test split, then that
same model goes on learning for `REFINE_EPOCHS` epochs over every example (its learning rate carrying
on from where the fit stopped), so the shipped model has seen everything while the figures stay honest.
A second fit from scratch on everything (what this replaced) cost a whole fit for no accuracy: on
bench/datasets.py's data, 10k examples (character 3- and 4-grams then), the refined model scored 0.8905 / 0.8650 / 0.8470 (synthetic,
typos, Russian) against 0.8945 / 0.8645 / 0.8445 for a fresh fit, in a fifth of the time.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from trainer_bot.i18n import Message, t, tn
from trainer_bot.ml.classifier import (
    TextClassifier,
    check_labels,
    fit_on_features,
    refine_on_features,
    vectorize,
)
from trainer_bot.ml.errors import TrainingError
from trainer_bot.ml.examples import Example, Pair
from trainer_bot.ml.metrics import PerLabel, score
from trainer_bot.ml.model import TrainedModel
from trainer_bot.ml.responder import Responder, fit_responder

# progress(fraction in [0, 1], stage) is called at stage boundaries, from the training thread. An
# exception raised by it aborts training, so a job runner can use it to cancel.
ProgressCallback = Callable[[float, str], None]
DEFAULT_TEST_FRACTION = 0.2
MIN_RELIABLE_HOLDOUT = 20  # fewer held-out examples than this give figures that are mostly chance


@dataclass(frozen=True)
class TrainingReport:
    examples: int
    pairs: int
    labels: list[str]
    accuracy: float | None  # None: no classifier, or too few examples to hold any out (see notes)
    macro_f1: float | None
    per_label: PerLabel  # label -> {precision, recall, f1, support}, for labels in the test split
    train_size: int
    test_size: int
    seconds: float
    notes: list[Message] = field(default_factory=list)  # member-readable remarks about the evaluation


@dataclass(frozen=True)
class _Holdout:
    train: list[int]
    test: list[int]
    notes: list[Message]


@dataclass(frozen=True)
class _ClassifierOutcome:
    classifier: TextClassifier
    holdout: _Holdout
    accuracy: float | None
    macro_f1: float | None
    per_label: PerLabel


def train_model(
    examples: Sequence[Example],
    pairs: Sequence[Pair],
    *,
    progress: ProgressCallback | None = None,
    seed: int = 0,
    test_fraction: float = DEFAULT_TEST_FRACTION,
) -> tuple[TrainedModel, TrainingReport]:
    """Train a classifier on `examples` and/or a responder on `pairs`; raises `TrainingError`."""
    started = time.perf_counter()
    notify = progress or _ignore_progress
    if not examples and not pairs:
        raise TrainingError(
            t("there is nothing to train on yet: add labelled examples or prompt/response pairs")
        )
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    notify(0.05, "preparing")
    if examples:
        check_labels([example.label for example in examples])  # fail fast, before any fitting
    outcome = _train_classifier(examples, notify, seed, test_fraction) if examples else None
    responder = _train_responder(pairs, notify, after_classifier=outcome is not None) if pairs else None
    model = _assemble(outcome, responder, len(examples), len(pairs))
    report = _report(outcome, len(examples), len(pairs), time.perf_counter() - started)
    notify(1.0, "done")
    return model, report


def stratified_holdout(labels: Sequence[str], test_fraction: float, seed: int) -> _Holdout:
    """Indices of a per-label (stratified) train/test split; see the module docstring for the rules."""
    rng = random.Random(seed)
    by_label: defaultdict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_label[label].append(index)
    train: list[int] = []
    test: list[int] = []
    singletons: list[str] = []
    for label in sorted(by_label):
        indices = by_label[label]
        rng.shuffle(indices)
        count = _test_count(len(indices), test_fraction)
        if count == 0:
            singletons.append(label)
        test.extend(indices[:count])
        train.extend(indices[count:])
    return _Holdout(sorted(train), sorted(test), _holdout_notes(singletons, has_test=bool(test)))


def _test_count(size: int, test_fraction: float) -> int:
    if size < 2:
        return 0
    return min(size - 1, max(1, round(size * test_fraction)))


def _holdout_notes(singletons: list[str], *, has_test: bool) -> list[Message]:
    if not has_test:
        return [
            t("no label has two examples, so none could be held out for testing: accuracy is not available")
        ]
    if not singletons:
        return []
    shown: Message | str = ", ".join(singletons[:10])
    if len(singletons) > 10:
        shown = t("{labels} and {count} more", labels=shown, count=len(singletons) - 10)
    return [t("labels with a single example are trained on but not tested: {labels}", labels=shown)]


def _train_classifier(
    examples: Sequence[Example], notify: ProgressCallback, seed: int, test_fraction: float
) -> _ClassifierOutcome:
    texts = [example.text for example in examples]
    labels = [example.label for example in examples]
    holdout = stratified_holdout(labels, test_fraction, seed)
    notify(0.3, "fitting")
    features = vectorize(texts, labels=len(set(labels)))  # once, for the trial and the final model
    if not holdout.test:  # nothing to evaluate on, so a single fit on everything
        return _ClassifierOutcome(fit_on_features(features, labels, seed=seed), holdout, None, None, {})
    train_labels = [labels[i] for i in holdout.train]
    trial = fit_on_features(features, train_labels, rows=holdout.train, seed=seed)
    notify(0.65, "evaluating")
    predicted = [prediction.label for prediction in trial.predict_features(features.select(holdout.test))]
    scores = score([labels[i] for i in holdout.test], predicted)
    notify(0.7, "final fit")
    final = refine_on_features(trial, features, labels)  # see "Fitting once" in the module docstring
    return _ClassifierOutcome(final, holdout, scores.accuracy, scores.macro_f1, scores.per_label)


def _train_responder(pairs: Sequence[Pair], notify: ProgressCallback, *, after_classifier: bool) -> Responder:
    notify(0.95 if after_classifier else 0.5, "fitting responder")
    return fit_responder(pairs)


def _assemble(
    outcome: _ClassifierOutcome | None, responder: Responder | None, examples: int, pairs: int
) -> TrainedModel:
    classifier = outcome.classifier if outcome else None
    return TrainedModel(
        classifier=classifier,
        responder=responder,
        labels=classifier.labels if classifier else (),
        created_at=datetime.now(UTC),
        examples=examples,
        pairs=pairs,
    )


def _report(outcome: _ClassifierOutcome | None, examples: int, pairs: int, seconds: float) -> TrainingReport:
    if outcome is None:
        return TrainingReport(examples, pairs, [], None, None, {}, 0, 0, seconds)
    return TrainingReport(
        examples=examples,
        pairs=pairs,
        labels=list(outcome.classifier.labels),
        accuracy=outcome.accuracy,
        macro_f1=outcome.macro_f1,
        per_label=outcome.per_label,
        train_size=len(outcome.holdout.train),
        test_size=len(outcome.holdout.test),
        seconds=seconds,
        notes=[*outcome.holdout.notes, *_reliability_notes(len(outcome.holdout.test))],
    )


def _reliability_notes(test_size: int) -> list[Message]:
    if 0 < test_size < MIN_RELIABLE_HOLDOUT:
        return [
            tn(
                "only {count} held-out example: these figures are rough, not reliable",
                "only {count} held-out examples: these figures are rough, not reliable",
                test_size,
            )
        ]
    return []


def holdout_examples(
    examples: Sequence[Example], *, seed: int = 0, test_fraction: float = DEFAULT_TEST_FRACTION
) -> list[Example]:
    """The examples `train_model` holds out for testing (same rule, same seed): where another model can
    be scored on exactly the data the new one was."""
    holdout = stratified_holdout([example.label for example in examples], test_fraction, seed)
    return [examples[index] for index in holdout.test]


def _ignore_progress(fraction: float, stage: str) -> None:
    del fraction, stage
