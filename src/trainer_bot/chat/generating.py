"""Answers written by the language model, grounded in what this guild taught and nothing else.

Each answer gets its own guild's persona and material only (`Knowledge` and `PersonaChoice` are asked
with the message's guild id), the whole answer has a deadline, and each guild may ask the model a bounded
number of times a minute, so one busy server cannot starve the others of a shared model.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from trainer_bot.chat.grounding import Grounding, HistoryTurn, Material, grounded_messages
from trainer_bot.chat.streaming import StreamedAnswer
from trainer_bot.llm.engine import LanguageModel

CHARS_PER_TOKEN = 4  # a rough average for English and Russian with these tokenizers
RATE_WINDOW_SECONDS = 60.0


class Knowledge(Protocol):
    async def material(self, guild_id: int, question: str) -> Sequence[Material]:
        """What the guild taught that may answer `question`, most relevant first."""
        ...


class PersonaChoice(Protocol):
    async def persona(self, guild_id: int | None) -> str: ...


class GuildBusy(Exception):
    """The guild asked the model too often in the last minute."""


class GuildRateLimit:
    """At most `per_minute` model answers per guild in any sliding minute."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._recent: dict[int | None, collections.deque[float]] = {}

    def take(self, guild_id: int | None) -> None:
        now = self._clock()
        recent = self._recent.setdefault(guild_id, collections.deque())
        while recent and now - recent[0] > RATE_WINDOW_SECONDS:
            recent.popleft()
        if len(recent) >= self._per_minute:
            raise GuildBusy()
        recent.append(now)


class ModelAnswers:
    def __init__(
        self,
        model: LanguageModel,
        knowledge: Knowledge,
        personas: PersonaChoice,
        *,
        max_tokens: int,
        timeout: float,
        per_guild_per_minute: int,
        context_tokens: int,
    ) -> None:
        self._model = model
        self._knowledge = knowledge
        self._personas = personas
        self._max_tokens = max_tokens
        self._timeout = timeout
        self._limit = GuildRateLimit(per_guild_per_minute)
        # What the prompt may take: the context less the answer's own tokens.
        self._budget_chars = max(1000, (context_tokens - max_tokens) * CHARS_PER_TOKEN)

    @property
    def model_name(self) -> str:
        return self._model.name

    async def write(
        self,
        guild_id: int | None,
        question: str,
        out: StreamedAnswer,
        *,
        hint: str | None = None,
        history: Sequence[HistoryTurn] = (),
    ) -> None:
        """Streams the model's answer into `out` within the deadline.

        Raises GuildBusy, TimeoutError, or the engine's LanguageModelError; `out` keeps what was written.
        """
        self._limit.take(guild_id)
        async with asyncio.timeout(self._timeout):
            material = await self._knowledge.material(guild_id, question) if guild_id is not None else ()
            grounding = Grounding(
                persona=await self._personas.persona(guild_id),
                material=material,
                hint=hint,
                history=history,
            )
            messages = grounded_messages(grounding, question, budget_chars=self._budget_chars)
            async for piece in self._model.stream(messages, max_tokens=self._max_tokens):
                await out.add(piece)
