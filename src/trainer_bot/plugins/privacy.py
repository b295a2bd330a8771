"""`/privacy export` and `/privacy forget-me`: members' own data; and guilds that remove the bot."""

from __future__ import annotations

import hikari
import lightbulb

from trainer_bot.chat.privacy import PrivacyService
from trainer_bot.plugins._shared import per_user_cooldown

loader = lightbulb.Loader()
privacy = lightbulb.Group("privacy", "Your data: take a copy, or delete it")

KINDS = {
    "conversation_turns": "messages I answered",
    "corrections": "corrections",
    "feedback": "feedback notes",
    "ratings": "ratings",
}


@privacy.register
class Export(
    lightbulb.SlashCommand,
    name="export",
    description="Get everything you wrote that the bot keeps, as a JSON file (only you see it)",
    hooks=[per_user_cooldown(300, 2)],
):
    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context, service: PrivacyService = lightbulb.di.INJECTED) -> None:
        await ctx.defer(ephemeral=True)
        data = await service.export(ctx.user.id)
        await ctx.respond(
            "Here is everything I keep that you wrote, in every server.",
            attachment=hikari.Bytes(data, "trainer-bot-my-data.json"),
        )


@privacy.register
class ForgetMe(
    lightbulb.SlashCommand,
    name="forget-me",
    description="Delete what you wrote, in every server: messages, corrections, feedback, ratings",
    hooks=[per_user_cooldown(300, 2)],
):
    confirm = lightbulb.boolean("confirm", "True: yes, delete my data in every server")

    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context, service: PrivacyService = lightbulb.di.INJECTED) -> None:
        if not self.confirm:
            await ctx.respond(
                "Nothing was deleted. Run it again with `confirm: True` to delete.", ephemeral=True
            )
            return
        await ctx.defer(ephemeral=True)
        counts = await service.forget(ctx.user.id)
        deleted = ", ".join(f"{counts.get(table, 0)} {name}" for table, name in KINDS.items())
        await ctx.respond(
            f"Deleted: {deleted}. What remains: models already trained with your corrections answer "
            "with them until the server's next /train, and other members' corrections of my answers to you."
        )


loader.command(privacy)


@loader.listener(hikari.GuildLeaveEvent)
async def removed_from_guild(
    event: hikari.GuildLeaveEvent, service: PrivacyService = lightbulb.di.INJECTED
) -> None:
    await service.guild_left(event.guild_id)


@loader.listener(hikari.GuildAvailableEvent)
async def guild_available(
    event: hikari.GuildAvailableEvent, service: PrivacyService = lightbulb.di.INJECTED
) -> None:
    await service.guild_present(event.guild_id)


@loader.listener(hikari.GuildJoinEvent)
async def added_to_guild(
    event: hikari.GuildJoinEvent, service: PrivacyService = lightbulb.di.INJECTED
) -> None:
    await service.guild_present(event.guild_id)
