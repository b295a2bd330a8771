"""LocalTranscriber: real recognition with tiny.en, limits, queueing, crash recovery, loop responsiveness."""

from __future__ import annotations

import asyncio
import io
import statistics
import threading
import time
import wave
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass

import pytest

from speech_support.clips import (
    LONG_TEXT,
    LONG_WORDS,
    SHORT_TEXT,
    SHORT_WORDS,
    cached_voice_message,
    espeak_wav,
    silence,
    words,
)
from speech_support.whisper import tiny_en
from trainer_bot.speech.media import Samples, decode_for_whisper, duration_of, to_ogg_opus
from trainer_bot.speech.stt import (
    AudioTooLarge,
    InvalidAudio,
    LocalTranscriber,
    SpeechError,
    TranscriberBusy,
    TranscriptionFailed,
    UnsupportedLanguage,
)
from trainer_bot.speech.stt_local import WhisperLike, WhisperSegment
from trainer_bot.speech.transcript import Segment


@pytest.fixture
def short_clip() -> bytes:
    return cached_voice_message(SHORT_TEXT)


@pytest.fixture
def long_clip() -> bytes:
    return cached_voice_message(LONG_TEXT)


@pytest.fixture
async def transcriber() -> AsyncIterator[LocalTranscriber]:
    local = LocalTranscriber("tiny.en-bundled", model_factory=tiny_en)
    yield local
    await local.close()


@dataclass(frozen=True)
class FakeSegment:
    start: float
    end: float
    text: str


class FakeModel:
    """A multilingual stand-in whose detection and output are scripted; optionally blocks until released."""

    def __init__(
        self,
        probabilities: list[tuple[str, float]] | None = None,
        gate: threading.Event | None = None,
    ) -> None:
        self.probabilities = probabilities or [("en", 0.9), ("ru", 0.1)]
        self.gate = gate
        self.started = threading.Event()
        self.languages_used: list[str] = []
        self.detections = 0
        self.vad_filters: list[bool] = []

    @property
    def supported_languages(self) -> list[str]:
        return ["en", "ru", "pl", "de"]

    def detect_language(self, audio: Samples) -> tuple[str, float, list[tuple[str, float]]]:
        self.detections += 1
        best = max(self.probabilities, key=lambda item: item[1])
        return best[0], best[1], self.probabilities

    def transcribe(
        self, audio: Samples, *, language: str, beam_size: int, vad_filter: bool
    ) -> tuple[Iterable[WhisperSegment], object]:
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(30)
        self.languages_used.append(language)
        self.vad_filters.append(vad_filter)
        return iter([FakeSegment(0.0, 1.0, f" said in {language}")]), None


async def test_transcribes_a_voice_message(transcriber: LocalTranscriber, short_clip: bytes) -> None:
    result = await transcriber.transcribe(short_clip)
    assert set(SHORT_WORDS) <= words(result.text), result.text
    assert result.language == "en"
    assert result.duration == pytest.approx(duration_of(short_clip), abs=0.1)
    assert 0 < result.seconds < 30
    assert result.segments and result.segments[0].text


async def test_english_only_model_hears_english_whatever_was_asked(
    transcriber: LocalTranscriber, short_clip: bytes
) -> None:
    result = await transcriber.transcribe(short_clip, language="ru")
    assert result.language == "en"


async def test_silence_gives_an_empty_transcript(transcriber: LocalTranscriber) -> None:
    result = await transcriber.transcribe(silence(3))
    assert result.text == ""
    assert result.duration == pytest.approx(3, abs=0.1)


async def test_silence_skips_detection_and_recognition_on_a_multilingual_model() -> None:
    model = FakeModel()
    local = LocalTranscriber("unused", model_factory=lambda: model)
    result = await local.transcribe(silence(3))
    assert (result.text, result.language, model.languages_used) == ("", None, [])
    await local.close()


async def test_model_loads_lazily_in_a_worker_thread(short_clip: bytes) -> None:
    threads: list[str] = []

    def factory() -> WhisperLike:
        threads.append(threading.current_thread().name)
        return FakeModel()

    local = LocalTranscriber("unused", model_factory=factory)
    assert threads == []
    await local.transcribe(short_clip)
    await local.transcribe(short_clip)
    await local.close()
    assert len(threads) == 1
    assert threads[0] != threading.main_thread().name


async def test_detection_picks_the_best_allowed_language(short_clip: bytes) -> None:
    model = FakeModel([("pl", 0.6), ("ru", 0.3), ("en", 0.1)])
    local = LocalTranscriber("unused", languages=("ru", "en"), model_factory=lambda: model)
    result = await local.transcribe(short_clip)
    assert (result.language, result.text) == ("ru", "said in ru")
    await local.close()


async def test_explicit_language_wins_over_detection(short_clip: bytes) -> None:
    model = FakeModel([("ru", 0.9), ("en", 0.1)])
    local = LocalTranscriber("unused", model_factory=lambda: model)
    assert (await local.transcribe(short_clip, language="EN")).language == "en"
    with pytest.raises(UnsupportedLanguage, match="`xx`"):
        await local.transcribe(short_clip, language="xx")
    assert model.detections == 0  # a known language costs no detection pass
    await local.close()


async def test_a_single_configured_language_is_not_detected(short_clip: bytes) -> None:
    model = FakeModel([("en", 0.9), ("ru", 0.1)])
    local = LocalTranscriber("unused", languages=("ru",), model_factory=lambda: model)
    result = await local.transcribe(short_clip)
    assert (result.language, result.text, model.detections) == ("ru", "said in ru", 0)
    await local.close()


async def test_voice_activity_is_found_once_for_detection_and_recognition(short_clip: bytes) -> None:
    model = FakeModel([("ru", 0.2), ("en", 0.8)])
    local = LocalTranscriber("unused", languages=("ru", "en"), model_factory=lambda: model)
    result = await local.transcribe(short_clip)
    # Whisper is handed the speech already cut out, so it must not run VAD over it again.
    assert (result.language, model.detections, model.vad_filters) == ("en", 1, [False])
    await local.close()


def with_leading_silence(seconds: float, text: str) -> bytes:
    """A voice message whose speech starts after `seconds` of silence."""
    with wave.open(io.BytesIO(espeak_wav(text))) as spoken:
        rate, frames = spoken.getframerate(), spoken.readframes(spoken.getnframes())
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(bytes(int(seconds * rate) * 2) + frames)
    return to_ogg_opus(out.getvalue())


async def test_words_and_times_are_those_of_faster_whispers_own_vad() -> None:
    """Cutting the speech out once here must not change what Whisper hears, nor where segments fall."""
    clip = with_leading_silence(4.0, LONG_TEXT)
    model = tiny_en()
    local = LocalTranscriber("unused", model_factory=lambda: model)
    result = await local.transcribe(clip)
    await local.close()
    samples = decode_for_whisper(clip, max_seconds=300)
    pieces, _ = model.transcribe(samples, language="en", beam_size=5, vad_filter=True)
    expected = tuple(Segment(piece.start, piece.end, piece.text.strip()) for piece in pieces)
    assert result.segments == expected
    assert result.segments[0].start >= 3.5  # times are in the recording, not in the speech cut out of it


def no_model() -> WhisperLike:
    raise AssertionError("refusals must not need (or load) the model")


async def test_oversized_file_is_refused_before_decoding(short_clip: bytes) -> None:
    local = LocalTranscriber("unused", max_bytes=len(short_clip) - 1, model_factory=no_model)
    with pytest.raises(AudioTooLarge, match="larger than"):
        await local.transcribe(short_clip)
    await local.close()


async def test_too_long_recording_is_refused(short_clip: bytes) -> None:
    local = LocalTranscriber("unused", max_seconds=2, model_factory=no_model)
    with pytest.raises(AudioTooLarge, match="longer than 2 seconds"):
        await local.transcribe(short_clip)
    await local.close()


@pytest.mark.parametrize("audio", [b"definitely not audio" * 50, b"OggS" + bytes(300)])
async def test_undecodable_audio_is_a_speech_error(audio: bytes) -> None:
    local = LocalTranscriber("unused", model_factory=no_model)
    with pytest.raises(InvalidAudio, match="Could not read the audio"):
        await local.transcribe(audio)
    with pytest.raises(InvalidAudio, match="empty"):
        await local.transcribe(b"")
    await local.close()


async def test_full_queue_refuses_and_waiting_requests_hear_their_position(short_clip: bytes) -> None:
    gate = threading.Event()
    model = FakeModel(gate=gate)
    local = LocalTranscriber("unused", workers=1, queue_size=2, model_factory=lambda: model)
    positions: list[int] = []

    async def queued(position: int) -> None:
        positions.append(position)

    running = asyncio.create_task(local.transcribe(short_clip, on_queued=queued))
    await asyncio.to_thread(model.started.wait, 10)
    second = asyncio.create_task(local.transcribe(short_clip, on_queued=queued))
    third = asyncio.create_task(local.transcribe(short_clip, on_queued=queued))
    await asyncio.sleep(0.05)
    with pytest.raises(TranscriberBusy) as busy:
        await local.transcribe(short_clip, on_queued=queued)
    assert isinstance(busy.value, SpeechError) and "busy" in str(busy.value)
    assert positions == [1, 2]
    gate.set()
    results = await asyncio.gather(running, second, third)
    assert [r.text for r in results] == ["said in en"] * 3
    await local.close()


async def test_cancelled_request_holds_its_worker_until_the_model_returns(short_clip: bytes) -> None:
    gate = threading.Event()
    model = FakeModel(gate=gate)
    local = LocalTranscriber("unused", workers=1, queue_size=0, model_factory=lambda: model)
    first = asyncio.create_task(local.transcribe(short_clip))
    await asyncio.to_thread(model.started.wait, 10)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    # The worker is still busy with the abandoned work, so a new request may not start beside it.
    with pytest.raises(TranscriberBusy):
        await local.transcribe(short_clip)
    gate.set()
    for _ in range(100):
        await asyncio.sleep(0.02)
        try:
            assert (await local.transcribe(short_clip)).text == "said in en"
            break
        except TranscriberBusy:
            continue
    else:
        pytest.fail("the worker never came free")
    await local.close()


async def test_crash_fails_the_request_and_the_model_is_rebuilt(short_clip: bytes) -> None:
    built: list[WhisperLike] = []

    class CrashingOnce:
        def __init__(self, real: WhisperLike) -> None:
            self.real = real
            self.supported_languages = real.supported_languages
            self.detect_language = real.detect_language

        def transcribe(
            self, audio: Samples, *, language: str, beam_size: int, vad_filter: bool
        ) -> tuple[Iterable[WhisperSegment], object]:
            def exploding() -> Iterator[WhisperSegment]:
                raise RuntimeError("CUDA out of memory, or whatever a model does when it breaks")
                yield  # a generator, like faster-whisper's: the failure shows while consuming it

            return exploding(), None

    def factory() -> WhisperLike:
        model: WhisperLike = CrashingOnce(tiny_en()) if not built else tiny_en()
        built.append(model)
        return model

    local = LocalTranscriber("unused", model_factory=factory)
    with pytest.raises(TranscriptionFailed, match="try again") as failed:
        await local.transcribe(short_clip)
    assert isinstance(failed.value, SpeechError)
    result = await local.transcribe(short_clip)
    assert set(SHORT_WORDS) <= words(result.text)
    assert len(built) == 2
    await local.close()


async def test_model_that_cannot_load_is_a_speech_error_and_is_retried(short_clip: bytes) -> None:
    attempts: list[int] = []

    def factory() -> WhisperLike:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("model.bin: no such file")
        return FakeModel()

    local = LocalTranscriber("unused", model_factory=factory)
    with pytest.raises(SpeechError, match="not available"):
        await local.transcribe(short_clip)
    assert (await local.transcribe(short_clip)).text == "said in en"
    await local.close()


async def test_closed_transcriber_refuses_and_releases_waiters(short_clip: bytes) -> None:
    gate = threading.Event()
    model = FakeModel(gate=gate)
    local = LocalTranscriber("unused", workers=1, queue_size=1, model_factory=lambda: model)
    running = asyncio.create_task(local.transcribe(short_clip))
    await asyncio.to_thread(model.started.wait, 10)
    waiting = asyncio.create_task(local.transcribe(short_clip))
    await asyncio.sleep(0.05)
    closing = asyncio.create_task(local.close())
    await asyncio.sleep(0.05)
    with pytest.raises(SpeechError, match="shutting down"):
        await waiting
    gate.set()
    await closing
    assert (await running).text == "said in en"
    with pytest.raises(SpeechError, match="shutting down"):
        await local.transcribe(short_clip)


@pytest.mark.slow
async def test_event_loop_stays_responsive_during_a_long_clip(
    transcriber: LocalTranscriber, long_clip: bytes
) -> None:
    await transcriber.preload()
    lags: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            due = loop.time() + 0.01
            await asyncio.sleep(0.01)
            lags.append(loop.time() - due)

    ticking = asyncio.create_task(ticker())
    started = time.perf_counter()
    result = await transcriber.transcribe(long_clip)
    elapsed = time.perf_counter() - started
    stop.set()
    await ticking
    assert result.duration > 30
    assert set(LONG_WORDS) <= words(result.text), result.text
    p99 = statistics.quantiles(lags, n=100)[98]
    assert len(lags) > elapsed / 0.05, "the ticker barely ran"
    assert p99 < 0.25, f"event loop lag p99 {p99:.3f} s"
