"""What every transcriber takes and returns, so the bot does not care where recognition runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

OnQueued = Callable[[int], Awaitable[None]]
"""Told the 1-based queue position when a request has to wait for a free worker."""


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Transcript:
    text: str
    language: str | None
    duration: float
    """Seconds of audio."""
    seconds: float
    """Processing time in seconds (decoding and recognition; not queueing or the first model load)."""
    segments: tuple[Segment, ...] = ()
    """Timed pieces of `text`, where the transcriber knows them (for verbose API answers)."""


class Transcriber(Protocol):
    async def transcribe(
        self,
        audio: bytes,
        *,
        filename: str = "audio.ogg",
        language: str | None = None,
        on_queued: OnQueued | None = None,
    ) -> Transcript:
        """Raises `SpeechError` (member-readable) for anything the member should hear about."""
        ...

    async def close(self) -> None: ...
