"""Chat and the learning loop: answer a message, remember the turn, learn from corrections at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from enum import StrEnum

from trainer_bot.chat.grounding import Material, MaterialKind
from trainer_bot.chat.taught import TaughtIndexes
from trainer_bot.errors import UserError
from trainer_bot.i18n import Message, percent, t
from trainer_bot.ml import Responder
from trainer_bot.ml.examples import Pair
from trainer_bot.storage import (
    ConversationRepository,
    ConversationTurn,
    Correction,
    Feedback,
    Rating,
    TurnSource,
)
from trainer_bot.text import clean_text
from trainer_bot.training.active_models import ActiveModels

_LOGGER = logging.getLogger(__name__)
MAX_PROMPT_CHARS = 4000
MAX_CORRECTION_CHARS = 2000
RATING_LOOKUPS, RATING_LOOKUP_PAUSE = 10, 0.1
# Material for the language model: the closest few of each kind, and nothing barely related.
MATERIAL_PER_KIND, MATERIAL_MIN_SIMILARITY = 3, 0.2
UNKNOWN_ANSWER = t(
    "I don't know that yet. Teach me: train me on prompt/response pairs with /train, "
    "or correct one of my answers with /correct or the message menu Apps → Correct this reply."
)


def refused_model(version: str) -> Message:
    return t(
        "⚠️ My trained model (`{version}`) failed its integrity check, so I no longer use it. "
        "Someone with Manage Server can run /train to make a new one; until then I answer from "
        "corrections only.",
        version=version,
    )


class AnswerKind(StrEnum):
    CORRECTED = "corrected"  # a member's correction for a close prompt
    LEARNED = "learned"  # a prompt/response pair from training
    CLASSIFIED = "classified"  # the classifier's label for the text
    GENERATED = "generated"  # written by the language model, grounded in what the guild taught
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Reply:
    text: Message | str  # a Message: the bot's own words, shown in the channel's language
    kind: AnswerKind
    model_version: str | None
    hint: str | None = None  # the classifier's opinion, for a language model to weigh

    def rendered(self, render: Callable[[Message | str], str]) -> Reply:
        """The reply as members read it; that text is also what is remembered and corrected."""
        return replace(self, text=render(self.text))


@dataclass(frozen=True)
class AnsweredMessage:
    """A bot message found through Discord when the database has no turn for it."""

    prompt: str
    answer: str


AnswerLookup = Callable[[], Awaitable[AnsweredMessage]]
"""Finds a message of the bot's on Discord when no turn is stored for it (e.g. sent before a restart
that lost the turn); raises a UserError when that message is not an answer the bot can be corrected on."""


class NotMyAnswer(UserError):
    pass


class BadCorrection(UserError):
    pass


class ConversationService:
    def __init__(self, repository: ConversationRepository, models: ActiveModels) -> None:
        self._repository = repository
        self._models = models
        # guild -> index over its corrected prompts (None: no corrections); absent: build on next use.
        self._taught = TaughtIndexes(repository)
        self._chat_channels: dict[int, set[int]] = {}
        self._told_refused: dict[int, str] = {}

    # -- answering --------------------------------------------------------------------------------------
    async def reply_to(self, guild_id: int | None, text: str) -> Reply:
        prompt = clean_text(text).strip()[:MAX_PROMPT_CHARS]
        if guild_id is None:
            return Reply(UNKNOWN_ANSWER, AnswerKind.UNKNOWN, None)
        current = await self._models.current(guild_id)
        version = current[0] if current else None
        refused = self._models.refused(guild_id)
        if refused is not None and self._told_refused.get(guild_id) != refused:
            self._told_refused[guild_id] = refused  # the guild hears it once per refused version
            return Reply(refused_model(refused), AnswerKind.UNKNOWN, None)
        index = await self._taught.corrections(guild_id)
        if index is not None:
            found = await asyncio.to_thread(index.answer, prompt)
            if found.response is not None:
                return Reply(found.response, AnswerKind.CORRECTED, version)
        if current is not None:
            model = current[1]
            if model.has_responder:
                learned = await asyncio.to_thread(model.answer, prompt)
                if learned.response is not None:
                    return Reply(learned.response, AnswerKind.LEARNED, version)
            if model.has_classifier:
                [prediction] = await asyncio.to_thread(model.predict, [prompt])
                label = t(
                    "I'd say this is **{label}** ({confidence} sure).",
                    label=prediction.label,
                    confidence=percent(prediction.confidence, 0),
                )
                hint = f"{prediction.label} ({prediction.confidence:.0%} sure)"
                return Reply(label, AnswerKind.CLASSIFIED, version, hint=hint)
        return Reply(UNKNOWN_ANSWER, AnswerKind.UNKNOWN, None)

    async def remember(
        self,
        *,
        guild_id: int | None,
        channel_id: int,
        author_id: int,
        prompt: str,
        reply: Reply,
        bot_message_id: int,
        source: TurnSource = TurnSource.TEXT,
    ) -> ConversationTurn:
        return await self._repository.add_turn(
            guild_id=guild_id,
            channel_id=channel_id,
            author_id=author_id,
            prompt=clean_text(prompt)[:MAX_PROMPT_CHARS],
            answer=str(reply.text),
            model_version=reply.model_version,
            bot_message_id=bot_message_id,
            source=source,
        )

    # -- learning from members --------------------------------------------------------------------------
    async def answer_being_corrected(
        self, guild_id: int, message_id: int, lookup: AnswerLookup | None = None
    ) -> tuple[ConversationTurn | None, AnsweredMessage]:
        """What a correction of `message_id` would correct: the stored turn, else what `lookup` finds."""
        turn = await self._repository.turn_by_message(message_id)
        if turn is not None and turn.guild_id == guild_id:
            return turn, AnsweredMessage(turn.prompt, turn.answer)
        if lookup is not None:
            return None, await lookup()
        raise NotMyAnswer(
            t(
                "Message `{message_id}` is not one of my answers in this server. Right-click one of my "
                "replies → Apps → Correct this reply, or copy its id (Developer Mode → Copy Message ID).",
                message_id=message_id,
            )
        )

    async def correct(
        self,
        *,
        guild_id: int,
        channel_id: int,
        user_id: int,
        message_id: int,
        correction: str,
        lookup: AnswerLookup | None = None,
    ) -> Correction:
        """Store the correction (committed before returning); the next similar message gets it."""
        corrected = clean_text(correction).strip()
        if not corrected:
            raise BadCorrection(t("The correction is empty: write the answer I should have given."))
        if len(corrected) > MAX_CORRECTION_CHARS:
            raise BadCorrection(
                t("Corrections are limited to {limit} characters.", limit=MAX_CORRECTION_CHARS)
            )
        turn, answered = await self.answer_being_corrected(guild_id, message_id, lookup)
        stored = await self._repository.add_correction(
            guild_id=guild_id,
            channel_id=channel_id,
            prompt=clean_text(answered.prompt),
            old_answer=answered.answer,
            corrected_answer=corrected,
            corrected_by=user_id,
            turn_id=turn.id if turn else None,
            message_id=message_id,
        )
        self._taught.forget(guild_id, "corrections")  # rebuilt with this correction on the next message
        _LOGGER.info("guild %s: correction %s stored for %r", guild_id, stored.id, answered.prompt[:60])
        return stored

    async def correction_pairs(self, guild_id: int) -> list[Pair]:
        """Corrections as training pairs, so the next /train learns them too (the latest per prompt wins)."""
        return await self._taught.correction_pairs(guild_id)

    async def material(self, guild_id: int, question: str) -> list[Material]:
        """What this guild taught that is closest to `question`: corrections first, then pairs from its
        training data, then answers members liked; for a language model to ground its answer in."""
        indexes: list[tuple[MaterialKind, Responder | None]] = [
            ("correction", await self._taught.corrections(guild_id)),
            ("taught", await self._taught_pairs(guild_id)),
            ("liked", await self._taught.liked(guild_id)),
        ]
        found: list[Material] = []
        for kind, index in indexes:
            if index is None:
                continue
            hits = await asyncio.to_thread(index.nearest, question, MATERIAL_PER_KIND)
            found += [
                Material(kind, hit.matched_prompt, hit.response)
                for hit in hits
                if hit.similarity >= MATERIAL_MIN_SIMILARITY and hit.response
            ]
        return found

    async def everything_taught(self, guild_id: int) -> list[Material]:
        """All of it, for /export: corrections (latest first), trained pairs, then liked answers."""
        corrections = reversed(await self._taught.correction_pairs(guild_id))
        responder = await self._taught_pairs(guild_id)
        liked = await self._taught.liked_pairs(guild_id)
        return [
            *(Material("correction", p.prompt, p.response) for p in corrections),
            *(Material("taught", p.prompt, p.response) for p in (responder.pairs() if responder else [])),
            *(Material("liked", p.prompt, p.response) for p in reversed(liked)),
        ]

    async def _taught_pairs(self, guild_id: int) -> Responder | None:
        current = await self._models.current(guild_id)
        return current[1].responder if current is not None else None

    async def feedback(self, *, guild_id: int | None, channel_id: int, author_id: int, text: str) -> Feedback:
        if not text.strip():
            raise BadCorrection(t("The feedback is empty."))
        return await self._repository.add_feedback(
            guild_id=guild_id,
            channel_id=channel_id,
            author_id=author_id,
            text=clean_text(text).strip()[:MAX_PROMPT_CHARS],
        )

    async def rate(self, bot_message_id: int, user_id: int, value: int) -> Rating:
        turn = await self._repository.turn_by_message(bot_message_id)
        # A member can press 👍 the moment the answer appears, before its turn is written: look again
        # for a moment before saying it is gone (the interaction has 3 s to be answered).
        for _ in range(RATING_LOOKUPS):
            if turn is not None:
                break
            await asyncio.sleep(RATING_LOOKUP_PAUSE)
            turn = await self._repository.turn_by_message(bot_message_id)
        if turn is None:
            raise NotMyAnswer(t("That answer is no longer on record, so it cannot be rated."))
        rating = await self._repository.rate(turn.id, user_id, value)
        if turn.guild_id is not None:
            self._taught.forget(turn.guild_id, "liked")  # what members like is material from now on
        return rating

    def forget_caches(self, guild_id: int | None) -> None:
        """Data was deleted (a member's, old turns, or a whole guild's): rebuild what came from it."""
        if guild_id is None:
            self._taught.forget(None)
            self._chat_channels.clear()
        else:
            self._taught.forget(guild_id)
            self._chat_channels.pop(guild_id, None)

    # -- where to chat ----------------------------------------------------------------------------------
    async def chat_enabled(self, guild_id: int, channel_id: int) -> bool:
        if guild_id not in self._chat_channels:
            channels = await self._repository.enabled_channels(guild_id)
            self._chat_channels[guild_id] = {channel.channel_id for channel in channels}
        return channel_id in self._chat_channels[guild_id]

    async def set_chat(self, guild_id: int, channel_id: int, user_id: int, *, enabled: bool) -> bool:
        """Returns whether anything changed."""
        if enabled:
            changed = await self._repository.enable_channel(guild_id, channel_id, user_id)
        else:
            changed = await self._repository.disable_channel(guild_id, channel_id)
        self._chat_channels.pop(guild_id, None)
        return changed
