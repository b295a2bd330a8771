"""`/join`, `/leave`, and the gateway's voice events that the Lavalink player needs."""

from __future__ import annotations

import hikari
import lightbulb

from trainer_bot.i18n import Translator, command_text, t
from trainer_bot.plugins._shared import per_user_cooldown, require_guild
from trainer_bot.voice.errors import NotInVoice
from trainer_bot.voice.service import VoiceService

loader = lightbulb.Loader()


@loader.listener(hikari.VoiceStateUpdateEvent)
async def voice_state_changed(
    event: hikari.VoiceStateUpdateEvent, voice: VoiceService = lightbulb.di.INJECTED
) -> None:
    state = event.state
    is_bot = state.member.is_bot if state.member else False
    await voice.on_voice_state_update(
        state.guild_id, state.user_id, state.channel_id, state.session_id, is_bot=is_bot
    )


@loader.listener(hikari.VoiceServerUpdateEvent)
async def voice_server_changed(
    event: hikari.VoiceServerUpdateEvent, voice: VoiceService = lightbulb.di.INJECTED
) -> None:
    await voice.on_voice_server_update(event.guild_id, event.token, event.raw_endpoint)


@loader.listener(hikari.GuildAvailableEvent)
async def note_members_in_voice(
    event: hikari.GuildAvailableEvent, voice: VoiceService = lightbulb.di.INJECTED
) -> None:
    """Who is in which channel when the guild arrives, so "leave when alone" knows about them."""
    for user_id, state in event.voice_states.items():
        is_bot = state.member.is_bot if state.member else False
        voice.note_member_voice(event.guild_id, user_id, state.channel_id, is_bot=is_bot)


@loader.command
class Join(
    lightbulb.SlashCommand,
    name=command_text("join"),
    description=command_text("Join your voice channel and speak answers there"),
    hooks=[per_user_cooldown(10, 3)],
    localize=True,
):
    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        voice: VoiceService = lightbulb.di.INJECTED,
        bot: hikari.GatewayBot = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        guild_id = require_guild(ctx)
        state = bot.cache.get_voice_state(guild_id, ctx.user.id)
        if state is None or state.channel_id is None:
            raise NotInVoice()
        await ctx.defer(ephemeral=True)
        await voice.join(guild_id, state.channel_id)
        joined = t(
            "Joined <#{channel_id}>. I'll speak my answers to people in this channel.",
            channel_id=state.channel_id,
        )
        await ctx.respond(translator.render(joined))


@loader.command
class Leave(
    lightbulb.SlashCommand,
    name=command_text("leave"),
    description=command_text("Leave the voice channel and forget queued speech"),
    hooks=[per_user_cooldown(10, 3)],
    localize=True,
):
    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        voice: VoiceService = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        await voice.leave(require_guild(ctx))
        await ctx.respond(translator.render(t("Left the voice channel.")), ephemeral=True)
