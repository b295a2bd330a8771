"""Transcription on this machine with faster-whisper, off the event loop, behind a bounded queue.

Work runs in a thread pool: CTranslate2 and PyAV release the GIL while they compute, so the event loop
keeps serving Discord while a long voice message is transcribed (measured: loop lag p99 under 5 ms).
The model loads lazily in a worker on first use and is rebuilt after a crash, so one bad request cannot
leave a broken model behind for the next member.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

from trainer_bot.i18n import t
from trainer_bot.speech.errors import (
    AudioTooLarge,
    InvalidAudio,
    SpeechError,
    TranscriptionFailed,
    UnsupportedLanguage,
)
from trainer_bot.speech.media import WHISPER_RATE, Samples, decode_for_whisper
from trainer_bot.speech.slots import Slots
from trainer_bot.speech.transcript import OnQueued, Segment, Transcript
from trainer_bot.speech.voice_activity import find_speech
from trainer_bot.speech.whisper_models import resolve_model
from trainer_bot.text import human_size

log = logging.getLogger("trainer_bot.speech")

T = TypeVar("T")

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_SECONDS = 300.0
SHUTTING_DOWN = t("Speech recognition is shutting down.")


class WhisperSegment(Protocol):
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def text(self) -> str: ...


class WhisperLike(Protocol):
    """The part of `faster_whisper.WhisperModel` used here (tests substitute their own)."""

    @property
    def supported_languages(self) -> list[str]: ...

    def detect_language(self, audio: Samples) -> tuple[str, float, list[tuple[str, float]]]: ...

    def transcribe(
        self, audio: Samples, *, language: str, beam_size: int, vad_filter: bool
    ) -> tuple[Iterable[WhisperSegment], object]: ...


ModelFactory = Callable[[], WhisperLike]
"""Builds a model; called in a worker thread, on first use and again after a crash."""


def whisper_factory(
    model: str,
    *,
    device: str = "cpu",
    compute_type: str = "int8",
    cpu_threads: int = 2,
    workers: int = 1,
    cache_dir: Path | None = None,
) -> ModelFactory:
    def load() -> WhisperLike:
        # Imported here: faster-whisper pulls in CTranslate2 and onnxruntime, which the bot should not pay
        # for at start-up (nor at all when transcription is remote).
        from faster_whisper import WhisperModel  # type: ignore[import-untyped]

        model_path = resolve_model(model, cache_dir=cache_dir)
        whisper: WhisperLike = WhisperModel(
            model_path,
            device=device,
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            # One CTranslate2 replica per worker thread, so parallel requests really run in parallel.
            num_workers=workers,
            # A model downloaded by name lands in DATA_DIR, which survives container rebuilds; the home
            # directory's cache does not.
            download_root=None if cache_dir is None else str(cache_dir),
        )
        return whisper

    return load


class LocalTranscriber:
    def __init__(
        self,
        model: str,
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
        languages: Sequence[str] = ("ru", "en"),
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_seconds: float = DEFAULT_MAX_SECONDS,
        queue_size: int = 4,
        workers: int = 1,
        beam_size: int = 5,
        cache_dir: Path | None = None,
        model_factory: ModelFactory | None = None,
    ) -> None:
        """`model`: a faster-whisper model name, a directory, or a bundled name (see `speech.models`).

        `languages` restricts auto-detection to the languages the community speaks: detection over all 99
        is unreliable on short clips. `model_factory` replaces the faster-whisper model (tests).
        """
        self._factory = model_factory or whisper_factory(
            model,
            device=device,
            compute_type=compute_type,
            cpu_threads=cpu_threads,
            workers=workers,
            cache_dir=cache_dir,
        )
        self._languages = tuple(code.lower() for code in languages)
        self._max_bytes = max_bytes
        self._max_seconds = max_seconds
        self._beam_size = beam_size
        self._slots = Slots(workers, queue_size)
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stt")
        self._model: WhisperLike | None = None
        self._model_lock = threading.Lock()
        self._closed = False

    async def transcribe(
        self,
        audio: bytes,
        *,
        filename: str = "audio.ogg",
        language: str | None = None,
        on_queued: OnQueued | None = None,
    ) -> Transcript:
        """`filename` is accepted for interface parity only: PyAV recognises the format from the bytes."""
        if self._closed:
            raise SpeechError(SHUTTING_DOWN)
        if not audio:
            raise InvalidAudio(t("The file is empty."))
        if len(audio) > self._max_bytes:
            raise AudioTooLarge(t("The file is larger than {size}.", size=human_size(self._max_bytes)))
        return await self._in_worker(lambda: self._transcribe(audio, language), on_queued)

    async def preload(self) -> float:
        """Load the model now rather than on first use; returns the seconds it took (0 if already loaded)."""
        return await self._in_worker(self._load_model_timed, None)

    async def close(self) -> None:
        self._closed = True
        self._slots.reject_waiting(SpeechError(SHUTTING_DOWN))
        # Waiting for running work lets it finish cleanly instead of dying with the interpreter.
        await asyncio.to_thread(self._executor.shutdown, wait=True, cancel_futures=True)
        self._model = None

    async def _in_worker(self, work: Callable[[], T], on_queued: OnQueued | None) -> T:
        await self._slots.acquire(on_queued)
        loop = asyncio.get_running_loop()
        try:
            job = self._executor.submit(work)
        except BaseException:
            self._slots.release()
            raise

        def release(_: concurrent.futures.Future[T]) -> None:
            # Free the slot when the thread is done, not when the caller stops waiting: a cancelled
            # request's work still occupies the worker until the model returns.
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is left to serve
                loop.call_soon_threadsafe(self._slots.release)

        job.add_done_callback(release)
        return await asyncio.wrap_future(job)

    # --- below runs in worker threads ---

    def _transcribe(self, audio: bytes, language: str | None) -> Transcript:
        # Decode first: unreadable or overlong audio is refused without loading a model for it.
        started = time.perf_counter()
        samples = decode_for_whisper(audio, max_seconds=self._max_seconds)
        duration = samples.size / WHISPER_RATE
        decoding = time.perf_counter() - started
        model = self._loaded_model()
        chosen = self._known_language(model, language)
        started = time.perf_counter() - decoding  # the first request's model load is not processing time
        try:
            speech = find_speech(samples)
            if speech.empty:
                return Transcript("", chosen, duration, time.perf_counter() - started)
            if chosen is None:
                chosen = self._detect_language(model, speech.samples)
            # VAD already ran: Whisper gets the speech it would have cut for itself, without a second pass.
            pieces, _ = model.transcribe(
                speech.samples, language=chosen, beam_size=self._beam_size, vad_filter=False
            )
            # The segments are a lazy generator: the actual recognition happens while it is consumed.
            segments = tuple(
                Segment(
                    speech.recording_time(piece.start),
                    speech.recording_time(piece.end, is_end=True),
                    piece.text.strip(),
                )
                for piece in pieces
            )
        except Exception as exc:
            self._discard(model)
            log.exception("transcription crashed; the model will be reloaded for the next request")
            raise TranscriptionFailed() from exc
        text = " ".join(segment.text for segment in segments if segment.text)
        return Transcript(text, chosen, duration, time.perf_counter() - started, segments)

    def _known_language(self, model: WhisperLike, language: str | None) -> str | None:
        """The language to transcribe in without detecting it; None when it has to be detected.

        Detection costs a Whisper encoder pass (measured 1.0-2.0 s with base on 2 shared cores), so it
        runs only when more than one language is possible.
        """
        if language:
            return self._explicit_language(model, language)
        candidates = self._candidates(model)
        return candidates[0] if len(candidates) == 1 else None

    def _candidates(self, model: WhisperLike) -> list[str]:
        """The languages a message may be in: the configured ones this model knows (else all it knows)."""
        supported = model.supported_languages
        if len(supported) == 1:
            return supported  # an English-only model hears English
        return [code for code in self._languages if code in supported] or supported

    def _explicit_language(self, model: WhisperLike, language: str) -> str:
        supported = model.supported_languages
        code = language.strip().lower()
        if len(supported) == 1:
            return supported[0]  # an English-only model hears English whatever was asked
        if code not in supported:
            raise UnsupportedLanguage(
                t("Unknown language code `{code}`: use a code like `en` or `ru`.", code=language)
            )
        return code

    def _detect_language(self, model: WhisperLike, speech: Samples) -> str:
        """The most probable of the candidate languages, judged on speech only (silence skews it)."""
        _, _, probabilities = model.detect_language(speech)
        scores = dict(probabilities)
        return max(self._candidates(model), key=lambda code: scores.get(code, 0.0))

    def _loaded_model(self) -> WhisperLike:
        with self._model_lock:
            if self._model is None:
                started = time.perf_counter()
                try:
                    self._model = self._factory()
                except Exception as exc:
                    log.exception("could not load the speech recognition model")
                    raise SpeechError(t("Speech recognition is not available right now.")) from exc
                log.info("speech recognition model loaded in %.1f s", time.perf_counter() - started)
            return self._model

    def _load_model_timed(self) -> float:
        if self._model is not None:
            return 0.0
        started = time.perf_counter()
        self._loaded_model()
        return time.perf_counter() - started

    def _discard(self, model: WhisperLike) -> None:
        with self._model_lock:
            if self._model is model:
                self._model = None
