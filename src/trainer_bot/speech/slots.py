"""A fixed number of worker slots with a bounded, ordered waiting line in front of them.

Kept apart from the transcriber so the queueing rules (who waits, at which position, when to refuse) are
readable and testable without a model.
"""

from __future__ import annotations

import asyncio
import collections
import logging

from trainer_bot.speech.errors import TranscriberBusy
from trainer_bot.speech.transcript import OnQueued

log = logging.getLogger("trainer_bot.speech")


class Slots:
    def __init__(self, workers: int, queue_size: int) -> None:
        if workers < 1 or queue_size < 0:
            raise ValueError("need at least one worker and a non-negative queue size")
        self._workers = workers
        self._queue_size = queue_size
        self._running = 0
        self._waiting: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def acquire(self, on_queued: OnQueued | None = None) -> None:
        """Take a slot, waiting in line if all are taken; the caller must `release()` exactly once after."""
        if self._running < self._workers and not self._waiting:
            self._running += 1
            return
        if len(self._waiting) >= self._queue_size:
            raise TranscriberBusy()
        turn = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            if on_queued is not None:
                await self._notify(on_queued, len(self._waiting))
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled() and turn.exception() is None:
                # The slot was handed over just as we gave up: pass it on rather than leak it.
                self.release()
            elif turn in self._waiting:
                self._waiting.remove(turn)
            raise

    def release(self) -> None:
        """Hand the slot straight to the next in line (keeps `running` exact and the order fair)."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._running -= 1

    def reject_waiting(self, exc: BaseException) -> None:
        """Fail everyone still in line (shutdown)."""
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():
                turn.set_exception(exc)

    @staticmethod
    async def _notify(on_queued: OnQueued, position: int) -> None:
        # A failed "you are queued" notice must not cost the member their transcription.
        try:
            await on_queued(position)
        except Exception:
            log.exception("on_queued callback failed")
