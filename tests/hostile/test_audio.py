"""Fifteen bad recordings through the real transcriber (Whisper tiny.en): each is refused or heard as
nothing, in words a member can read; none crashes, none holds up the event loop."""

from __future__ import annotations

import io
import struct
import wave
from collections.abc import AsyncIterator

import pytest

from speech_support.clips import cached_voice_message, silence
from speech_support.whisper import tiny_en
from trainer_bot.errors import UserError
from trainer_bot.speech.stt import LocalTranscriber

from .conftest import GROWTH, WORST
from .lag import lag_probe


def wav(samples: bytes, *, rate: int = 16_000, width: int = 2, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(samples)
    return buffer.getvalue()


def lying_wav() -> bytes:
    """A header that claims a day of audio over a few bytes of data."""
    data = wav(b"\0\0" * 100)
    return data[:40] + struct.pack("<I", 16_000 * 2 * 86_400) + data[44:]


def recordings() -> list[tuple[str, bytes]]:
    voice = cached_voice_message("Hello there, this is a test.")
    return [
        ("empty.ogg", b""),
        ("text.ogg", b"definitely not audio " * 100),
        ("png.ogg", b"\x89PNG\r\n\x1a\n" + bytes(2000)),
        ("ogg-header-only.ogg", b"OggS" + bytes(500)),
        ("truncated.ogg", voice[: len(voice) // 3]),
        ("garbled.ogg", voice[:200] + bytes(len(voice) - 400) + voice[-200:]),
        ("one-sample.wav", wav(b"\0\0")),
        ("lying-header.wav", lying_wav()),
        ("silence.ogg", silence(3.0)),
        ("too-long.wav", wav(b"\0\0" * 16_000 * 20)),  # over the 10 s this suite allows
        ("8-bit.wav", wav(bytes(8000), width=1, rate=8000)),
        ("stereo-96k.wav", wav(bytes(96_000 * 4), rate=96_000, channels=2)),
        ("mp3-garbage.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb" + bytes(3000)),
        ("zip.opus", b"PK\x03\x04" + bytes(4000)),
        ("random.webm", bytes((n * 7919) % 251 for n in range(20_000))),
    ]


@pytest.fixture(scope="module")
def bad_recordings() -> list[tuple[str, bytes]]:
    return recordings()


@pytest.fixture
async def transcriber() -> AsyncIterator[LocalTranscriber]:
    local = LocalTranscriber("tiny.en-bundled", model_factory=tiny_en, max_seconds=10)
    yield local
    await local.close()


async def test_bad_recordings_are_refused_or_heard_as_nothing(
    transcriber: LocalTranscriber, bad_recordings: list[tuple[str, bytes]]
) -> None:
    assert len(bad_recordings) >= 15
    for name, data in bad_recordings:
        async with lag_probe() as lag:
            try:
                transcript = await transcriber.transcribe(data, filename=name)
            except UserError as refusal:
                assert str(refusal) and len(str(refusal)) < 300, name
            else:
                assert len(transcript.text) < 200, f"{name} was heard as {transcript.text!r}"
        WORST[f"transcribing {name}"] = lag.worst
        GROWTH[f"transcribing {name}"] = lag.rss_growth_mb
        assert lag.rss_growth_mb < 300, f"memory grew by more than 300 MB on {name}"
