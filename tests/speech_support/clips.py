"""Spoken test clips made at test time with espeak-ng, shaped like Discord voice messages.

Discord voice messages are 48 kHz mono Opus in OGG; `to_ogg_opus` produces exactly that.
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
import wave

import pytest

from trainer_bot.speech.media import to_ogg_opus

SHORT_TEXT = "Hello there. Please train a new model with my examples before Friday."
SHORT_WORDS = ("hello", "train", "model", "examples", "friday")

# About 37 seconds at espeak-ng's default rate: long enough that a blocked event loop would show.
LONG_TEXT = " ".join(
    [
        "The weather today is cold and windy, so bring a warm coat when you go outside.",
        "Our community trains a small text model from the examples that members upload.",
        "Every evening the bot reports the accuracy of the latest model in the general channel.",
        "If the answer is wrong, any member can correct it, and the next training run will learn from that.",
        "Voice messages are transcribed on the same machine, without sending the audio anywhere else.",
        "The queue keeps the server responsive when many people speak at the same time.",
        "Tomorrow we will compare the new results with the numbers from last week and share them.",
        "Thank you for listening, and have a pleasant evening with your friends and family.",
    ]
)
LONG_WORDS = ("weather", "community", "accuracy", "voice", "queue", "evening")


def require_espeak() -> str:
    path = shutil.which("espeak-ng")
    if path is None:
        pytest.skip("espeak-ng is not installed (Debian package espeak-ng)")
    return path


def espeak_wav(text: str, voice: str = "en-us") -> bytes:
    espeak = require_espeak()
    done = subprocess.run(
        [espeak, "-v", voice, "-b", "1", "--stdin", "--stdout"],
        input=text.encode(),
        capture_output=True,
        check=True,
        timeout=60,
    )
    return done.stdout


def voice_message(text: str, voice: str = "en-us") -> bytes:
    """OGG/Opus, 48 kHz mono: what Discord attaches to a voice message."""
    return to_ogg_opus(espeak_wav(text, voice))


def words(text: str) -> set[str]:
    """Lowercased words without punctuation, for comparing what was said with what was heard."""
    return set(re.findall(r"[a-z0-9']+", text.lower()))


@functools.cache
def cached_voice_message(text: str, voice: str = "en-us") -> bytes:
    """`voice_message`, made once per test session whatever the module that asks."""
    return voice_message(text, voice)


def silence(seconds: float) -> bytes:
    """OGG/Opus holding nothing but silence."""
    wav = io.BytesIO()
    with wave.open(wav, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(bytes(int(seconds * 16_000) * 2))
    return to_ogg_opus(wav.getvalue())
