"""The voice service's way into Discord through hikari: gateway op 4, and notices in a text channel."""

from __future__ import annotations

import logging

import hikari

from trainer_bot.chat.preferences import GuildPreferences
from trainer_bot.i18n import Message, Translations
from trainer_bot.plugins._language import guild_translator

_LOGGER = logging.getLogger(__name__)


class HikariVoiceGateway:
    def __init__(
        self, bot: hikari.GatewayBot, translations: Translations, preferences: GuildPreferences
    ) -> None:
        self._bot = bot
        self._translations = translations
        self._preferences = preferences

    async def join(self, guild_id: int, channel_id: int) -> None:
        # Both flags explicitly: hikari leaves omitted ones out of the payload.
        await self._bot.update_voice_state(guild_id, channel_id, self_mute=False, self_deaf=True)

    async def leave(self, guild_id: int) -> None:
        await self._bot.update_voice_state(guild_id, None, self_mute=False, self_deaf=True)

    async def post(self, guild_id: int, channel_id: int, text: Message) -> None:
        """A notice for the whole channel, so in the guild's language (as chat answers are)."""
        translator = await guild_translator(self._translations, self._preferences, self._bot.cache, guild_id)
        try:
            await self._bot.rest.create_message(channel_id, translator.render(text))
        except hikari.HikariError as exc:
            _LOGGER.warning("could not post a voice notice in channel %s: %s", channel_id, exc)
