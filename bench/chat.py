"""Chat answers from a language model server, through the bot and asked directly; taught answers at scale.

Starts llama.cpp's server (`python -m llama_cpp.server`, the bundled SmolLM2, 2 threads) on 127.0.0.1 and
measures, interleaved question by question (direct, bot, direct, bot, ...):
  direct  the official openai client streaming the chat completion the bot would ask for (the same
          messages, built by `grounded_messages` with the default persona, and the same max_tokens):
          request -> first piece, first non-blank piece, last piece
  bot     the real bot (LLM=url) on the Discord emulator answering a member's mention of a question
          nothing was taught: message sent -> its first streamed post (posted at the first non-blank
          piece) and -> its final edit (the cursor gone)
Every question is a different everyday one, and the two sides never ask the same question back to back,
so neither gets the other's prompt from the server's cache; both ask each question once.

Then the responder that gives taught answers is fitted on synthetic prompt/response pairs (from word
lists, seed 0) and `answer(q)` and `nearest(q, 3)` are timed for 500 questions (exact prompts, altered
ones, unseen ones), against the bare scikit-learn lookup: the same fitted pipeline's transform, a sparse
dot product and argmax (or the top 3), without the checks that the question asks the same thing.

    python bench/chat.py [--count 10] [--pairs 100000] [--max-tokens 256]   # about 70 s on 2 cores
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The launcher of llama.cpp's server is the tests' own (tests/llm_support), so both start it alike.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import numpy as np
import openai
from openai.types.chat import ChatCompletionMessageParam
from pydantic import SecretStr

from _report import peak_mb, table  # bench/ is on sys.path when a benchmark runs
from discord_sandbox import DiscordEmulator
from discord_sandbox.state import Member
from llm_support.server import start_llama_server, stop
from trainer_bot.app import TrainerBot
from trainer_bot.chat.answering import MODEL_DOWN_NOTE
from trainer_bot.chat.conversation import UNKNOWN_ANSWER
from trainer_bot.chat.generating import CHARS_PER_TOKEN
from trainer_bot.chat.grounding import Grounding, grounded_messages
from trainer_bot.chat.preferences import DEFAULT_PERSONA
from trainer_bot.chat.streaming import CURSOR
from trainer_bot.config import Settings
from trainer_bot.llm.messages import ChatMessage
from trainer_bot.llm.remote import OpenAICompatibleModel
from trainer_bot.ml import Responder, fit_responder
from trainer_bot.ml.examples import Pair

MODEL = "smollm2"
ANSWER_TIMEOUT = 60.0  # seconds; the bot's LLM_TIMEOUT_SECONDS too
SETTLE = 0.2  # seconds between questions: the bot remembers the turn after its final edit
LOOKUPS = 500
LOOKUP_WARMUP = 20
# Everyday questions nothing is taught; each side asks each once (with --count up to their number).
QUESTIONS = (
    "How do I keep my houseplants alive in winter?",
    "What is a quick breakfast I can make in five minutes?",
    "How often should I replace my toothbrush?",
    "What's a good way to remember people's names?",
    "How do I get rid of the smell in my fridge?",
    "Is walking or running better for staying fit?",
    "How can I stop putting off my homework?",
    "What should I pack for a weekend camping trip?",
    "How do I clean a cast iron pan?",
    "Why do cats purr?",
    "How much water should I drink every day?",
    "What can I do on a rainy afternoon?",
)
WARMUP_QUESTIONS = ("What is your favourite colour?", "Tell me a fun fact about octopuses.")


# -- one answer, each way --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Seconds from the question to the first piece (bot: its first post) and to the whole answer."""

    first: float
    first_nonblank: float
    last: float
    chars: int
    fell_back: bool = False


async def ask_direct(client: openai.AsyncOpenAI, messages: Sequence[ChatMessage], max_tokens: int) -> Timing:
    params: list[ChatCompletionMessageParam] = [
        {"role": m.role, "content": m.content}  # type: ignore[misc]
        for m in messages
    ]
    started = time.perf_counter()
    first = nonblank = last = None
    text = ""
    stream = await client.chat.completions.create(
        model=MODEL, messages=params, max_tokens=max_tokens, stream=True
    )
    async with stream:
        async for chunk in stream:
            piece = chunk.choices[0].delta.content if chunk.choices else None
            if not piece:
                continue
            last = time.perf_counter() - started
            first = last if first is None else first
            text += piece
            if nonblank is None and text.strip():
                nonblank = last
    if first is None or nonblank is None or last is None:
        raise RuntimeError(f"the server wrote nothing for {messages[-1].content!r}")
    return Timing(first, nonblank, last, len(text.strip()))


async def ask_bot(emulator: DiscordEmulator, member: Member, question: str) -> Timing:
    sent = time.time()  # the emulator stamps messages with time.time()
    message = await emulator.send_message(member, question, mention_bot=True)
    answer = await emulator.wait_for(
        lambda: next((m for m in emulator.bot_messages() if m.referenced_message_id == message.id), None),
        ANSWER_TIMEOUT,
        f"an answer to {question!r}",
    )
    assert answer is not None
    await emulator.wait_for(lambda: not answer.content.endswith(CURSOR), ANSWER_TIMEOUT, "the final edit")
    done = time.time()
    fell_back = answer.content.startswith(UNKNOWN_ANSWER) or MODEL_DOWN_NOTE in answer.content
    first = answer.created_at - sent
    return Timing(first, first, done - sent, len(answer.content), fell_back)


# -- the chat part ---------------------------------------------------------------------------------------


def bot_settings(emulator: DiscordEmulator, data_dir: Path, base_url: str, max_tokens: int) -> Settings:
    return Settings(
        discord_token=SecretStr(emulator.token),
        discord_api_url=emulator.api_url,
        dev_guilds=(emulator.guild.id,),
        data_dir=data_dir,
        tts_engines=("espeak",),
        audio_port=0,
        llm="url",
        llm_url=base_url,
        llm_model=MODEL,
        llm_max_tokens=max_tokens,
        llm_timeout_seconds=ANSWER_TIMEOUT,
        llm_guild_answers_per_minute=10_000,
    )


def messages_for(settings: Settings, question: str) -> list[ChatMessage]:
    """What the bot asks the model for a question nothing taught answers (checked in the warm-up)."""
    budget = max(1000, (settings.llm_context_tokens - settings.llm_max_tokens) * CHARS_PER_TOKEN)
    return grounded_messages(Grounding(persona=DEFAULT_PERSONA), question, budget_chars=budget)


class SpyOnModel:
    """Records what the bot asks its model while active (the warm-up only: no wrapper while measuring)."""

    def __init__(self) -> None:
        self.asked: list[tuple[list[ChatMessage], int]] = []
        self._original = OpenAICompatibleModel.stream

    def __enter__(self) -> SpyOnModel:
        original = self._original

        def stream(
            model: OpenAICompatibleModel, messages: Sequence[ChatMessage], *, max_tokens: int
        ) -> AsyncIterator[str]:
            self.asked.append((list(messages), max_tokens))
            return original(model, messages, max_tokens=max_tokens)

        OpenAICompatibleModel.stream = stream  # type: ignore[method-assign, assignment]
        return self

    def __exit__(self, *_: object) -> None:
        OpenAICompatibleModel.stream = self._original  # type: ignore[method-assign]


async def chat_part(base_url: str, count: int, max_tokens: int) -> dict[str, list[Timing]]:
    emulator = DiscordEmulator()
    await emulator.start()
    member = await emulator.add_member("asker")
    client = openai.AsyncOpenAI(base_url=base_url, api_key="no-key", max_retries=0, timeout=ANSWER_TIMEOUT)
    timings: dict[str, list[Timing]] = {"direct": [], "bot": []}
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            settings = bot_settings(emulator, Path(data_dir), base_url, max_tokens)
            bot = TrainerBot(settings)
            await bot.start()
            try:
                await emulator.wait_until_ready()
                with SpyOnModel() as spy:
                    for question in WARMUP_QUESTIONS:
                        await ask_direct(client, messages_for(settings, question), max_tokens)
                        await ask_bot(emulator, member, question)
                        await asyncio.sleep(SETTLE)
                expected = [(messages_for(settings, q), max_tokens) for q in WARMUP_QUESTIONS]
                if spy.asked != expected:
                    raise RuntimeError(f"the bot asked the model something else: {spy.asked!r}")
                used = min(count, len(QUESTIONS))
                for n in range(count):
                    # The two sides ask the same questions, half a round apart.
                    direct_question = QUESTIONS[n % used]
                    bot_question = QUESTIONS[(n + used // 2) % used]
                    messages = messages_for(settings, direct_question)
                    timings["direct"].append(await ask_direct(client, messages, max_tokens))
                    await asyncio.sleep(SETTLE)
                    timings["bot"].append(await ask_bot(emulator, member, bot_question))
                    await asyncio.sleep(SETTLE)
                    print(f"  question {n + 1}/{count} answered both ways", file=sys.stderr, flush=True)
            finally:
                await bot.stop()
    finally:
        await client.close()
        await emulator.stop()
    return timings


def ms_row(name: str, seconds: list[float], ratio_to: list[float] | None = None) -> dict[str, Any]:
    ms = [s * 1000 for s in seconds]
    ratio = f"{statistics.median(seconds) / statistics.median(ratio_to):.2f}" if ratio_to else ""
    return {
        "measure": name,
        "min ms": min(ms),
        "median ms": statistics.median(ms),
        "max ms": max(ms),
        "bot/direct": ratio,
    }


def report_chat(timings: dict[str, list[Timing]], count: int, max_tokens: int) -> None:
    direct, bot = timings["direct"], timings["bot"]
    direct_first = [t.first for t in direct]
    direct_nonblank = [t.first_nonblank for t in direct]
    direct_last = [t.last for t in direct]
    bot_first = [t.first for t in bot]
    bot_last = [t.last for t in bot]
    columns = ("measure", "min ms", "median ms", "max ms", "bot/direct")
    print(f"\nSmolLM2-135M via llama.cpp's server, {count} questions each way, max_tokens {max_tokens}")
    print(
        table(
            [
                ms_row("direct: first piece", direct_first),
                ms_row("direct: first non-blank piece", direct_nonblank),
                ms_row("bot: first post", bot_first, direct_first),
                ms_row("direct: last piece", direct_last),
                ms_row("bot: final edit", bot_last, direct_last),
            ],
            columns,
        )
    )
    lengths = [
        {
            "answers": side,
            "chars min": min(t.chars for t in side_timings),
            "chars median": round(statistics.median(t.chars for t in side_timings)),
            "chars max": max(t.chars for t in side_timings),
            "ms per char": statistics.median(t.last * 1000 / max(1, t.chars) for t in side_timings),
            "fell back": sum(t.fell_back for t in side_timings),
        }
        for side, side_timings in (("direct", direct), ("bot", bot))
    ]
    print(table(lengths, ("answers", "chars min", "chars median", "chars max", "ms per char", "fell back")))

    first_d, first_b = statistics.median(direct_first), statistics.median(bot_first)
    limit = 1.1 * first_d + 0.050
    nonblank_d = statistics.median(direct_nonblank)
    print(
        f"goal first token, bot first post <= 1.1 x direct first piece + 50 ms: "
        f"{'met' if first_b <= limit else 'NOT met'}: median {first_b * 1000:.0f} ms vs direct "
        f"{first_d * 1000:.0f} ms (limit {limit * 1000:.0f} ms); overhead {(first_b - first_d) * 1000:+.0f} ms "
        f"({(first_b - nonblank_d) * 1000:+.0f} ms over the first non-blank piece, which the post waits for)"
    )
    last_d, last_b = statistics.median(direct_last), statistics.median(bot_last)
    print(
        f"full answer (no goal): bot median {last_b:.2f} s vs direct {last_d:.2f} s "
        f"(x{last_b / last_d:.2f}, {(last_b - last_d) * 1000:+.0f} ms)"
    )


# -- retrieval at scale ----------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


_WORDS = {
    "verb": _words(
        "fix bake clean paint repair plant water feed train wash sell buy borrow return rent book cancel "
        "move update install replace charge ship cook store carry share print sign order join reset test build "
        "measure fold iron sharpen insure register donate recycle heat"
    ),
    "adj": _words(
        "old new broken small large red green wooden electric quiet noisy cheap expensive local public "
        "spare shared empty heavy fragile frozen rusty second-hand digital portable vintage outdoor indoor "
        "weekly monthly leaking cracked blue yellow tiny huge long short wet dry"
    ),
    "noun": _words(
        "bike laptop garden fence kettle printer router sofa window door roof boiler fridge oven "
        "bathroom kitchen ladder tent kayak guitar piano drum camera phone tablet charger lamp carpet "
        "curtain mirror shelf desk chair table bed wardrobe heater fan blender toaster microwave dishwasher "
        "washing-machine dryer vacuum drill saw hammer hose mower scooter car van trailer boat "
        "aquarium hamster parrot puppy kitten"
    ),
    "place": _words(
        "library clubhouse gym pool park market station school office hall garage workshop studio "
        "cafe bakery pharmacy clinic museum cinema stadium harbour campsite hostel beach forest "
        "village square"
    ),
    "event": _words(
        "meeting tournament workshop party concert fair sale lesson match rehearsal cleanup "
        "fundraiser quiz hike picnic game-night trip race festival exhibition"
    ),
    "person": _words(
        "coach treasurer secretary organiser captain teacher caretaker manager volunteer "
        "chairman librarian mechanic gardener"
    ),
}
_WHEN = (
    "today",
    "tomorrow",
    "tonight",
    "on monday",
    "on friday",
    "this weekend",
    "next week",
    "in the morning",
    "after school",
    "before lunch",
    "in winter",
    "in summer",
)
_TEMPLATES = (
    "how do I {verb} the {adj} {noun}",
    "where can I {verb} a {adj} {noun} near the {place}",
    "when does the {event} at the {place} start {when}",
    "who is the {person} for the {event} {when}",
    "why does my {adj} {noun} keep breaking",
    "can I bring my {noun} to the {event} at the {place}",
    "what is the best way to {verb} a {noun} {when}",
    "how much does it cost to {verb} the {noun} at the {place}",
    "is the {place} open {when} for the {event}",
    "who can help me {verb} my {adj} {noun}",
)
# Words no prompt uses, for questions nothing was taught.
_UNSEEN = (
    "what is the capital of {x}",
    "how tall is the tallest {x}",
    "tell me a joke about {x}",
    "why is the {x} so famous",
)
_UNSEEN_WORDS = _words("mongolia volcano giraffe saturn pyramid octopus glacier cathedral eclipse tornado")


def _fill(rng: random.Random, template: str) -> str:
    values = {name: rng.choice(words) for name, words in _WORDS.items()}
    return template.format(when=rng.choice(_WHEN), **values)


def synthetic_pairs(count: int, *, seed: int) -> list[Pair]:
    rng = random.Random(seed)
    pairs = []
    for n in range(count):
        prompt = _fill(rng, rng.choice(_TEMPLATES))
        if rng.random() < 0.3:
            prompt = prompt.capitalize() + "?"
        pairs.append(Pair(prompt, f"Answer {n}: ask the {rng.choice(_WORDS['person'])} at the front desk."))
    return pairs


def lookup_questions(pairs: Sequence[Pair], count: int, *, seed: int) -> list[str]:
    """A third exact prompts, a third altered ones (a typo, a word dropped, a word added), a third unseen."""
    rng = random.Random(seed)
    questions = []
    for n in range(count):
        kind = n % 3
        if kind == 2:
            questions.append(rng.choice(_UNSEEN).format(x=rng.choice(_UNSEEN_WORDS)))
            continue
        prompt = rng.choice(pairs).prompt
        if kind == 1:
            words = prompt.split()
            change = rng.randrange(3)
            at = rng.randrange(len(words))
            if change == 0 and len(words[at]) > 3:  # swap two letters
                word = words[at]
                i = rng.randrange(len(word) - 1)
                words[at] = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            elif change == 1 and len(words) > 4:
                del words[at]
            else:
                words.insert(at, rng.choice(("please", "really", "actually", "exactly")))
            prompt = " ".join(words)
        questions.append(prompt)
    return questions


def time_calls(call: Callable[[str], object], questions: Sequence[str]) -> list[float]:
    for question in questions[:LOOKUP_WARMUP]:
        call(question)
    spent = []
    for question in questions:
        started = time.perf_counter()
        call(question)
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def bare_lookups(responder: Responder) -> tuple[Callable[[str], object], Callable[[str], object]]:
    """The bare scikit-learn lookup on the responder's own fitted pipeline and prompt matrix."""
    pipeline, matrix = responder._pipeline, responder._matrix

    def best(text: str) -> int:
        similarities = (pipeline.transform([text]) @ matrix).toarray().ravel()
        return int(np.argmax(similarities))

    def top3(text: str) -> list[int]:
        similarities = (pipeline.transform([text]) @ matrix).toarray().ravel()
        top = np.argpartition(-similarities, 2)[:3]
        return sorted(top.tolist(), key=lambda index: -similarities[index])

    return best, top3


def retrieval_part(pair_count: int) -> None:
    pairs = synthetic_pairs(pair_count, seed=0)
    questions = lookup_questions(pairs, LOOKUPS, seed=1)
    gc.collect()
    base = peak_mb()
    started = time.perf_counter()
    responder = fit_responder(pairs)
    fit_seconds = time.perf_counter() - started
    answered = sum(responder.answer(q).response is not None for q in questions)
    best, top3 = bare_lookups(responder)
    cases = {
        "Responder.answer(q)": lambda q: responder.answer(q),
        "Responder.nearest(q, 3)": lambda q: responder.nearest(q, 3),
        "sklearn bare: argmax": best,
        "sklearn bare: top 3": top3,
    }
    rows: list[dict[str, Any]] = []
    for name, call in cases.items():
        ms = time_calls(call, questions)
        rows.append(
            {
                "lookup": name,
                "p50 ms": percentile(ms, 0.5),
                "p95 ms": percentile(ms, 0.95),
                "p99 ms": percentile(ms, 0.99),
                "max ms": max(ms),
                "mean ms": statistics.fmean(ms),
            }
        )
    peak = peak_mb()
    print(
        f"\nRetrieval: {pair_count:,} synthetic pairs ({responder.size:,} distinct prompts), "
        f"{len(questions)} questions (exact, altered, unseen); {answered} answered"
    )
    print(
        table(
            [{"fit s": fit_seconds, "base MB": base, "peak MB": peak, "peak - base MB": peak - base}],
            ("fit s", "base MB", "peak MB", "peak - base MB"),
        )
    )
    print(table(rows, ("lookup", "p50 ms", "p95 ms", "p99 ms", "max ms", "mean ms")))
    for row in rows[:2]:
        verdict = "met" if row["p99 ms"] <= 20 else "NOT met"
        print(
            f"goal {row['lookup']} p99 <= 20 ms: {verdict}: p99 {row['p99 ms']:.1f} ms "
            f"(bare argmax p99 {rows[2]['p99 ms']:.1f} ms, x{row['p99 ms'] / rows[2]['p99 ms']:.1f})"
        )


# -- the run ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10, help="questions each way (default %(default)s)")
    parser.add_argument(
        "--pairs", type=int, default=100_000, help="pairs the responder is fitted on (default %(default)s)"
    )
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=Settings.model_fields["llm_max_tokens"].default,
        help="the longest answer, both ways (LLM_MAX_TOKENS, default %(default)s)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    # Retrieval first, while nothing else runs, so its peak RSS is its own.
    retrieval_part(args.pairs)
    gc.collect()
    server, base_url = start_llama_server(Settings.model_fields["llm_context_tokens"].default)
    try:
        timings = asyncio.run(chat_part(base_url, args.count, args.max_tokens))
    finally:
        stop(server)
    report_chat(timings, args.count, args.max_tokens)
    print(f"\nwhole run {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
