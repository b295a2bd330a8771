"""The bot answers messages: when mentioned, replied to, in DMs and in channels enabled with /chat."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import hikari
import lightbulb

from trainer_bot.config import Settings
from trainer_bot.conversation import ConversationService, NotMyAnswer
from trainer_bot.plugins._shared import MANAGE_GUILD, NEEDS_MANAGE_GUILD, require_guild
from trainer_bot.text import split_message

loader = lightbulb.Loader()
_LOGGER = logging.getLogger(__name__)
RATE_PREFIX = "rate:"
RATINGS = {f"{RATE_PREFIX}up": 1, f"{RATE_PREFIX}down": -1}
EMPTY_PROMPT = "Hi! Ask me something after the mention, or reply to one of my messages."


def _without_mentions_of(text: str, user_id: int) -> str:
    return re.sub(rf"<@!?{user_id}>", "", text).strip()


async def _should_answer(
    message: hikari.Message, me: int, settings: Settings, conversation: ConversationService
) -> bool:
    if message.guild_id is None or settings.chat_mode == "all":
        return True
    mentions = message.user_mentions_ids
    if isinstance(mentions, Sequence) and me in mentions:
        return True
    referenced = message.referenced_message
    if referenced is not None and isinstance(referenced.author, hikari.User) and referenced.author.id == me:
        return True
    return await conversation.chat_enabled(message.guild_id, message.channel_id)


def rating_buttons(rest: hikari.api.RESTClient) -> hikari.api.MessageActionRowBuilder:
    row = rest.build_message_action_row()
    row.add_interactive_button(hikari.ButtonStyle.SECONDARY, f"{RATE_PREFIX}up", emoji="👍")
    row.add_interactive_button(hikari.ButtonStyle.SECONDARY, f"{RATE_PREFIX}down", emoji="👎")
    return row


@loader.listener(hikari.MessageCreateEvent)  # type: ignore[type-abstract]  # guild and DM messages both
async def answer_message(
    event: hikari.MessageCreateEvent,
    bot: hikari.GatewayBot = lightbulb.di.INJECTED,
    settings: Settings = lightbulb.di.INJECTED,
    conversation: ConversationService = lightbulb.di.INJECTED,
) -> None:
    me = bot.get_me()
    message = event.message
    if me is None or event.author.is_bot or event.author.is_system:
        return
    if not await _should_answer(message, me.id, settings, conversation):
        return
    prompt = _without_mentions_of(message.content or "", me.id)
    if not prompt:
        await message.respond(EMPTY_PROMPT, reply=True)
        return
    async with bot.rest.trigger_typing(message.channel_id):
        reply = await conversation.reply_to(message.guild_id, prompt)
    chunks = split_message(reply.text)
    sent = []
    for position, chunk in enumerate(chunks):
        last = position == len(chunks) - 1
        sent.append(
            await message.respond(
                chunk, reply=position == 0, component=rating_buttons(bot.rest) if last else hikari.UNDEFINED
            )
        )
    # The turn is keyed by the message carrying the rating buttons, so a rating finds what it rates.
    await conversation.remember(
        guild_id=message.guild_id,
        channel_id=message.channel_id,
        author_id=message.author.id,
        prompt=prompt,
        reply=reply,
        bot_message_id=sent[-1].id,
    )


@loader.listener(hikari.InteractionCreateEvent)
async def rate_answer(
    event: hikari.InteractionCreateEvent, conversation: ConversationService = lightbulb.di.INJECTED
) -> None:
    """👍/👎 under an answer. Handled from the custom id, so buttons keep working after a restart."""
    interaction = event.interaction
    if not isinstance(interaction, hikari.ComponentInteraction) or interaction.custom_id not in RATINGS:
        return
    value = RATINGS[interaction.custom_id]
    try:
        await conversation.rate(interaction.message.id, interaction.user.id, value)
        answer = (
            "Thanks! Noted 👍"
            if value > 0
            else "Thanks! Noted 👎 — you can teach me the right answer with Apps → Correct this reply."
        )
    except NotMyAnswer as refusal:
        answer = str(refusal)
    await interaction.create_initial_response(
        hikari.ResponseType.MESSAGE_CREATE, answer, flags=hikari.MessageFlag.EPHEMERAL
    )


chat = lightbulb.Group(
    "chat", "Where the bot chats without being mentioned", default_member_permissions=MANAGE_GUILD
)


async def _switch_chat(ctx: lightbulb.Context, conversation: ConversationService, *, enabled: bool) -> None:
    changed = await conversation.set_chat(require_guild(ctx), ctx.channel_id, ctx.user.id, enabled=enabled)
    if enabled:
        state = (
            "I'll answer every message in this channel now." if changed else "I already chat in this channel."
        )
    else:
        state = "I'll only answer mentions and replies here now." if changed else "I wasn't chatting here."
    await ctx.respond(state, ephemeral=True)


@chat.register
class ChatEnable(
    lightbulb.SlashCommand,
    name="enable",
    description="Answer every message in this channel",
    hooks=[NEEDS_MANAGE_GUILD],
):
    @lightbulb.invoke
    async def invoke(
        self, ctx: lightbulb.Context, conversation: ConversationService = lightbulb.di.INJECTED
    ) -> None:
        await _switch_chat(ctx, conversation, enabled=True)


@chat.register
class ChatDisable(
    lightbulb.SlashCommand,
    name="disable",
    description="Only answer mentions and replies in this channel",
    hooks=[NEEDS_MANAGE_GUILD],
):
    @lightbulb.invoke
    async def invoke(
        self, ctx: lightbulb.Context, conversation: ConversationService = lightbulb.di.INJECTED
    ) -> None:
        await _switch_chat(ctx, conversation, enabled=False)


loader.command(chat)
