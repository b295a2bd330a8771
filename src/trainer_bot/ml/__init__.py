"""Machine-learning service: text classifier, prompt/response responder, training, evaluation, storage.

Everything here is blocking and CPU-bound: call it from a worker thread, never from the event loop.
Fitted models are read-only at prediction time, so they may be shared across threads.
"""

from __future__ import annotations

from trainer_bot.ml.classifier import MAX_LABELS, MIN_LABELS, Prediction, TextClassifier, fit_classifier
from trainer_bot.ml.errors import (
    InvalidVersionError,
    ModelIntegrityError,
    ModelNotFoundError,
    ModelStoreError,
    NotTrainedError,
    TrainingError,
)
from trainer_bot.ml.fitting import ProgressCallback, TrainingReport, train_model
from trainer_bot.ml.metrics import EvaluationResult, ItemResult, Scores, evaluate, format_confusion, score
from trainer_bot.ml.model import TrainedModel
from trainer_bot.ml.responder import DEFAULT_THRESHOLD, Answer, Responder, fit_responder
from trainer_bot.ml.store import ModelInfo, ModelStore

__all__ = [
    "DEFAULT_THRESHOLD",
    "MAX_LABELS",
    "MIN_LABELS",
    "Answer",
    "EvaluationResult",
    "InvalidVersionError",
    "ItemResult",
    "ModelInfo",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "ModelStore",
    "ModelStoreError",
    "NotTrainedError",
    "Prediction",
    "ProgressCallback",
    "Responder",
    "Scores",
    "TextClassifier",
    "TrainedModel",
    "TrainingError",
    "TrainingReport",
    "evaluate",
    "fit_classifier",
    "fit_responder",
    "format_confusion",
    "score",
    "train_model",
]
