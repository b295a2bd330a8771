"""Voice messages to text, in the language known for the guild and member (or detected among the configured
ones)."""

from __future__ import annotations

from typing import Protocol

from trainer_bot.speech.stt import OnQueued, Transcriber, Transcript


class LanguageChoice(Protocol):
    """Where the language of a member's voice messages is known from (the guild's preferences)."""

    async def stt_language(self, guild_id: int | None, member_id: int | None) -> str | None:
        """None: detect among the configured languages."""
        ...


class Listening:
    def __init__(self, transcriber: Transcriber, preferences: LanguageChoice, *, max_bytes: int) -> None:
        self._transcriber = transcriber
        self._preferences = preferences
        self.max_bytes = max_bytes

    async def transcribe(
        self,
        guild_id: int | None,
        audio: bytes,
        *,
        filename: str,
        member_id: int | None = None,
        on_queued: OnQueued | None = None,
    ) -> Transcript:
        """`member_id`: who speaks in the recording (its author), whose language may be known."""
        language = await self._preferences.stt_language(guild_id, member_id)
        return await self._transcriber.transcribe(
            audio, filename=filename, language=language, on_queued=on_queued
        )

    async def close(self) -> None:
        await self._transcriber.close()
