"""`/privacy export` and `/privacy forget-me`: members' own data; and guilds that remove the bot."""

from __future__ import annotations

import hikari
import lightbulb

from trainer_bot.chat.privacy import PrivacyService
from trainer_bot.i18n import Message, Translator, command_text, t, tn
from trainer_bot.plugins._shared import per_user_cooldown

loader = lightbulb.Loader()
privacy = lightbulb.Group(
    command_text("privacy"), command_text("Your data: take a copy, or delete it"), localize=True
)


def deleted_counts(counts: dict[str, int]) -> list[Message]:
    def count(table: str) -> int:
        return counts.get(table, 0)

    return [
        tn("{count} message I answered", "{count} messages I answered", count("conversation_turns")),
        tn("{count} correction", "{count} corrections", count("corrections")),
        tn("{count} feedback note", "{count} feedback notes", count("feedback")),
        tn("{count} rating", "{count} ratings", count("ratings")),
    ]


@privacy.register
class Export(
    lightbulb.SlashCommand,
    name=command_text("export"),
    description=command_text("Get everything you wrote that the bot keeps, as a JSON file (only you see it)"),
    hooks=[per_user_cooldown(300, 2)],
    localize=True,
):
    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        service: PrivacyService = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        await ctx.defer(ephemeral=True)
        data = await service.export(ctx.user.id)
        await ctx.respond(
            translator.render(t("Here is everything I keep that you wrote, in every server.")),
            attachment=hikari.Bytes(data, "trainer-bot-my-data.json"),
        )


@privacy.register
class ForgetMe(
    lightbulb.SlashCommand,
    name=command_text("forget-me"),
    description=command_text(
        "Delete what you wrote, in every server: messages, corrections, feedback, ratings"
    ),
    hooks=[per_user_cooldown(300, 2)],
    localize=True,
):
    confirm = lightbulb.boolean(
        command_text("confirm"), command_text("True: yes, delete my data in every server"), localize=True
    )

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        service: PrivacyService = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        if not self.confirm:
            refused = t("Nothing was deleted. Run it again with `confirm: True` to delete.")
            await ctx.respond(translator.render(refused), ephemeral=True)
            return
        await ctx.defer(ephemeral=True)
        counts = await service.forget(ctx.user.id)
        deleted = ", ".join(translator.render(kind) for kind in deleted_counts(counts))
        forgotten = t(
            "Deleted: {deleted}. What remains: models already trained with your corrections answer with them "
            "until the server's next /train, and other members' corrections of my answers to you.",
            deleted=deleted,
        )
        await ctx.respond(translator.render(forgotten))


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
