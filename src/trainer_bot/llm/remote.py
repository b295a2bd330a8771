"""Answers from any OpenAI-compatible chat server: OpenAI, Ollama, llama.cpp's server, vLLM, LM Studio.

The official client streams the answer (`stream=True`), never retries (`max_retries=0`: a chat answer has
a deadline, and the caller has a fallback that beats a retry), and its exceptions become the engine's
errors. The API key is sent in the Authorization header and nowhere else: error texts are the engine's own
words plus the server's message with the key blanked out, and the client's exception, whose text and
request could show it, is not chained.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import openai
from openai.types.chat import ChatCompletionMessageParam

from trainer_bot.llm.engine import (
    TEMPERATURE,
    ContextTooLong,
    LanguageModelError,
    ModelDown,
    ModelRateLimited,
    ModelRefused,
    ModelSlow,
)
from trainer_bot.llm.messages import ChatMessage

log = logging.getLogger("trainer_bot.llm")

# The client insists on a key; servers without authentication (Ollama, llama.cpp) ignore this one.
_NO_KEY = "no-key"
_MAX_DETAIL = 300
# How servers say the prompt is too long: OpenAI's code, vLLM's and OpenAI's "maximum context length",
# llama.cpp's "exceed context window" / "exceeds the available context size", LM Studio's "context length".
_CONTEXT_WORDS = re.compile(
    r"context_length_exceeded|context (length|window|size)|exceed_context|too many tokens", re.IGNORECASE
)


class OpenAICompatibleModel:
    def __init__(
        self, base_url: str, model: str, *, api_key: str | None = None, timeout: float = 10.0
    ) -> None:
        """`base_url` includes the API's version path (`http://127.0.0.1:11434/v1`). `timeout`: each answer's
        deadline, from the request to its last piece; connecting and each read are bounded by it too."""
        self._model = model
        self._api_key = api_key or None
        self._timeout = timeout
        # Only the host for logs: a URL may carry user:password.
        self._host = urlsplit(base_url).hostname or base_url
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=self._api_key or _NO_KEY, max_retries=0, timeout=timeout
        )
        self._closed = False

    @property
    def name(self) -> str:
        return f"{self._model} at {self._host}"

    async def stream(self, messages: Sequence[ChatMessage], *, max_tokens: int) -> AsyncIterator[str]:
        if self._closed:
            raise ModelDown(f"{self.name} is closed")
        deadline = asyncio.get_running_loop().time() + self._timeout
        # Each await has the deadline, but no yield is inside it: the consumer's own awaits between pieces
        # must not be cancelled by the model's deadline.
        try:
            async with asyncio.timeout_at(deadline):
                chunks = await self._client.chat.completions.create(
                    model=self._model,
                    messages=[_as_param(m) for m in messages],
                    max_tokens=max_tokens,
                    temperature=TEMPERATURE,
                    stream=True,
                )
        except TimeoutError:
            raise ModelSlow(f"{self.name} did not start answering within {self._timeout:g} s") from None
        except openai.OpenAIError as exc:
            raise self._error_for(exc) from None
        finished = False
        try:
            pieces = aiter(chunks)
            while True:
                try:
                    async with asyncio.timeout_at(deadline):
                        chunk = await anext(pieces)
                except StopAsyncIteration:
                    if not finished:
                        # Every server ends an answer with a finish_reason; llama.cpp's, for one, breaks a
                        # streamed answer off silently when generation fails (an oversized prompt).
                        raise ModelDown(f"{self.name} broke the answer off without finishing it") from None
                    return
                except TimeoutError:
                    raise ModelSlow(f"{self.name} did not finish within {self._timeout:g} s") from None
                except openai.APITimeoutError:
                    raise ModelSlow(f"{self.name} stopped writing its answer") from None
                except openai.APIConnectionError:
                    raise ModelDown(f"{self.name} broke the answer off: the connection was lost") from None
                except openai.OpenAIError as exc:
                    raise self._error_for(exc) from None
                if not chunk.choices:
                    continue
                finished = finished or chunk.choices[0].finish_reason is not None
                if chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        finally:
            # Closing the response tells the server the answer is no longer wanted, so it stops writing.
            await chunks.close()

    async def close(self) -> None:
        self._closed = True
        await self._client.close()

    def _error_for(self, exc: openai.OpenAIError) -> LanguageModelError:
        if isinstance(exc, openai.APITimeoutError):
            return ModelSlow(f"{self.name} did not answer within {self._timeout:g} s")
        if isinstance(exc, openai.APIConnectionError):
            return ModelDown(f"{self.name} is unreachable")
        if not isinstance(exc, openai.APIStatusError):
            # An error event inside the stream, or an answer the client cannot read.
            return ModelDown(f"{self.name} failed while answering: {self._detail(exc)}")
        status, detail = exc.status_code, self._detail(exc)
        if isinstance(exc, openai.RateLimitError):
            return ModelRateLimited(f"{self.name} asks for fewer requests (HTTP 429): {detail}")
        if status == 413 or (status == 400 and _CONTEXT_WORDS.search(f"{exc.code} {detail}")):
            return ContextTooLong(
                f"the prompt does not fit in {self.name}'s context (HTTP {status}): {detail}"
            )
        if 400 <= status < 500:
            return ModelRefused(f"{self.name} refused the request (HTTP {status}): {detail}")
        return ModelDown(f"{self.name} failed (HTTP {status}): {detail}")

    def _detail(self, exc: openai.OpenAIError) -> str:
        """The server's own message, short, without the key even if the server repeats it."""
        body: Any = exc.body if isinstance(exc, openai.APIError) else None
        message = body.get("message") if isinstance(body, dict) else None
        detail = str(message if message else getattr(exc, "message", None) or "no details")
        if self._api_key:
            detail = detail.replace(self._api_key, "***")
        return " ".join(detail.split())[:_MAX_DETAIL]


def _as_param(message: ChatMessage) -> ChatCompletionMessageParam:
    if message.role == "system":
        return {"role": "system", "content": message.content}
    if message.role == "assistant":
        return {"role": "assistant", "content": message.content}
    return {"role": "user", "content": message.content}
