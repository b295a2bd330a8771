"""Speech to text: the one module the bot imports for transcription.

`build_transcriber` picks where recognition runs: on this machine (faster-whisper, `LocalTranscriber`)
or on OpenAI-compatible servers (`RemoteTranscriber`), such as `trainer-bot stt-server` on other machines.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from trainer_bot.config import Settings
from trainer_bot.speech.errors import (
    AudioTooLarge,
    InvalidAudio,
    SpeechError,
    SpeechRejected,
    TranscriberBusy,
    TranscriptionFailed,
    UnsupportedLanguage,
)
from trainer_bot.speech.stt_local import DEFAULT_MAX_BYTES, DEFAULT_MAX_SECONDS, LocalTranscriber
from trainer_bot.speech.stt_remote import RemoteTranscriber
from trainer_bot.speech.transcript import OnQueued, Segment, Transcriber, Transcript
from trainer_bot.speech.whisper_models import BASE_BUNDLED, TINY_EN_BUNDLED, ModelUnavailable, resolve_model

__all__ = [
    "BASE_BUNDLED",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_SECONDS",
    "TINY_EN_BUNDLED",
    "AudioTooLarge",
    "InvalidAudio",
    "LocalTranscriber",
    "ModelUnavailable",
    "OnQueued",
    "RemoteTranscriber",
    "Segment",
    "SpeechError",
    "SpeechRejected",
    "Transcriber",
    "TranscriberBusy",
    "Transcript",
    "TranscriptionFailed",
    "UnsupportedLanguage",
    "build_transcriber",
    "resolve_model",
    "transcriber_for",
]


def build_transcriber(
    stt_url: str | Sequence[str] | None,
    stt_model: str,
    *,
    api_key: str | None = None,
    languages: Sequence[str] = ("ru", "en"),
    device: str = "cpu",
    compute_type: str = "int8",
    cpu_threads: int = 2,
    workers: int = 1,
    queue_size: int = 4,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    cache_dir: Path | None = None,
    timeout: float = 120.0,
) -> Transcriber:
    """A remote client when `stt_url` names a server or several (then `stt_model` is the servers' model name,
    e.g. "whisper-1"), else a local faster-whisper transcriber (`stt_model`: a model name, a directory, or
    "tiny.en-bundled" / "base-bundled"; `cache_dir` is where "base-bundled" is assembled).
    Nothing heavy happens here: the local model loads on first use.
    """
    if stt_url:
        return RemoteTranscriber(
            stt_url, model=stt_model, api_key=api_key, timeout=timeout, max_bytes=max_bytes
        )
    return LocalTranscriber(
        stt_model,
        device=device,
        compute_type=compute_type,
        cpu_threads=cpu_threads,
        languages=languages,
        max_bytes=max_bytes,
        max_seconds=max_seconds,
        queue_size=queue_size,
        workers=workers,
        cache_dir=cache_dir,
    )


def transcriber_for(settings: Settings, *, local: bool = False) -> Transcriber:
    """The transcriber the operator configured; `local`: this machine's model even when STT_URL is set
    (the STT server itself)."""
    return build_transcriber(
        None if local else settings.stt_urls,
        settings.stt_model,
        api_key=settings.stt_api_key.get_secret_value() if settings.stt_api_key else None,
        languages=settings.stt_languages,
        cpu_threads=settings.stt_threads,
        max_bytes=settings.stt_max_bytes,
        max_seconds=settings.stt_max_seconds,
        cache_dir=settings.layout.whisper_cache,
    )
