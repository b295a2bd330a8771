"""`/settings`: the guild's speech language, the voice the bot speaks with, its persona, retention."""

from __future__ import annotations

import lightbulb

from trainer_bot.chat.preferences import GuildPreferences
from trainer_bot.chat.privacy import PrivacyService
from trainer_bot.plugins._shared import MANAGE_GUILD, NEEDS_MANAGE_GUILD, require_guild
from trainer_bot.text import escape_markdown

loader = lightbulb.Loader()
settings = lightbulb.Group(
    "settings", "How the bot listens and speaks in this server", default_member_permissions=MANAGE_GUILD
)


@settings.register
class Language(
    lightbulb.SlashCommand,
    name="language",
    description="The language of voice messages here (empty: detect)",
    hooks=[NEEDS_MANAGE_GUILD],
):
    language = lightbulb.string(
        "language", "A language code such as ru or en; leave empty to detect", default=None
    )

    @lightbulb.invoke
    async def invoke(
        self, ctx: lightbulb.Context, preferences: GuildPreferences = lightbulb.di.INJECTED
    ) -> None:
        await preferences.set_language(require_guild(ctx), self.language)
        if self.language:
            await ctx.respond(
                f"Voice messages here are now transcribed as `{self.language.lower()}`.", ephemeral=True
            )
        else:
            detected = ", ".join(preferences.languages)
            await ctx.respond(
                f"I'll detect the language of voice messages among: {detected}.", ephemeral=True
            )


@settings.register
class Voice(
    lightbulb.SlashCommand,
    name="voice",
    description="The voice I speak with (empty: the default)",
    hooks=[NEEDS_MANAGE_GUILD],
):
    voice = lightbulb.string(
        "voice", "An edge-tts voice such as ru-RU-DmitryNeural or en-US-AriaNeural", default=None
    )

    @lightbulb.invoke
    async def invoke(
        self, ctx: lightbulb.Context, preferences: GuildPreferences = lightbulb.di.INJECTED
    ) -> None:
        await preferences.set_voice(require_guild(ctx), self.voice)
        await ctx.respond(f"I'll speak with `{self.voice or preferences.default_voice}`.", ephemeral=True)


@settings.register
class Persona(
    lightbulb.SlashCommand,
    name="persona",
    description="Who I am when I answer here: a system prompt (empty: the default)",
    hooks=[NEEDS_MANAGE_GUILD],
):
    text = lightbulb.string(
        "text", "e.g. You are the friendly helper of our chess club. Empty: the default", default=None
    )

    @lightbulb.invoke
    async def invoke(
        self, ctx: lightbulb.Context, preferences: GuildPreferences = lightbulb.di.INJECTED
    ) -> None:
        guild_id = require_guild(ctx)
        await preferences.set_persona(guild_id, self.text)
        persona = await preferences.persona(guild_id)
        await ctx.respond(f"I'll answer here as:\n>>> {escape_markdown(persona)}", ephemeral=True)


@settings.register
class Retention(
    lightbulb.SlashCommand,
    name="retention",
    description="How many days conversations are kept here (empty: the bot's default)",
    hooks=[NEEDS_MANAGE_GUILD],
):
    days = lightbulb.integer(
        "days", "Days to keep conversations, 1 to 3650; empty: the default", default=None
    )

    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context, privacy: PrivacyService = lightbulb.di.INJECTED) -> None:
        guild_id = require_guild(ctx)
        await privacy.set_retention(guild_id, self.days)
        days = await privacy.retention_of(guild_id)
        kept = f"for {days} days" if days else "until a member deletes them"
        await ctx.respond(f"Conversations here are kept {kept}.", ephemeral=True)


loader.command(settings)
