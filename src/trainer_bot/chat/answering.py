"""A member's message, from "should I answer?" to the text answer, the remembered turn and the spoken copy."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Literal

from trainer_bot.chat.conversation import AnswerKind, ConversationService, Reply
from trainer_bot.chat.generating import GuildBusy, ModelAnswers
from trainer_bot.chat.messages import IncomingMessage, ReplyChannel
from trainer_bot.chat.streaming import StreamedAnswer
from trainer_bot.errors import UserError
from trainer_bot.i18n import Message, t
from trainer_bot.llm.engine import LanguageModelError
from trainer_bot.speech.listening import Listening
from trainer_bot.storage import TurnSource
from trainer_bot.text import escape_markdown
from trainer_bot.voice.speaking import Speaking, SpeakingTurn

_LOGGER = logging.getLogger(__name__)
EMPTY_PROMPT = t("Hi! Ask me something after the mention, or reply to one of my messages.")
NOTHING_HEARD = t("I couldn't hear any words in that recording.")
MODEL_DOWN_NOTE = t("My language model isn't answering right now, so this is what I was taught.")
BUSY_NOTE = t("I've written a lot of answers here in the last minute, so this is what I was taught.")
# What the language model is asked to improve on; taught answers and corrections are given verbatim.
_WRITTEN_FOR = (AnswerKind.CLASSIFIED, AnswerKind.UNKNOWN)

ChatMode = Literal["mention", "all"]


class ChatFlow:
    def __init__(
        self,
        conversation: ConversationService,
        listening: Listening,
        speaking: Speaking,
        *,
        mode: ChatMode,
        writer: ModelAnswers | None = None,
    ) -> None:
        self._writer = writer  # None: LLM=off, answers come from what was taught alone
        self._conversation = conversation
        self._listening = listening
        self._speaking = speaking
        self._mode = mode
        # Spoken answers run after the text answer; keep a reference so they are not garbage-collected.
        self._speech: set[asyncio.Task[None]] = set()

    async def should_answer(self, message: IncomingMessage) -> bool:
        """DMs, mentions and replies always; elsewhere every message with CHAT_MODE=all or /chat enable."""
        if message.guild_id is None or self._mode == "all" or message.addressed:
            return True
        return await self._conversation.chat_enabled(message.guild_id, message.channel_id)

    async def handle(self, message: IncomingMessage, channel: ReplyChannel) -> None:
        """Answer in text, remember the turn, and say the answer where the author is listening."""
        if not await self.should_answer(message):
            return
        listener = (
            message.voice_channel_id if message.guild_id is not None and self._speaking.enabled else None
        )
        # Taken now, so spoken answers follow the order of the messages, not of the answers' readiness.
        turn = self._speaking.reserve(message.guild_id) if listener and message.guild_id else None
        try:
            reply = await self._answer(message, channel)
            if reply is not None and turn is not None and listener is not None:
                self._spawn(self._say(turn, listener, str(reply.text), message.channel_id))
                turn = None  # released by _say
        finally:
            if turn is not None:
                turn.release()

    async def close(self) -> None:
        for task in list(self._speech):
            task.cancel()
        await asyncio.gather(*self._speech, return_exceptions=True)

    async def _answer(self, message: IncomingMessage, channel: ReplyChannel) -> Reply | None:
        """The text answer; None when there was nothing to answer."""
        prompt = message.text.strip()
        heard = None
        if message.recording is not None:
            try:
                heard = await self._transcribe(message, channel)
            except UserError as refusal:
                await channel.reply(refusal.message)
                return None
            if not heard:
                await channel.reply(NOTHING_HEARD)
                return None
            prompt = heard
        if not prompt:
            await channel.reply(EMPTY_PROMPT)
            return None
        async with channel.typing():
            reply = (await self._conversation.reply_to(message.guild_id, prompt)).rendered(channel.render)
        prefix = (
            channel.render(t("🎙️ I heard: “{heard}”", heard=escape_markdown(heard))) + "\n\n" if heard else ""
        )
        # The turn is keyed by the message carrying the rating buttons, so a rating finds what it rates.
        if self._writer is not None and reply.kind in _WRITTEN_FOR:
            reply, rated_message_id = await self._written(message, prompt, reply, channel, prefix)
        else:
            rated_message_id = await channel.answer(prefix + channel.render(reply.text))
        await self._conversation.remember(
            guild_id=message.guild_id,
            channel_id=message.channel_id,
            author_id=message.author_id,
            prompt=prompt,
            reply=reply,
            bot_message_id=rated_message_id,
            source=TurnSource.VOICE if heard else TurnSource.TEXT,
        )
        return reply

    async def _written(
        self, message: IncomingMessage, prompt: str, taught: Reply, channel: ReplyChannel, prefix: str
    ) -> tuple[Reply, int]:
        """The language model's answer, streamed; what was taught (with a short note) when it fails."""
        assert self._writer is not None
        out = StreamedAnswer(channel, prefix=prefix)
        history = await message.history.turns() if message.history is not None else ()
        try:
            async with channel.typing():
                await self._writer.write(message.guild_id, prompt, out, hint=taught.hint, history=history)
        except GuildBusy:
            return await self._fall_back(out, taught, BUSY_NOTE, channel)
        except (LanguageModelError, TimeoutError) as failure:
            _LOGGER.warning(
                "guild %s: %s did not answer (%s); answering from what was taught",
                message.guild_id,
                self._writer.model_name,
                failure or "deadline",
            )
            return await self._fall_back(out, taught, MODEL_DOWN_NOTE, channel)
        if not out.text.strip():  # the model had nothing to say
            return await self._fall_back(out, taught, None, channel)
        text = out.text.strip()
        return Reply(text, AnswerKind.GENERATED, taught.model_version), await out.finish(text)

    @staticmethod
    async def _fall_back(
        out: StreamedAnswer, taught: Reply, note: Message | None, channel: ReplyChannel
    ) -> tuple[Reply, int]:
        if out.started:  # cut short mid-answer: keep what members have read, and say it was cut
            cut = out.text.strip() + " …"
            return Reply(cut, AnswerKind.GENERATED, taught.model_version), await out.finish(cut)
        text = channel.render(taught.text)
        return taught, await out.finish(text + (f"\n-# {channel.render(note)}" if note else ""))

    async def _transcribe(self, message: IncomingMessage, channel: ReplyChannel) -> str:
        assert message.recording is not None
        audio = await message.recording.read(self._listening.max_bytes)

        async def tell_queued(position: int) -> None:
            await channel.reply(
                t(
                    "⏳ Your recording is in the queue (position {position}); I'll answer soon.",
                    position=position,
                )
            )

        async with channel.typing():
            transcript = await self._listening.transcribe(
                message.guild_id,
                audio,
                filename=message.recording.filename,
                member_id=message.author_id,
                on_queued=tell_queued,
            )
        return transcript.text.strip()

    async def _say(self, turn: SpeakingTurn, channel_id: int, text: str, text_channel_id: int) -> None:
        try:
            await self._speaking.say(turn, channel_id, text, text_channel_id=text_channel_id)
        except UserError as reason:  # e.g. no Lavalink node: members still have the text answer
            _LOGGER.info("guild %s: answer not spoken: %s", turn.guild_id, reason)
        except Exception:
            _LOGGER.exception("guild %s: speaking an answer failed", turn.guild_id)

    def _spawn(self, coroutine: Coroutine[object, object, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._speech.add(task)
        task.add_done_callback(self._speech.discard)
