"""The bot answers messages: when mentioned, replied to, in DMs and in channels enabled with /chat."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager

import hikari
import lightbulb

from trainer_bot.chat.answering import NOTHING_HEARD, ChatFlow
from trainer_bot.chat.conversation import ConversationService, NotMyAnswer
from trainer_bot.chat.grounding import HistoryTurn
from trainer_bot.chat.messages import IncomingMessage
from trainer_bot.chat.preferences import GuildPreferences
from trainer_bot.errors import UserError
from trainer_bot.i18n import Message, Translations, Translator, command_text, t
from trainer_bot.plugins._attachments import AttachedRecording, first_audio, read_attachment
from trainer_bot.plugins._language import for_interaction, guild_translator
from trainer_bot.plugins._shared import MANAGE_GUILD, NEEDS_MANAGE_GUILD, require_guild
from trainer_bot.speech.listening import Listening
from trainer_bot.text import split_message, without_mention

loader = lightbulb.Loader()
RATE_PREFIX = "rate:"
RATINGS = {f"{RATE_PREFIX}up": 1, f"{RATE_PREFIX}down": -1}
# The conversation a reply continues: at most this many earlier messages, fetched within this long.
CHAIN_MESSAGES, CHAIN_SECONDS = 6, 2.0


def rating_buttons(rest: hikari.api.RESTClient) -> hikari.api.MessageActionRowBuilder:
    row = rest.build_message_action_row()
    row.add_interactive_button(hikari.ButtonStyle.SECONDARY, f"{RATE_PREFIX}up", emoji="👍")
    row.add_interactive_button(hikari.ButtonStyle.SECONDARY, f"{RATE_PREFIX}down", emoji="👎")
    return row


class MessageReplies:
    """The chat flow's `ReplyChannel`: replies to one member's message, in the guild's language."""

    def __init__(self, message: hikari.Message, rest: hikari.api.RESTClient, translator: Translator) -> None:
        self._message = message
        self._rest = rest
        self._translator = translator

    def render(self, message: Message | str) -> str:
        return self._translator.render(message)

    async def reply(self, text: Message | str) -> None:
        await self._message.respond(self.render(text), reply=True)

    async def answer(self, text: str) -> int:
        chunks = split_message(text)
        sent = self._message
        for position, chunk in enumerate(chunks):
            last = position == len(chunks) - 1
            sent = await self._message.respond(
                chunk, reply=position == 0, component=rating_buttons(self._rest) if last else hikari.UNDEFINED
            )
        return int(sent.id)

    async def edit(self, message_id: int, text: str) -> None:
        await self._rest.edit_message(self._message.channel_id, message_id, text)

    def typing(self) -> AbstractAsyncContextManager[None]:
        return self._rest.trigger_typing(self._message.channel_id)


class DiscordReplyChain:
    """The chat flow's `ReplyChain`: the messages a reply continues, read from Discord on demand."""

    def __init__(self, message: hikari.Message, rest: hikari.api.RESTClient, me: int) -> None:
        self._message = message
        self._rest = rest
        self._me = me

    async def turns(self) -> Sequence[HistoryTurn]:
        turns: list[HistoryTurn] = []
        current = self._message.referenced_message
        try:
            async with asyncio.timeout(CHAIN_SECONDS):
                while current is not None and len(turns) < CHAIN_MESSAGES:
                    author = current.author.id if isinstance(current.author, hikari.User) else None
                    text = without_mention(current.content or "", self._me)
                    if text:
                        turns.insert(0, HistoryTurn("assistant" if author == self._me else "user", text))
                    reference = current.message_reference
                    if not isinstance(reference, hikari.MessageReference) or reference.id is None:
                        break
                    current = await self._rest.fetch_message(current.channel_id, reference.id)
        except (TimeoutError, hikari.HikariError):
            pass  # an answer without the older context beats no answer
        return turns


def incoming(message: hikari.Message, me: int, bot: hikari.GatewayBot) -> IncomingMessage:
    mentions = message.user_mentions_ids
    referenced = message.referenced_message
    replies_to_me = (
        referenced is not None and isinstance(referenced.author, hikari.User) and referenced.author.id == me
    )
    voice = bot.cache.get_voice_state(message.guild_id, message.author.id) if message.guild_id else None
    recording = first_audio(message)
    return IncomingMessage(
        guild_id=message.guild_id,
        channel_id=message.channel_id,
        author_id=message.author.id,
        text=without_mention(message.content or "", me),
        addressed=(isinstance(mentions, Sequence) and me in mentions) or replies_to_me,
        recording=AttachedRecording(recording) if recording is not None else None,
        voice_channel_id=voice.channel_id if voice is not None else None,
        history=DiscordReplyChain(message, bot.rest, me) if referenced is not None else None,
    )


@loader.listener(hikari.MessageCreateEvent)  # type: ignore[type-abstract]  # guild and DM messages both
async def answer_message(
    event: hikari.MessageCreateEvent,
    bot: hikari.GatewayBot = lightbulb.di.INJECTED,
    chat: ChatFlow = lightbulb.di.INJECTED,
    translations: Translations = lightbulb.di.INJECTED,
    preferences: GuildPreferences = lightbulb.di.INJECTED,
) -> None:
    me = bot.get_me()
    if me is None or event.author.is_bot or event.author.is_system:
        return
    message = incoming(event.message, me.id, bot)
    if not await chat.should_answer(message):
        return  # most messages in a busy server: no language to look up
    # The answer goes to the whole channel, so it is framed in the guild's language, not the author's.
    translator = await guild_translator(translations, preferences, bot.cache, message.guild_id)
    await chat.handle(message, MessageReplies(event.message, bot.rest, translator))


@loader.command
class Transcribe(lightbulb.MessageCommand, name=command_text("Transcribe"), localize=True):
    """Anyone may ask for the words of any audio message, for their eyes only."""

    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        listening: Listening = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        target: hikari.Message = self.target
        recording = first_audio(target)
        if recording is None:
            raise UserError(t("That message has no audio to transcribe."))
        await ctx.defer(ephemeral=True)
        audio = await read_attachment(recording, listening.max_bytes)
        # The language is the speaker's (the author's), not the asker's: their locale is recorded by the
        # pipeline when they use a command, this one included when they ask about their own message.
        transcript = await listening.transcribe(
            ctx.guild_id, audio, filename=recording.filename, member_id=target.author.id
        )
        if not transcript.text.strip():
            await ctx.respond(translator.render(NOTHING_HEARD))
            return
        head = translator.render(
            t(
                "🎙️ ({language}, {seconds} s)",
                language=transcript.language or "?",
                seconds=round(transcript.duration),
            )
        )
        for chunk in split_message(f"{head}\n{transcript.text.strip()}"):
            await ctx.respond(chunk)


@loader.listener(hikari.InteractionCreateEvent)
async def rate_answer(
    event: hikari.InteractionCreateEvent,
    conversation: ConversationService = lightbulb.di.INJECTED,
    translations: Translations = lightbulb.di.INJECTED,
) -> None:
    """👍/👎 under an answer. Handled from the custom id, so buttons keep working after a restart."""
    interaction = event.interaction
    if not isinstance(interaction, hikari.ComponentInteraction) or interaction.custom_id not in RATINGS:
        return
    translator = for_interaction(translations, interaction)
    value = RATINGS[interaction.custom_id]
    answer: Message | str
    try:
        await conversation.rate(interaction.message.id, interaction.user.id, value)
        answer = (
            t("Thanks! Noted 👍")
            if value > 0
            else t(
                "Thanks! Noted 👎 — you can teach me the right answer with Apps → {menu}.",
                menu=t("Correct this reply"),
            )
        )
    except NotMyAnswer as refusal:
        answer = refusal.message
    await interaction.create_initial_response(
        hikari.ResponseType.MESSAGE_CREATE, translator.render(answer), flags=hikari.MessageFlag.EPHEMERAL
    )


chat = lightbulb.Group(
    command_text("chat"),
    command_text("Where the bot chats without being mentioned"),
    default_member_permissions=MANAGE_GUILD,
    localize=True,
)


async def _switch_chat(
    ctx: lightbulb.Context, conversation: ConversationService, translator: Translator, *, enabled: bool
) -> None:
    changed = await conversation.set_chat(require_guild(ctx), ctx.channel_id, ctx.user.id, enabled=enabled)
    if enabled:
        state = (
            t("I'll answer every message in this channel now.")
            if changed
            else t("I already chat in this channel.")
        )
    else:
        state = (
            t("I'll only answer mentions and replies here now.") if changed else t("I wasn't chatting here.")
        )
    await ctx.respond(translator.render(state), ephemeral=True)


@chat.register
class ChatEnable(
    lightbulb.SlashCommand,
    name=command_text("enable"),
    description=command_text("Answer every message in this channel"),
    hooks=[NEEDS_MANAGE_GUILD],
    localize=True,
):
    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        conversation: ConversationService = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        await _switch_chat(ctx, conversation, translator, enabled=True)


@chat.register
class ChatDisable(
    lightbulb.SlashCommand,
    name=command_text("disable"),
    description=command_text("Only answer mentions and replies in this channel"),
    hooks=[NEEDS_MANAGE_GUILD],
    localize=True,
):
    @lightbulb.invoke
    async def invoke(
        self,
        ctx: lightbulb.Context,
        conversation: ConversationService = lightbulb.di.INJECTED,
        translator: Translator = lightbulb.di.INJECTED,
    ) -> None:
        await _switch_chat(ctx, conversation, translator, enabled=False)


loader.command(chat)
