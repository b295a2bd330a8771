"""Spoken answers: the guild's voice, synthesis with fallback, then the voice channel's queue, in order."""

from __future__ import annotations

import asyncio
from typing import Protocol

from trainer_bot.speech.tts import Synthesizer
from trainer_bot.voice.service import VoiceService


class VoiceChoice(Protocol):
    """Where a guild's choice of voice is kept (the guild's preferences)."""

    async def tts_voice(self, guild_id: int | None) -> str: ...


class SpeakingTurn:
    """A place in a guild's spoken queue, taken when the message arrives.

    Answers are computed concurrently and a short one can be ready before a long one; turns make them
    play in the order members asked.
    """

    def __init__(self, guild_id: int, previous: asyncio.Future[None] | None) -> None:
        self.guild_id = guild_id
        self._previous = previous
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def wait(self) -> None:
        if self._previous is not None:
            await asyncio.shield(self._previous)

    def release(self) -> None:
        """Let the next turn go (whether or not this one spoke)."""
        if not self.done.done():
            self.done.set_result(None)


class Speaking:
    def __init__(self, synthesizer: Synthesizer, voice: VoiceService, preferences: VoiceChoice) -> None:
        self._synthesizer = synthesizer
        self._voice = voice
        self._preferences = preferences
        self._last_turn: dict[int, asyncio.Future[None]] = {}

    @property
    def enabled(self) -> bool:
        return self._voice.enabled

    def reserve(self, guild_id: int) -> SpeakingTurn:
        turn = SpeakingTurn(guild_id, self._last_turn.get(guild_id))
        self._last_turn[guild_id] = turn.done
        return turn

    async def say(
        self, turn: SpeakingTurn, channel_id: int, text: str, *, text_channel_id: int | None = None
    ) -> None:
        """Queue `text` in the channel after earlier turns; raises a UserError (e.g. no node) to log.

        `text_channel_id`: where the written answer is, for a notice if voice gives up."""
        try:
            voice = await self._preferences.tts_voice(turn.guild_id)
            parts = self._synthesizer.synthesize_parts(text, voice=voice)
            try:
                async for audio in parts:  # a long answer's first part plays while the next is synthesised
                    await turn.wait()
                    await self._voice.speak(turn.guild_id, channel_id, audio, text_channel_id=text_channel_id)
            finally:
                await parts.aclose()
        finally:
            turn.release()
