"""The OpenAI-compatible engine against llama.cpp's own server (`python -m llama_cpp.server`) running the
bundled SmolLM2 on 127.0.0.1, and against small aiohttp servers that fail the ways real ones do."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from aiohttp import web

from llm_support.server import free_port, start_llama_server, stop
from llm_support.streams import leave_after_first_piece
from trainer_bot.llm.engine import (
    ContextTooLong,
    LanguageModelError,
    ModelDown,
    ModelRateLimited,
    ModelRefused,
    ModelSlow,
)
from trainer_bot.llm.messages import ChatMessage
from trainer_bot.llm.remote import OpenAICompatibleModel

QUESTION = [ChatMessage("system", "You answer briefly."), ChatMessage("user", "What colour is the sky?")]
KEY = "sk-test-0123456789abcdef-never-show-me"


@pytest.fixture(scope="module")
def llama_server() -> Iterator[str]:
    started = time.perf_counter()
    server, base_url = start_llama_server()
    print(f"\nllama_cpp.server answered after {time.perf_counter() - started:.2f} s")
    yield base_url
    stop(server)


async def answer(model: OpenAICompatibleModel, max_tokens: int = 24) -> str:
    return "".join([piece async for piece in model.stream(QUESTION, max_tokens=max_tokens)])


async def test_llama_cpp_server_streams_an_answer(llama_server: str) -> None:
    model = OpenAICompatibleModel(llama_server, "smollm2", timeout=20)
    started = time.perf_counter()
    pieces = []
    async for piece in model.stream(QUESTION, max_tokens=32):
        pieces.append((time.perf_counter() - started, piece))
    await model.close()
    text = "".join(piece for _, piece in pieces)
    print(
        f"\nthrough the server: first piece after {pieces[0][0] * 1000:.0f} ms, all in {pieces[-1][0]:.2f} s"
    )
    assert text.strip() and len(pieces) > 1
    assert model.name == "smollm2 at 127.0.0.1"


@pytest.mark.parametrize("leaving", ["cancelled", "closed"])
async def test_a_consumer_that_leaves_stops_the_server_writing(llama_server: str, leaving: str) -> None:
    model = OpenAICompatibleModel(llama_server, "smollm2", timeout=20)
    story = model.stream([ChatMessage("user", "Write a long story about a storm.")], max_tokens=400)
    if leaving == "closed":
        await anext(story)
        await story.aclose()  # type: ignore[attr-defined]
    else:
        await leave_after_first_piece(story)
    # llama.cpp's server answers one request at a time: had the 400-token story gone on (seconds of
    # writing), this short answer would wait for it.
    started = time.monotonic()
    assert (await answer(model, 8)).strip()
    assert time.monotonic() - started < 1.5
    await model.close()


async def test_llama_cpp_server_breaking_an_answer_off_is_model_down_not_an_empty_answer(
    llama_server: str,
) -> None:
    # llama.cpp's server cannot refuse an oversized prompt once it has started a streamed answer (status 200):
    # it ends the stream, or drops the connection, without a word and without finishing the answer.
    model = OpenAICompatibleModel(llama_server, "smollm2", timeout=20)
    with pytest.raises(ModelDown, match="broke the answer off"):
        async for _ in model.stream([ChatMessage("user", "the weather today " * 800)], max_tokens=16):
            pass
    await model.close()
    # The server closes that connection just after the stream's end, so a request sent in that instant on
    # the same pool may meet the dying connection (one ModelDown, no retries): a new client shows that
    # the server itself still answers.
    fresh = OpenAICompatibleModel(llama_server, "smollm2", timeout=20)
    assert (await answer(fresh, 8)).strip(), "the next request is answered"
    await fresh.close()


async def test_a_server_killed_mid_answer_and_then_gone_is_model_down_at_once() -> None:
    server, base_url = await asyncio.to_thread(start_llama_server)
    model = OpenAICompatibleModel(base_url, "smollm2", timeout=20)
    try:
        with pytest.raises(ModelDown, match="broke the answer off"):
            async for _ in model.stream([ChatMessage("user", "Write a long story.")], max_tokens=400):
                if server.poll() is None:
                    await asyncio.to_thread(stop, server)
        started = time.monotonic()
        with pytest.raises(ModelDown, match="unreachable"):
            await answer(model)
        assert time.monotonic() - started < 1
    finally:
        await model.close()
        if server.poll() is None:
            stop(server)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def fake_server(handler: Handler) -> AsyncIterator[str]:
    """An aiohttp server answering every chat completion with `handler`; yields its base URL."""
    app = web.Application()
    app.router.add_post("/v1/chat/completions", handler)
    # A short shutdown: the silent handlers below would otherwise hold the cleanup for a minute.
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        await runner.cleanup()


def error_answer(status: int, message: str, code: str | None = None) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        # Some servers echo what they were sent; the engine must still never show the key.
        echoed = f"{message} (you sent {request.headers.get('Authorization')})"
        return web.json_response({"error": {"message": echoed, "type": "x", "code": code}}, status=status)

    return handler


async def test_a_server_that_never_answers_is_model_slow_within_the_timeout() -> None:
    async def silent(request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        raise AssertionError

    async with fake_server(silent) as url:
        model = OpenAICompatibleModel(url, "m", api_key=KEY, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(ModelSlow) as slow:
            await answer(model)
        assert time.monotonic() - started < 1.5
        assert KEY not in str(slow.value)
        await model.close()


async def test_a_server_that_stops_between_pieces_is_model_slow() -> None:
    async def stalls(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        chunk = '{"id":"1","object":"chat.completion.chunk","created":0,"model":"m",'
        chunk += '"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}'
        await response.write(f"data: {chunk}\n\n".encode())
        await asyncio.sleep(3600)
        return response

    async with fake_server(stalls) as url:
        model = OpenAICompatibleModel(url, "m", timeout=0.5)
        pieces = []
        started = time.monotonic()
        with pytest.raises(ModelSlow):
            async for piece in model.stream(QUESTION, max_tokens=8):
                pieces.append(piece)
        assert pieces == ["Hel"] and time.monotonic() - started < 1.5
        await model.close()


@pytest.mark.parametrize(
    ("status", "message", "code", "error"),
    [
        (429, "Rate limit reached for requests", "rate_limit_exceeded", ModelRateLimited),
        (
            400,
            "This model's maximum context length is 2048 tokens",
            "context_length_exceeded",
            ContextTooLong,
        ),
        (400, "the request exceeds the available context size, try increasing it", None, ContextTooLong),
        (400, "temperature must be at most 2", None, ModelRefused),
        (401, "Incorrect API key provided", "invalid_api_key", ModelRefused),
        (404, "model 'llama9' not found", None, ModelRefused),
        (500, "CUDA out of memory", None, ModelDown),
    ],
)
async def test_refusals_become_the_engine_errors_without_the_key(
    status: int, message: str, code: str | None, error: type[LanguageModelError]
) -> None:
    async with fake_server(error_answer(status, message, code)) as url:
        model = OpenAICompatibleModel(url, "m", api_key=KEY, timeout=5)
        started = time.monotonic()
        with pytest.raises(LanguageModelError) as refused:
            await answer(model)
        await model.close()
    assert type(refused.value) is error
    assert time.monotonic() - started < 1, "no retries"
    assert message in str(refused.value) and f"HTTP {status}" in str(refused.value)
    assert KEY not in str(refused.value) and KEY not in refused.value.reason
    assert refused.value.__cause__ is None and refused.value.__suppress_context__


async def test_a_closed_client_refuses_at_once() -> None:
    model = OpenAICompatibleModel("http://127.0.0.1:9/v1", "m", api_key=KEY)
    await model.close()
    with pytest.raises(ModelDown, match="closed"):
        await answer(model)
