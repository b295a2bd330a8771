"""A browser recording made into what Discord's clients send as a voice message: Ogg/Opus, with its length.

Chromium's MediaRecorder writes WebM/Opus (Firefox writes Ogg/Opus); Discord voice messages are always
`audio/ogg` Opus with `duration_secs`, so the page's recordings are re-encoded here before they are posted.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
from av.audio.resampler import AudioResampler

MAX_RECORDING_BYTES = 8 * 1024 * 1024
OPUS_RATE = 48_000


@dataclass(frozen=True)
class VoiceClip:
    data: bytes
    duration_secs: float


class NotAudio(ValueError):
    pass


def to_voice_message(recording: bytes) -> VoiceClip:
    """Decode any audio the browser recorded and encode it as mono 48 kHz Ogg/Opus."""
    if len(recording) > MAX_RECORDING_BYTES:
        raise NotAudio("the recording is too long for a voice message")
    try:
        source = av.open(io.BytesIO(recording), "r")
    except av.FFmpegError as exc:
        raise NotAudio("the recording is not audio the sandbox can read") from exc
    out = io.BytesIO()
    samples = 0
    with source, av.open(out, "w", format="ogg") as target:
        if not source.streams.audio:
            raise NotAudio("the recording has no sound track")
        stream = target.add_stream("libopus", rate=OPUS_RATE, layout="mono")
        resampler = AudioResampler(format="s16", layout="mono", rate=OPUS_RATE)
        try:
            for frame in source.decode(audio=0):
                for converted in resampler.resample(frame):
                    samples += converted.samples
                    target.mux(stream.encode(converted))
        except av.FFmpegError as exc:
            raise NotAudio("the recording is damaged") from exc
        for converted in resampler.resample(None):
            samples += converted.samples
            target.mux(stream.encode(converted))
        target.mux(stream.encode(None))
    return VoiceClip(out.getvalue(), round(samples / OPUS_RATE, 2))
