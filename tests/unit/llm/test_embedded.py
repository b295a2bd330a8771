"""The embedded engine with the real bundled SmolLM2-135M, in this process: streaming, cancelling, taking
turns, deadlines and an oversized prompt. `pytest tests/unit/llm -s` prints the measured times."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from llm_support.streams import leave_after_first_piece
from trainer_bot.llm.embedded import EmbeddedModel, bundled_model_path
from trainer_bot.llm.engine import ContextTooLong, ModelDown, ModelSlow
from trainer_bot.llm.messages import ChatMessage

# One model for the module (loading costs half a second and 200 MB); its asyncio objects need one loop.
pytestmark = pytest.mark.asyncio(loop_scope="module")

QUESTION = [ChatMessage("user", "What colour is the sky on a clear day? Answer in one sentence.")]
STORY = [ChatMessage("user", "Write a long story about a lighthouse keeper and a storm.")]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def model() -> AsyncIterator[EmbeddedModel]:
    model = EmbeddedModel(threads=2, context_tokens=2048, timeout=30)
    before, started = rss_mb(), time.perf_counter()
    await model.load()
    print(
        f"\nSmolLM2-135M Q4_1 loaded in {time.perf_counter() - started:.2f} s, RSS +{rss_mb() - before:.0f} MB"
    )
    yield model
    await model.close()


async def timed_pieces(
    model: EmbeddedModel, messages: list[ChatMessage], max_tokens: int
) -> list[tuple[float, str]]:
    started = time.perf_counter()
    return [
        (time.perf_counter() - started, piece)
        async for piece in model.stream(messages, max_tokens=max_tokens)
    ]


async def test_a_short_question_is_answered_in_pieces_as_they_are_written(model: EmbeddedModel) -> None:
    pieces = await timed_pieces(model, QUESTION, max_tokens=48)
    text = "".join(piece for _, piece in pieces)
    first, last = pieces[0][0], pieces[-1][0]
    print(
        f"\nfirst piece after {first * 1000:.0f} ms, whole answer ({len(pieces)} pieces) in {last:.2f} s: {text!r}"
    )
    assert text.strip()
    assert len(pieces) > 1 and first < last, "the first piece came before the rest of the answer"


async def test_a_consumer_that_leaves_stops_the_answer_and_the_model_answers_the_next(
    model: EmbeddedModel,
) -> None:
    # 400 tokens: seconds of writing if nobody stopped it.
    await leave_after_first_piece(model.stream(STORY, max_tokens=400))
    cancelled = time.perf_counter()
    await model_free(model)
    # The worker stopped within a token or two; the 400-token story would have taken seconds.
    assert time.perf_counter() - cancelled < 1.0
    pieces = await timed_pieces(model, QUESTION, max_tokens=24)
    assert "".join(piece for _, piece in pieces).strip()


async def model_free(model: EmbeddedModel) -> None:
    """Until no answer holds the model (the worker thread has returned)."""
    async with model._busy:
        pass


async def test_a_stream_closed_early_frees_the_model_too(model: EmbeddedModel) -> None:
    stream = model.stream(STORY, max_tokens=400)
    await anext(stream)
    await stream.aclose()  # type: ignore[attr-defined]
    closed = time.perf_counter()
    await model_free(model)
    assert time.perf_counter() - closed < 1.0


async def test_two_answers_at_once_take_turns_and_never_interleave(model: EmbeddedModel) -> None:
    order: list[str] = []

    async def ask(tag: str) -> str:
        pieces = []
        async for piece in model.stream(QUESTION, max_tokens=24):
            order.append(tag)
            pieces.append(piece)
        return "".join(pieces)

    first, second = await asyncio.gather(ask("a"), ask("b"))
    assert first.strip() and second.strip()
    assert order == sorted(order) or order == sorted(order, reverse=True), order


async def test_a_prompt_longer_than_the_context_is_context_too_long(model: EmbeddedModel) -> None:
    long_prompt = [ChatMessage("user", "tell me about the weather " * 600)]  # ~3000 tokens in a 2048 context
    with pytest.raises(ContextTooLong, match="context"):
        async for _ in model.stream(long_prompt, max_tokens=16):
            pass
    assert [piece async for piece in model.stream(QUESTION, max_tokens=8)], "the model still answers"


async def test_an_answer_past_its_deadline_is_model_slow_and_stops() -> None:
    model = EmbeddedModel(timeout=0.4)
    await model.load()  # loading is not what this measures
    started = time.perf_counter()
    with pytest.raises(ModelSlow):
        async for _ in model.stream(STORY, max_tokens=400):
            pass
    late = time.perf_counter()
    assert late - started < 1.5
    # The worker noticed the deadline too: the model is free again within a token or two.
    await model_free(model)
    assert time.perf_counter() - late < 1.0
    await model.close()


async def test_a_missing_model_file_is_model_down(tmp_path: Path) -> None:
    model = EmbeddedModel(tmp_path / "nothing.gguf")
    with pytest.raises(ModelDown, match=r"nothing\.gguf does not exist"):
        async for _ in model.stream(QUESTION, max_tokens=8):
            pass


async def test_a_file_that_is_no_model_is_model_down(tmp_path: Path) -> None:
    (tmp_path / "fake.gguf").write_bytes(b"GGUF but not really" * 100)
    with pytest.raises(ModelDown, match=r"cannot load the model fake\.gguf"):
        await EmbeddedModel(tmp_path / "fake.gguf").load()


async def test_a_closed_model_refuses_at_once() -> None:
    model = EmbeddedModel(bundled_model_path())
    await model.close()
    with pytest.raises(ModelDown, match="closed"):
        async for _ in model.stream(QUESTION, max_tokens=8):
            pass
    assert model.name == "embedded SmolLM2-135M-Instruct.Q4_1.gguf"
