"""Nearest-neighbour responder for prompt/response pairs.

Prompts are embedded as TF-IDF over word n-grams (1-2) and character n-grams (char_wb 2-4, which
tolerate typos, spelling variants and Russian inflection), hashed into 2^16 columns each rather than
kept in vocabularies (1,000 pairs' vocabularies held 8 MB of a loaded model; see `hashing`). N-grams no
prompt has weigh nothing, as they did with vocabularies, so the similarities and the threshold below
are unchanged. Stop words are removed first (see
`normalize`): without that, "how do I bake bread" scored 0.54 against "How do I reset my password?",
above most sensible thresholds. Question words are kept in the word features only, so "when is the
meeting" and "where is the meeting" stay distinct. A question gets the response of the most
cosine-similar prompt that also asks the same question (see `matching`: similar wording is not enough,
"the capital of Germany" is one word away from "the capital of France"), or none when no prompt over the
threshold does.

Threshold: on the paraphrase set in tests/unit/ml/test_learning.py, paraphrases scored 0.66-1.0 and
unrelated questions 0.14-0.39, so the default 0.45 sits in that gap. Similarity alone also passed prompts
made only of stop words ("how are you" vs "who are you") and ones sharing a single content word ("what
time is it" vs "what time does the server restart", 0.50); `matching` now refuses both.

Thread-safety: `answer` and `nearest` only read fitted state (matching's caches are thread-safe), so
concurrent calls from worker threads are safe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trainer_bot.i18n import t
from trainer_bot.ml.errors import TrainingError
from trainer_bot.ml.examples import Pair
from trainer_bot.ml.matching import Mismatch, mismatch
from trainer_bot.ml.normalize import WORD_PATTERN, content_text, content_words, normalize_text

if TYPE_CHECKING:  # scikit-learn and numpy are imported where they are used: not at the bot's start
    import numpy as np
    from sklearn.pipeline import Pipeline

DEFAULT_THRESHOLD = 0.45
MAX_NEAREST = 20  # `nearest` hits at most: they are read by people or fed to a language model as context
# Prompts over the threshold that `answer` checks with `matching`, most similar first: past a few, the
# next one is a paraphrase of a rejected one and fails for the same reason.
_CANDIDATES = 5
# Characters carry the typo/inflection tolerance; words only sharpen exact matches, so they weigh less.
_WORD_WEIGHT = 0.5
_HASH_BITS = 16


@dataclass(frozen=True)
class Answer:
    response: str | None  # None: nothing similar enough ("I don't know that yet")
    similarity: float  # cosine similarity of the best prompt, in [0, 1]
    matched_prompt: str | None  # the best prompt when it passed the threshold


@dataclass(frozen=True)
class Hit:
    """One of the prompts most similar to a question (`Responder.nearest`)."""

    matched_prompt: str
    response: str
    similarity: float  # cosine similarity in [0, 1]
    mismatch: Mismatch | None  # why it is not the same question; None: it is (see `matching`)

    @property
    def matches(self) -> bool:
        return self.mismatch is None


class Responder:
    """Fitted prompt vectors plus the responses; build one with `fit_responder`."""

    def __init__(
        self, pipeline: Pipeline, prompts: list[str], responses: list[str], threshold: float
    ) -> None:
        self._pipeline = pipeline
        self._prompts = prompts
        self._responses = responses
        self._matrix = pipeline.transform(prompts).T.tocsr()  # features x prompts, for one sparse product
        self.threshold = threshold

    @property
    def size(self) -> int:
        return len(self._prompts)

    def pairs(self) -> list[Pair]:
        """Every prompt with the response it gets (one per prompt, the latest taught)."""
        return [
            Pair(prompt, response) for prompt, response in zip(self._prompts, self._responses, strict=True)
        ]

    def answer(self, text: str, *, threshold: float | None = None) -> Answer:
        limit = self.threshold if threshold is None else threshold
        similarities = self._similarities(text)
        ranked = _top(similarities, _CANDIDATES)
        best = float(similarities[ranked[0]])
        for index in ranked:
            similarity = float(similarities[index])
            if similarity < limit or similarity == 0.0:
                break
            if mismatch(text, self._prompts[index]) is None:
                return Answer(self._responses[index], similarity, self._prompts[index])
        return Answer(response=None, similarity=best, matched_prompt=None)

    def nearest(self, text: str, k: int) -> list[Hit]:
        """The `k` prompts most similar to `text` (at most MAX_NEAREST), most similar first, whatever the
        threshold, each saying whether it asks the same question. Prompts sharing nothing with it are left
        out, so fewer than `k` may come back."""
        if k < 1:
            raise ValueError(f"k must be at least 1, not {k}")
        similarities = self._similarities(text)
        return [
            Hit(
                self._prompts[index],
                self._responses[index],
                float(similarities[index]),
                mismatch(text, self._prompts[index]),
            )
            for index in _top(similarities, min(k, MAX_NEAREST))
            if similarities[index] > 0.0
        ]

    def _similarities(self, text: str) -> np.ndarray:
        import numpy as np

        similarities: np.ndarray = (self._pipeline.transform([text]) @ self._matrix).toarray().ravel()
        return np.clip(similarities, 0.0, 1.0, out=similarities)  # rounding can overshoot 1.0 slightly


def fit_responder(pairs: Sequence[Pair], *, threshold: float = DEFAULT_THRESHOLD) -> Responder:
    if not pairs:
        raise TrainingError(t("the responder needs at least one prompt/response pair"))
    prompts, responses = _latest_per_prompt(pairs)
    pipeline = build_pipeline().fit(prompts)
    if not _has_words(pipeline):
        raise TrainingError(
            t("the prompts contain no words to learn from (only spaces, punctuation or emoji)")
        )
    return Responder(pipeline, prompts, responses, threshold)


def build_pipeline() -> Pipeline:
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import Normalizer

    features = FeatureUnion(
        [
            (
                "words",
                _hashed(content_words, analyzer="word", ngram_range=(1, 2), token_pattern=WORD_PATTERN),
            ),
            ("chars", _hashed(content_text, analyzer="char_wb", ngram_range=(2, 4))),
        ],
        transformer_weights={"words": _WORD_WEIGHT, "chars": 1.0},
    )
    # Re-normalise after weighting so that a dot product is a cosine similarity.
    return Pipeline([("features", features), ("normalize", Normalizer())])


def _has_words(pipeline: Pipeline) -> bool:
    """Whether any fitted prompt had a word (known terms have a non-zero IDF; see `hashing`)."""
    words: Pipeline = pipeline.named_steps["features"].transformer_list[0][1]
    return bool(words[-1].idf_.any())


def _hashed(preprocessor: Callable[[str], str], **options: object) -> Pipeline:
    from trainer_bot.ml.hashing import hashed_tfidf

    return hashed_tfidf(_HASH_BITS, preprocessor, known_terms_only=True, **options)


def _top(similarities: np.ndarray, k: int) -> list[int]:
    """Indexes of the k largest similarities, largest first (ties: the earlier prompt)."""
    import numpy as np

    k = min(k, len(similarities))
    candidates = np.argpartition(-similarities, k - 1)[:k]
    return sorted(candidates.tolist(), key=lambda index: (-similarities[index], index))


def _latest_per_prompt(pairs: Sequence[Pair]) -> tuple[list[str], list[str]]:
    """One response per prompt: a later pair with the same prompt (up to case and spacing) is a correction."""
    latest: dict[str, Pair] = {}
    for pair in pairs:
        key = " ".join(normalize_text(pair.prompt).split())
        latest.pop(key, None)  # re-insert so the order reflects the latest occurrence
        latest[key] = pair
    return [pair.prompt for pair in latest.values()], [pair.response for pair in latest.values()]
