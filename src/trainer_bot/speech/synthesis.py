"""What a speech engine produces, and how it says it could not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SpeechAudio:
    data: bytes
    content_type: str
    extension: str
    duration: float
    """Seconds of audio, counted from the decoded output."""
    engine: str


class SynthesisFailed(Exception):
    """An engine could not speak this time (network down, binary missing, ...); the next engine runs.

    Not member-readable: the `Synthesizer` logs it and tries the next engine.
    """


class SpeechEngine(Protocol):
    @property
    def name(self) -> str: ...

    async def synthesize(self, text: str, *, voice: str | None = None) -> SpeechAudio:
        """Speak already cleaned text; raise `SynthesisFailed` when this engine cannot."""
        ...
