"""Commands that fail on purpose, loaded only by the end-to-end tests of the shared error handling."""

from __future__ import annotations

import hikari
import lightbulb

from trainer_bot.errors import UserError

loader = lightbulb.Loader()


@loader.command
class Explode(lightbulb.SlashCommand, name="explode", description="Raises an unexpected exception"):
    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context) -> None:
        raise RuntimeError("the secret internals of a crash")


@loader.command
class Refuse(lightbulb.SlashCommand, name="refuse", description="Raises a member-facing error"):
    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context) -> None:
        raise UserError("That file is not in this server's workspace.")


@loader.command
class Once(
    lightbulb.SlashCommand,
    name="once",
    description="Allows one use a minute",
    hooks=[lightbulb.prefab.fixed_window(60, 1, "user")],
):
    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context) -> None:
        await ctx.respond("done")


@loader.command
class Moderate(
    lightbulb.SlashCommand,
    name="moderate",
    description="Needs Manage Server",
    hooks=[lightbulb.prefab.has_permissions(hikari.Permissions.MANAGE_GUILD)],
):
    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context) -> None:
        await ctx.respond("moderated")
