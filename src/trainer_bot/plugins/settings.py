"""`/settings`: the guild's language, the voice the bot speaks with, its persona, retention."""

from __future__ import annotations

import lightbulb

from trainer_bot.chat.preferences import GuildPreferences
from trainer_bot.chat.privacy import PrivacyService
from trainer_bot.i18n import Translator, command_text, t, tn
from trainer_bot.plugins._shared import MANAGE_GUILD, NEEDS_MANAGE_GUILD, require_guild
from trainer_bot.text import escape_markdown

loader = lightbulb.Loader()
settings = lightbulb.Group(
    command_text("settings"),
    command_text("How the bot listens and speaks in this server"),
    default_member_permissions=MANAGE_GUILD,
    localize=True,
)


@settings.register
class Language(
    lightbulb.SlashCommand,
    name=command_text("language"),
    description=command_text(
        "The language I speak to this server and hear voice messages in (empty: the server's own)"
    ),
    hooks=[NEEDS_MANAGE_GUILD],
    localize=True,
):
    language = lightbulb.string(
        command_text("language"),
        command_text("A language code such as ru or en; empty: the server's language, voice detected"),
        default=None,
        localize=True,
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        preferences: GuildPreferences = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        await preferences.set_language(require_guild(ctx), self.language)
        if self.language:
            answer = t(
                "I'll speak `{language}` to this server's channels and hear voice messages in it. "
                "Commands still answer each member in their own Discord language.",
                language=self.language.lower(),
            )
        else:
            answer = t(
                "I'll speak the server's own language in its channels and detect the language of voice "
                "messages among: {languages}.",
                languages=", ".join(preferences.languages),
            )
        await ctx.respond(translator.render(answer), ephemeral=True)


@settings.register
class Voice(
    lightbulb.SlashCommand,
    name=command_text("voice"),
    description=command_text("The voice I speak with (empty: the default)"),
    hooks=[NEEDS_MANAGE_GUILD],
    localize=True,
):
    voice = lightbulb.string(
        command_text("voice"),
        command_text("An edge-tts voice such as ru-RU-DmitryNeural or en-US-AriaNeural"),
        default=None,
        localize=True,
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        preferences: GuildPreferences = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        await preferences.set_voice(require_guild(ctx), self.voice)
        answer = t("I'll speak with `{voice}`.", voice=self.voice or preferences.default_voice)
        await ctx.respond(translator.render(answer), ephemeral=True)


@settings.register
class Persona(
    lightbulb.SlashCommand,
    name=command_text("persona"),
    description=command_text("Who I am when I answer here: a system prompt (empty: the default)"),
    hooks=[NEEDS_MANAGE_GUILD],
    localize=True,
):
    text = lightbulb.string(
        command_text("text"),
        command_text("e.g. You are the friendly helper of our chess club. Empty: the default"),
        default=None,
        localize=True,
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        preferences: GuildPreferences = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        guild_id = require_guild(ctx)
        await preferences.set_persona(guild_id, self.text)
        persona = await preferences.persona(guild_id)
        answer = t("I'll answer here as:\n>>> {persona}", persona=escape_markdown(persona))
        await ctx.respond(translator.render(answer), ephemeral=True)


@settings.register
class Retention(
    lightbulb.SlashCommand,
    name=command_text("retention"),
    description=command_text("How many days conversations are kept here (empty: the bot's default)"),
    hooks=[NEEDS_MANAGE_GUILD],
    localize=True,
):
    days = lightbulb.integer(
        command_text("days"),
        command_text("Days to keep conversations, 1 to 3650; empty: the default"),
        default=None,
        localize=True,
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        privacy: PrivacyService = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        guild_id = require_guild(ctx)
        await privacy.set_retention(guild_id, self.days)
        days = await privacy.retention_of(guild_id)
        answer = (
            tn(
                "Conversations here are kept for {count} day.",
                "Conversations here are kept for {count} days.",
                days,
            )
            if days
            else t("Conversations here are kept until a member deletes them.")
        )
        await ctx.respond(translator.render(answer), ephemeral=True)


loader.command(settings)
