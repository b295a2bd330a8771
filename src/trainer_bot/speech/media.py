"""Audio decoding and encoding with PyAV (bundled FFmpeg: no system ffmpeg needed).

Everything here is blocking and CPU-bound: call it from a worker thread, never from the event loop.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, TypeAlias

from trainer_bot.i18n import Message, number, t, tn
from trainer_bot.speech.errors import AudioTooLarge, InvalidAudio

WHISPER_RATE = 16_000
OPUS_RATE = 48_000
OPUS_BITRATE = 32_000
OPUS_OPTIONS = {"compression_level": "0"}

if TYPE_CHECKING:  # PyAV and numpy load at the first voice message or spoken answer, not at start
    import av
    import av.container
    import numpy as np
    import numpy.typing as npt

Samples: TypeAlias = "npt.NDArray[np.float32]"


class Undecodable(Exception):
    """Audio PyAV cannot read or write (callers need not import PyAV to catch it); not member-readable."""


@contextlib.contextmanager
def _undecodable() -> Iterator[None]:
    import av.error

    try:
        yield
    except av.error.FFmpegError as exc:
        raise Undecodable(str(exc)) from exc


def decode_for_whisper(data: bytes, *, max_seconds: float) -> Samples:
    """16 kHz mono float32 samples, as Whisper wants them.

    Decoding stops as soon as the audio runs past `max_seconds`, so a long recording squeezed into a small
    file costs neither the time nor the memory of decoding all of it.
    """
    import av
    import av.error
    import numpy as np

    limit = int(max_seconds * WHISPER_RATE)
    chunks: list[npt.NDArray[np.int16]] = []
    total = 0
    resampler = av.AudioResampler(format="s16", layout="mono", rate=WHISPER_RATE)
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise InvalidAudio(t("The file has no audio in it."))
            for frame in _audio_frames(container):
                for out in resampler.resample(frame):
                    chunk = np.asarray(out.to_ndarray(), dtype=np.int16).reshape(-1)
                    chunks.append(chunk)
                    total += chunk.size
                if total > limit:
                    raise AudioTooLarge(
                        t("The recording is longer than {length}.", length=_format_seconds(max_seconds))
                    )
            for out in resampler.resample(None):
                chunks.append(np.asarray(out.to_ndarray(), dtype=np.int16).reshape(-1))
    except av.error.FFmpegError as exc:
        raise InvalidAudio(t("Could not read the audio ({reason}).", reason=_reason(exc))) from exc
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    if samples.size == 0:
        raise InvalidAudio(t("The recording is empty."))
    if samples.size > limit:
        raise AudioTooLarge(t("The recording is longer than {length}.", length=_format_seconds(max_seconds)))
    return samples.astype(np.float32) / 32768.0


def duration_of(data: bytes) -> float:
    """Seconds of audio in an encoded file, counted from the decoded samples (headers can lie); raises
    `Undecodable`."""
    import av

    seconds = 0.0
    with _undecodable(), av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
        if not container.streams.audio:
            return 0.0
        for frame in _audio_frames(container):
            seconds += frame.samples / frame.sample_rate
    return seconds


def to_ogg_opus(data: bytes) -> bytes:
    """Re-encode any audio PyAV reads (e.g. espeak-ng's WAV) as 48 kHz mono OGG/Opus."""
    return encode_ogg_opus(data)[0]


def encode_ogg_opus(data: bytes) -> tuple[bytes, float]:
    """Any audio PyAV reads as 48 kHz mono OGG/Opus, and its length in seconds (counted while encoding, so
    nobody decodes the result again to learn it).

    espeak-ng writes a placeholder size into the WAV it streams to stdout, which some players refuse; Opus
    in OGG is also what Discord and Lavalink handle best, and it is ten times smaller. Raises `Undecodable`.
    """
    import av

    out = io.BytesIO()
    samples = 0
    resampler = av.AudioResampler(format="s16", layout="mono", rate=OPUS_RATE)
    with (
        _undecodable(),
        av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as source,
        av.open(out, mode="w", format="ogg") as target,
    ):
        # Complexity 0: a spoken answer encodes in ~30 ms instead of ~115 ms at libopus's default 10, which
        # a synthetic voice at this bitrate does not need (measured on a 170-character answer).
        stream = target.add_stream("libopus", rate=OPUS_RATE, layout="mono", options=OPUS_OPTIONS)
        stream.bit_rate = OPUS_BITRATE
        for frame in _audio_frames(source):
            for resampled in resampler.resample(frame):
                samples += resampled.samples
                target.mux(stream.encode(resampled))
        for resampled in resampler.resample(None):
            samples += resampled.samples
            target.mux(stream.encode(resampled))
        target.mux(stream.encode(None))
    return out.getvalue(), samples / OPUS_RATE


def _audio_frames(container: av.container.InputContainer) -> Iterator[av.AudioFrame]:
    """The first audio stream's frames, skipping corrupt ones the way faster-whisper does.

    A voice message cut short or with a damaged page still transcribes; only an unreadable file fails.
    """
    import av.error

    frames = container.decode(audio=0)
    while True:
        try:
            frame = next(frames)
        except StopIteration:
            return
        except av.error.InvalidDataError:
            continue
        yield frame


def _reason(exc: av.error.FFmpegError) -> str:
    # FFmpeg's own wording ("Invalid data found when processing input") is what a member can act on.
    return str(exc.strerror or exc).rstrip(".").lower()


def _format_seconds(seconds: float) -> Message:
    if seconds >= 60 and seconds % 60 == 0:
        return tn("{count} minute", "{count} minutes", int(seconds // 60))
    if seconds == int(seconds):
        return tn("{count} second", "{count} seconds", int(seconds))
    return t("{seconds} s", seconds=number(seconds, 2))
