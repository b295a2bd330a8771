"""`/hi` and `/instruction`: the commands anyone can use to get started."""

from __future__ import annotations

import lightbulb

from trainer_bot.chat.instructions import InstructionSource
from trainer_bot.i18n import Translator, command_text, t

loader = lightbulb.Loader()


@loader.command
class Hi(
    lightbulb.SlashCommand,
    name=command_text("hi"),
    description=command_text("Say hello to the bot"),
    localize=True,
):
    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context, translator: Translator = lightbulb.di.INJECTED) -> None:
        await ctx.respond(translator.render(t("HI!")))


@loader.command
class Instruction(
    lightbulb.SlashCommand,
    name=command_text("instruction"),
    description=command_text("How to use the bot (RU/EN)"),
    localize=True,
):
    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        source: InstructionSource = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        first, *rest = await source.messages(translator.language)
        await ctx.respond(first)
        for chunk in rest:
            await ctx.respond(chunk)
