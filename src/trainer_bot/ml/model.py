"""The trained artefact: an optional classifier, an optional responder and their metadata.

Thread-safety: `predict` and `answer` only read fitted state (scikit-learn's transform/predict_proba do
not mutate estimators), so one `TrainedModel` may serve many worker threads while the event loop runs.
The model is immutable: retraining builds a new one, and callers swap the reference atomically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from trainer_bot.i18n import t
from trainer_bot.ml.classifier import Prediction, TextClassifier
from trainer_bot.ml.errors import NotTrainedError
from trainer_bot.ml.responder import Answer, Responder

_UNKNOWN = Answer(response=None, similarity=0.0, matched_prompt=None)


@dataclass(frozen=True)
class TrainedModel:
    classifier: TextClassifier | None
    responder: Responder | None
    labels: tuple[str, ...]  # the classifier's labels, sorted; empty without a classifier
    created_at: datetime  # timezone-aware, UTC
    examples: int  # labelled examples it was trained on
    pairs: int  # prompt/response pairs it was trained on (before duplicate prompts were merged)

    @property
    def has_classifier(self) -> bool:
        return self.classifier is not None

    @property
    def has_responder(self) -> bool:
        return self.responder is not None

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text; raises `NotTrainedError` when the model has no classifier."""
        if self.classifier is None:
            raise NotTrainedError(
                t(
                    "This model was trained without labelled examples, so it can't classify text yet: "
                    "add examples with labels and train again."
                )
            )
        return self.classifier.predict(texts)

    def answer(self, text: str, *, threshold: float | None = None) -> Answer:
        """The best response, or `response=None` when nothing is similar enough or there are no pairs."""
        if self.responder is None:
            return _UNKNOWN
        return self.responder.answer(text, threshold=threshold)
