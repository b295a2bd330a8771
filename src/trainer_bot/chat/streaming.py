"""An answer that grows in one Discord message as the language model writes it.

The first piece posts the message (with the rating buttons); later pieces edit it at most once every
`interval` seconds, because Discord rate-limits edits of one message (about five per five seconds) and
members cannot read faster anyway. `finish` always writes the final text, so nothing written is lost
between two edits.
"""

from __future__ import annotations

import time

from trainer_bot.chat.messages import ReplyChannel
from trainer_bot.text import DISCORD_MESSAGE_LIMIT

CURSOR = " ▌"  # shows that more is coming


class StreamedAnswer:
    def __init__(self, channel: ReplyChannel, *, prefix: str = "", interval: float = 1.0) -> None:
        self._channel = channel
        self._prefix = prefix
        self._interval = interval
        self._message_id: int | None = None
        self._shown = ""
        self._last_edit = 0.0
        self.text = ""

    @property
    def started(self) -> bool:
        return self._message_id is not None

    async def add(self, piece: str) -> None:
        self.text += piece
        if not self.text.strip():
            return  # nothing worth posting yet (models often start with a space or a newline)
        if self._message_id is None:
            self._message_id = await self._channel.answer(self._fit(self.text + CURSOR))
            self._last_edit = time.monotonic()
        elif time.monotonic() - self._last_edit >= self._interval:
            await self._show(self.text + CURSOR)

    async def finish(self, final: str | None = None) -> int:
        """Writes the final text (the streamed text unless given); the id of the rated message."""
        text = self.text if final is None else final
        if self._message_id is None:
            self._message_id = await self._channel.answer(self._fit(text))
            self._shown = self._fit(text)
        else:
            await self._show(text)
        return self._message_id

    async def _show(self, text: str) -> None:
        fitted = self._fit(text)
        if fitted != self._shown and self._message_id is not None:
            await self._channel.edit(self._message_id, fitted)
            self._shown = fitted
        self._last_edit = time.monotonic()

    def _fit(self, text: str) -> str:
        whole = self._prefix + text.strip()
        if len(whole) <= DISCORD_MESSAGE_LIMIT:
            return whole
        return whole[: DISCORD_MESSAGE_LIMIT - 1] + "…"  # LLM_MAX_TOKENS keeps answers well below this
