"""Per-guild preferences: the language voice messages are in, the voice the bot speaks with, and the
persona its language model answers with."""

from __future__ import annotations

import re
from collections.abc import Sequence

from trainer_bot.errors import UserError
from trainer_bot.storage import GuildSettings, GuildSettingsRepository
from trainer_bot.text import clean_text

# edge-tts voice names look like "ru-RU-SvetlanaNeural" or "en-US-AriaNeural".
VOICE_NAME = re.compile(r"^[a-z]{2,3}-[A-Z]{2,3}-[A-Za-z]+Neural$")
MAX_PERSONA_CHARS = 1000  # a system prompt, not a document: it is sent with every answer
DEFAULT_PERSONA = (
    "You are trainer-bot, the assistant of this Discord server. Its members teach you with examples and "
    "corrections. Answer briefly and kindly, in the language the member wrote in. When the taught "
    "material answers the question, follow it; when you don't know, say so instead of guessing."
)


class BadPreference(UserError):
    pass


class GuildPreferences:
    def __init__(
        self, repository: GuildSettingsRepository, *, languages: Sequence[str], default_voice: str
    ) -> None:
        self._repository = repository
        self.languages = tuple(languages)
        self.default_voice = default_voice
        self._cache: dict[int, GuildSettings] = {}

    async def _get(self, guild_id: int) -> GuildSettings:
        if guild_id not in self._cache:
            self._cache[guild_id] = await self._repository.get(guild_id)
        return self._cache[guild_id]

    async def stt_language(self, guild_id: int | None) -> str | None:
        """None: detect among the configured languages."""
        return None if guild_id is None else (await self._get(guild_id)).stt_language

    async def tts_voice(self, guild_id: int | None) -> str:
        if guild_id is None:
            return self.default_voice
        return (await self._get(guild_id)).tts_voice or self.default_voice

    async def persona(self, guild_id: int | None) -> str:
        if guild_id is None:
            return DEFAULT_PERSONA
        return (await self._get(guild_id)).persona or DEFAULT_PERSONA

    async def set_persona(self, guild_id: int, persona: str | None) -> None:
        text = clean_text(persona or "").strip()
        if len(text) > MAX_PERSONA_CHARS:
            raise BadPreference(
                f"A persona can be at most {MAX_PERSONA_CHARS} characters; this one has {len(text)}."
            )
        self._cache[guild_id] = await self._repository.set_persona(guild_id, text or None)

    async def set_language(self, guild_id: int, language: str | None) -> None:
        if language is not None and language.lower() not in self.languages:
            allowed = ", ".join(self.languages)
            raise BadPreference(f"`{language}` is not one of the languages this bot listens for: {allowed}.")
        self._cache[guild_id] = await self._repository.set_stt_language(
            guild_id, language and language.lower()
        )

    async def set_voice(self, guild_id: int, voice: str | None) -> None:
        if voice is not None and not VOICE_NAME.match(voice):
            raise BadPreference(
                f"`{voice[:60]}` is not a voice name like `ru-RU-DmitryNeural` or `en-US-AriaNeural`."
            )
        self._cache[guild_id] = await self._repository.set_tts_voice(guild_id, voice)
