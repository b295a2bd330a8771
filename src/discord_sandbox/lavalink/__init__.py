"""A fake Lavalink v4 node for tests and the sandbox: real HTTP and websocket on 127.0.0.1, real audio."""

from __future__ import annotations

from discord_sandbox.lavalink.audio import (
    AudioInfo,
    UnsupportedAudio,
    ogg_opus_silence,
    probe,
    silent_mp3,
    sine_wav,
)
from discord_sandbox.lavalink.node import FakeLavalinkNode
from discord_sandbox.lavalink.player import FakePlayer, PlayRecord

__all__ = [
    "AudioInfo",
    "FakeLavalinkNode",
    "FakePlayer",
    "PlayRecord",
    "UnsupportedAudio",
    "ogg_opus_silence",
    "probe",
    "silent_mp3",
    "sine_wav",
]
