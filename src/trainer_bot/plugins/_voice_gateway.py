"""The voice service's way into Discord: gateway op 4 through hikari."""

from __future__ import annotations

import hikari


class HikariVoiceGateway:
    def __init__(self, bot: hikari.GatewayBot) -> None:
        self._bot = bot

    async def join(self, guild_id: int, channel_id: int) -> None:
        # Both flags explicitly: hikari leaves omitted ones out of the payload.
        await self._bot.update_voice_state(guild_id, channel_id, self_mute=False, self_deaf=True)

    async def leave(self, guild_id: int) -> None:
        await self._bot.update_voice_state(guild_id, None, self_mute=False, self_deaf=True)
