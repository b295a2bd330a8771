"""`/export`: what this server taught, as chat fine-tuning JSONL."""

from __future__ import annotations

import asyncio

import hikari
import lightbulb

from trainer_bot.chat.conversation import ConversationService
from trainer_bot.chat.export import fine_tuning_export
from trainer_bot.chat.preferences import GuildPreferences
from trainer_bot.errors import UserError
from trainer_bot.i18n import Translator, command_text, t, tn
from trainer_bot.plugins._shared import MANAGE_GUILD, NEEDS_MANAGE_GUILD, per_user_cooldown, require_guild

loader = lightbulb.Loader()


@loader.command
class Export(
    lightbulb.SlashCommand,
    name=command_text("export"),
    description=command_text("What this server taught me, as fine-tuning data for a real model (JSONL)"),
    default_member_permissions=MANAGE_GUILD,
    hooks=[NEEDS_MANAGE_GUILD, per_user_cooldown(60, 2)],
    localize=True,
):
    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        conversation: ConversationService = lightbulb.di.INJECTED,
        preferences: GuildPreferences = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        await ctx.defer(ephemeral=True)
        guild_id = require_guild(ctx)
        material = await conversation.everything_taught(guild_id)
        persona = await preferences.persona(guild_id)
        limit = ctx.interaction.attachment_size_limit
        try:
            export = await asyncio.to_thread(fine_tuning_export, persona, material, size_limit=limit)
        except ValueError as too_big:
            raise UserError(
                t("That is too much for one file here ({reason}).", reason=str(too_big))
            ) from None
        if not export.conversations:
            nothing = t("Nothing to export yet: teach me with /train, corrections or 👍 first.")
            await ctx.respond(translator.render(nothing))
            return
        exported = tn(
            "{count} conversation in OpenAI's chat fine-tuning format (one JSON object per line, with this "
            "server's persona as the system message): corrections, trained prompt/response pairs and answers "
            "members liked.",
            "{count} conversations in OpenAI's chat fine-tuning format (one JSON object per line, with this "
            "server's persona as the system message): corrections, trained prompt/response pairs and answers "
            "members liked.",
            export.conversations,
        )
        await ctx.respond(translator.render(exported), attachment=hikari.Bytes(export.data, export.filename))
