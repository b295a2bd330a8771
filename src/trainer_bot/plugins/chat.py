"""The bot answers messages: when mentioned, replied to, in DMs and in channels enabled with /chat."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine, Sequence

import hikari
import lightbulb

from trainer_bot.chat.conversation import ConversationService, NotMyAnswer, Reply
from trainer_bot.config import Settings
from trainer_bot.errors import UserError
from trainer_bot.plugins._audio import download_audio, first_audio
from trainer_bot.plugins._shared import MANAGE_GUILD, NEEDS_MANAGE_GUILD, require_guild
from trainer_bot.speech.listening import Listening
from trainer_bot.storage import TurnSource
from trainer_bot.text import split_message
from trainer_bot.voice.speaking import Speaking, SpeakingTurn

loader = lightbulb.Loader()
_LOGGER = logging.getLogger(__name__)
RATE_PREFIX = "rate:"
RATINGS = {f"{RATE_PREFIX}up": 1, f"{RATE_PREFIX}down": -1}
EMPTY_PROMPT = "Hi! Ask me something after the mention, or reply to one of my messages."
# Spoken answers run after the text answer; keep a reference so they are not garbage-collected.
_speech_tasks: set[asyncio.Task[None]] = set()


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
    listening: Listening = lightbulb.di.INJECTED,
    speaking: Speaking = lightbulb.di.INJECTED,
) -> None:
    me = bot.get_me()
    message = event.message
    if me is None or event.author.is_bot or event.author.is_system:
        return
    if not await _should_answer(message, me.id, settings, conversation):
        return
    listener = _voice_channel_of(bot, message)
    # Taken now, so spoken answers follow the order of the messages, not of the answers' readiness.
    turn = speaking.reserve(message.guild_id) if listener is not None and message.guild_id else None
    try:
        reply = await _answer(message, me.id, bot, conversation, listening)
        if reply is not None and turn is not None and listener is not None:
            _spawn(_say(speaking, turn, listener, reply.text))
            turn = None  # released by _say
    finally:
        if turn is not None:
            turn.release()


async def _answer(
    message: hikari.Message,
    me: int,
    bot: hikari.GatewayBot,
    conversation: ConversationService,
    listening: Listening,
) -> Reply | None:
    """Answer in text and remember the turn; None when there was nothing to answer."""
    recording = first_audio(message)
    prompt = _without_mentions_of(message.content or "", me)
    heard = None
    if recording is not None:
        try:
            heard = await _transcribe(message, recording, bot, listening)
        except UserError as refusal:
            await message.respond(str(refusal), reply=True)
            return None
        if not heard:
            await message.respond("I couldn't hear any words in that recording.", reply=True)
            return None
        prompt = heard
    if not prompt:
        await message.respond(EMPTY_PROMPT, reply=True)
        return None
    async with bot.rest.trigger_typing(message.channel_id):
        reply = await conversation.reply_to(message.guild_id, prompt)
    shown = f"🎙️ I heard: “{heard}”\n\n{reply.text}" if heard else reply.text
    last = await _send_answer(message, shown, bot.rest)
    # The turn is keyed by the message carrying the rating buttons, so a rating finds what it rates.
    await conversation.remember(
        guild_id=message.guild_id,
        channel_id=message.channel_id,
        author_id=message.author.id,
        prompt=prompt,
        reply=reply,
        bot_message_id=last.id,
        source=TurnSource.VOICE if heard else TurnSource.TEXT,
    )
    return reply


async def _transcribe(
    message: hikari.Message, recording: hikari.Attachment, bot: hikari.GatewayBot, listening: Listening
) -> str:
    audio = await download_audio(recording, listening.max_bytes)

    async def tell_queued(position: int) -> None:
        await message.respond(
            f"⏳ Your recording is in the queue (position {position}); I'll answer soon.", reply=True
        )

    async with bot.rest.trigger_typing(message.channel_id):
        transcript = await listening.transcribe(
            message.guild_id, audio, filename=recording.filename, on_queued=tell_queued
        )
    return transcript.text.strip()


async def _send_answer(message: hikari.Message, text: str, rest: hikari.api.RESTClient) -> hikari.Message:
    chunks = split_message(text)
    sent = message
    for position, chunk in enumerate(chunks):
        last = position == len(chunks) - 1
        sent = await message.respond(
            chunk, reply=position == 0, component=rating_buttons(rest) if last else hikari.UNDEFINED
        )
    return sent


def _voice_channel_of(bot: hikari.GatewayBot, message: hikari.Message) -> int | None:
    """The voice channel the author listens in, if any: the answer is spoken there too."""
    if message.guild_id is None:
        return None
    state = bot.cache.get_voice_state(message.guild_id, message.author.id)
    return state.channel_id if state is not None else None


def _spawn(coroutine: Coroutine[object, object, None]) -> None:
    task = asyncio.create_task(coroutine)
    _speech_tasks.add(task)
    task.add_done_callback(_speech_tasks.discard)


async def _say(speaking: Speaking, turn: SpeakingTurn, channel_id: int, text: str) -> None:
    try:
        await speaking.say(turn, channel_id, text)
    except UserError as reason:  # e.g. no Lavalink node: members still have the text answer
        _LOGGER.info("guild %s: answer not spoken: %s", turn.guild_id, reason)
    except Exception:
        _LOGGER.exception("guild %s: speaking an answer failed", turn.guild_id)


@loader.command
class Transcribe(lightbulb.MessageCommand, name="Transcribe"):
    """Anyone may ask for the words of any audio message, for their eyes only."""

    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context, listening: Listening = lightbulb.di.INJECTED) -> None:
        target: hikari.Message = self.target
        recording = first_audio(target)
        if recording is None:
            raise UserError("That message has no audio to transcribe.")
        await ctx.defer(ephemeral=True)
        audio = await download_audio(recording, listening.max_bytes)
        transcript = await listening.transcribe(ctx.guild_id, audio, filename=recording.filename)
        if not transcript.text.strip():
            await ctx.respond("I couldn't hear any words in that recording.")
            return
        head = f"🎙️ ({transcript.language or '?'}, {transcript.duration:.0f} s)"
        for chunk in split_message(f"{head}\n{transcript.text.strip()}"):
            await ctx.respond(chunk)


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
