"""Voice messages to text, in the language the guild chose (or detected among the configured ones)."""

from __future__ import annotations

from typing import Protocol

from trainer_bot.speech.stt import OnQueued, Transcriber, Transcript


class LanguageChoice(Protocol):
    """Where a guild's voice-message language is kept (the guild's preferences)."""

    async def stt_language(self, guild_id: int | None) -> str | None:
        """None: detect among the configured languages."""
        ...


class Listening:
    def __init__(self, transcriber: Transcriber, preferences: LanguageChoice, *, max_bytes: int) -> None:
        self._transcriber = transcriber
        self._preferences = preferences
        self.max_bytes = max_bytes

    async def transcribe(
        self, guild_id: int | None, audio: bytes, *, filename: str, on_queued: OnQueued | None = None
    ) -> Transcript:
        language = await self._preferences.stt_language(guild_id)
        return await self._transcriber.transcribe(
            audio, filename=filename, language=language, on_queued=on_queued
        )

    async def close(self) -> None:
        await self._transcriber.close()
