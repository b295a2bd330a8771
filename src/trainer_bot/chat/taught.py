"""Per-guild indexes over what members taught between trainings: their corrections, and the answers they
rated up. Built on first use, off the event loop, and dropped when what they came from changes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from trainer_bot.ml import Responder, TrainingError, fit_responder
from trainer_bot.ml.examples import Pair
from trainer_bot.storage import ConversationRepository

_LOGGER = logging.getLogger(__name__)
LIKED_INDEXED = 500  # the most recent liked answers a guild's index covers


class TaughtIndexes:
    def __init__(self, repository: ConversationRepository) -> None:
        self._repository = repository
        # (what, guild) -> index (None: nothing to index); absent: build on next use.
        self._indexes: dict[tuple[str, int], Responder | None] = {}
        self._locks: dict[tuple[str, int], asyncio.Lock] = {}

    async def correction_pairs(self, guild_id: int) -> list[Pair]:
        """Corrections as training pairs, oldest first (the latest per prompt wins)."""
        corrections = await self._repository.corrections_for_guild(guild_id)
        return [Pair(c.prompt, c.corrected_answer) for c in corrections if c.prompt.strip()]

    async def liked_pairs(self, guild_id: int) -> list[Pair]:
        """Answers members rated up, as pairs, oldest first."""
        turns = await self._repository.liked_turns(guild_id, limit=LIKED_INDEXED)
        return [Pair(t.prompt, t.answer) for t in reversed(turns) if t.prompt.strip()]

    async def corrections(self, guild_id: int) -> Responder | None:
        return await self._index("corrections", guild_id, self.correction_pairs)

    async def liked(self, guild_id: int) -> Responder | None:
        return await self._index("liked", guild_id, self.liked_pairs)

    def forget(self, guild_id: int | None, what: str | None = None) -> None:
        """Rebuild on next use: everything (guild None), one guild's, or one kind of one guild's."""
        for key in list(self._indexes):
            if (guild_id is None or key[1] == guild_id) and (what is None or key[0] == what):
                del self._indexes[key]

    async def _index(
        self, what: str, guild_id: int, pairs_of: Callable[[int], Awaitable[list[Pair]]]
    ) -> Responder | None:
        key = (what, guild_id)
        if key in self._indexes:
            return self._indexes[key]
        async with self._locks.setdefault(key, asyncio.Lock()):
            if key not in self._indexes:
                self._indexes[key] = await self._build(what, guild_id, await pairs_of(guild_id))
            return self._indexes[key]

    @staticmethod
    async def _build(what: str, guild_id: int, pairs: list[Pair]) -> Responder | None:
        if not pairs:
            return None
        try:
            return await asyncio.to_thread(fit_responder, pairs)
        except TrainingError:  # e.g. every prompt was emoji only: nothing to match against
            _LOGGER.info("guild %s: %s have no words to index", guild_id, what)
            return None
