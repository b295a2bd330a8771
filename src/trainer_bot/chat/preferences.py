"""Per-guild preferences: the guild's language (what the bot speaks to the channel and hears in voice
messages), the voice the bot speaks with, and the persona its language model answers with; and the
members' client languages, a hint for their voice messages."""

from __future__ import annotations

import re
from collections.abc import Sequence

from trainer_bot.chat.locales import MemberLocales
from trainer_bot.errors import UserError
from trainer_bot.i18n import t
from trainer_bot.storage import GuildSettings, GuildSettingsRepository
from trainer_bot.text import clean_text

# A client language is trusted for voice messages only when it names one of the languages the bot listens
# for, and never when it is English while others are listened for too: English is Discord's default and the
# client language of many members who speak something else (a Russian speaker with an English client in a
# ru,en community must not be transcribed as English). Such members pay a detection (1-2 s) instead.
# A member who speaks another language than their client's is still heard right if the guild fixes it with
# /settings language, which always comes first.
WEAK_LOCALES = frozenset({"en"})

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
        self,
        repository: GuildSettingsRepository,
        *,
        languages: Sequence[str],
        default_voice: str,
        locales: MemberLocales | None = None,
    ) -> None:
        self._repository = repository
        self.languages = tuple(languages)
        self.default_voice = default_voice
        self._cache: dict[int, GuildSettings] = {}
        self._locales = locales or MemberLocales()

    async def _get(self, guild_id: int) -> GuildSettings:
        if guild_id not in self._cache:
            self._cache[guild_id] = await self._repository.get(guild_id)
        return self._cache[guild_id]

    async def language(self, guild_id: int | None) -> str | None:
        """The language chosen with /settings language; None: automatic (the server's Community locale
        for what the bot says to the channel, detection for voice messages)."""
        return None if guild_id is None else (await self._get(guild_id)).stt_language

    async def stt_language(self, guild_id: int | None, member_id: int | None = None) -> str | None:
        """The guild's fixed language, else the member's client language when it can be trusted (see
        WEAK_LOCALES); None: detect among the configured languages."""
        fixed = await self.language(guild_id)
        if fixed is not None or member_id is None:
            return fixed
        return self._trusted_locale(member_id)

    def remember_locale(self, member_id: int, locale: str) -> None:
        """Called with the locale of every command a member uses (Discord sends it with nothing else)."""
        self._locales.remember(member_id, locale)

    def _trusted_locale(self, member_id: int) -> str | None:
        code = self._locales.language_of(member_id)
        if code is None or code not in self.languages:
            return None
        return None if code in WEAK_LOCALES and len(self.languages) > 1 else code

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
                t(
                    "A persona can be at most {limit} characters; this one has {length}.",
                    limit=MAX_PERSONA_CHARS,
                    length=len(text),
                )
            )
        self._cache[guild_id] = await self._repository.set_persona(guild_id, text or None)

    async def set_language(self, guild_id: int, language: str | None) -> None:
        if language is not None and language.lower() not in self.languages:
            allowed = ", ".join(self.languages)
            raise BadPreference(
                t(
                    "`{language}` is not one of the languages I know: {allowed}.",
                    language=language,
                    allowed=allowed,
                )
            )
        self._cache[guild_id] = await self._repository.set_stt_language(
            guild_id, language and language.lower()
        )

    async def set_voice(self, guild_id: int, voice: str | None) -> None:
        if voice is not None and not VOICE_NAME.match(voice):
            raise BadPreference(
                t(
                    "`{voice}` is not a voice name like `ru-RU-DmitryNeural` or `en-US-AriaNeural`.",
                    voice=voice[:60],
                )
            )
        self._cache[guild_id] = await self._repository.set_tts_voice(guild_id, voice)
