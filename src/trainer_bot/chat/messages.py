"""A member's message and the channel it came from, as the chat flow sees them (no Discord library).

The chat plugin adapts Discord's objects to these; tests can hand in their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from trainer_bot.chat.grounding import HistoryTurn
from trainer_bot.i18n import Message


class Recording(Protocol):
    """Audio attached to a message (a voice message or an audio file), read only when needed."""

    @property
    def filename(self) -> str: ...

    async def read(self, limit: int) -> bytes:
        """The recording's bytes; raises a UserError when it is larger than `limit` or cannot be fetched."""
        ...


class ReplyChain(Protocol):
    """The messages this one replies to, read only when an answer needs them."""

    async def turns(self) -> Sequence[HistoryTurn]:
        """Oldest first; bounded, and empty when they cannot be fetched in time."""
        ...


@dataclass(frozen=True)
class IncomingMessage:
    guild_id: int | None  # None: a direct message
    channel_id: int
    author_id: int
    text: str  # with mentions of the bot removed
    addressed: bool  # it mentions the bot or replies to one of its messages
    recording: Recording | None
    voice_channel_id: int | None  # where the author is listening, if anywhere
    history: ReplyChain | None = None  # the reply chain, when the message is a reply


class ReplyChannel(Protocol):
    """Where the answer goes: replies to the member's message, in the language the channel is spoken to in."""

    def render(self, message: Message | str) -> str:
        """The bot's own words in the channel's language (a plain str is the model's or a member's text)."""
        ...

    async def reply(self, text: Message | str) -> None:
        """A short notice (a refusal, a queue position)."""
        ...

    async def answer(self, text: str) -> int:
        """The answer, split to fit and carrying the rating buttons; the id of the message that has them."""
        ...

    async def edit(self, message_id: int, text: str) -> None:
        """Replace the text of an answer sent with `answer` (a streamed answer growing)."""
        ...

    def typing(self) -> AbstractAsyncContextManager[None]:
        """Shows that the bot is working on it."""
        ...
