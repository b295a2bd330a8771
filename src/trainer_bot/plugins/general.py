"""`/hi` and `/instruction`: the commands anyone can use to get started."""

from __future__ import annotations

import lightbulb

from trainer_bot.chat.instructions import InstructionSource

loader = lightbulb.Loader()


@loader.command
class Hi(lightbulb.SlashCommand, name="hi", description="Say hello to the bot"):
    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context) -> None:
        await ctx.respond("HI!")


@loader.command
class Instruction(lightbulb.SlashCommand, name="instruction", description="How to use the bot (RU/EN)"):
    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context, source: InstructionSource = lightbulb.di.INJECTED) -> None:
        first, *rest = await source.messages()
        await ctx.respond(first)
        for chunk in rest:
            await ctx.respond(chunk)
