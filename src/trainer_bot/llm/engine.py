"""What every language model engine offers, and the failures it reports.

The promises callers build on: `stream` yields text pieces as the model writes them; nothing waits forever
(each engine gives up on a request `timeout` seconds after it began, connecting and waiting for the next
piece included, and raises ModelSlow); cancelling the task that consumes the stream, or closing the
stream, stops the generation; every failure is a LanguageModelError, whose text never holds a secret.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from trainer_bot.llm.messages import ChatMessage

# Answers are grounded in what a guild taught: a low temperature keeps them close to that material and the
# same question answered alike, where servers' defaults (often 0.7-0.8) wander off it.
TEMPERATURE = 0.2
# Small models loop on a sentence ("The library is open at 9 am." again and again) without a penalty.
REPEAT_PENALTY = 1.15


class LanguageModel(Protocol):
    @property
    def name(self) -> str:
        """Which model this is, for logs (never a key)."""
        ...

    def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int) -> AsyncIterator[str]:
        """The answer to `messages`, in pieces as they are written, at most `max_tokens` tokens long."""
        ...

    async def close(self) -> None:
        """Frees the model or the connection; later requests raise ModelDown."""
        ...


class LanguageModelError(Exception):
    """The model could not answer; `reason` says why in words fit for the operator's log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ModelDown(LanguageModelError):
    """The model cannot be reached or loaded, or broke while answering."""


class ModelSlow(LanguageModelError):
    """The answer did not finish before its deadline."""


class ModelRateLimited(LanguageModelError):
    """The server asks for fewer requests (HTTP 429)."""


class ContextTooLong(LanguageModelError):
    """The prompt, with room for the answer, does not fit in the model's context."""


class ModelRefused(LanguageModelError):
    """The server refused the request itself (another 4xx): a wrong model name, key or parameter."""
