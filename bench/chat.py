"""Chat answers from a language model server, through the bot and asked directly; taught answers at scale.

Starts llama.cpp's server (`python -m llama_cpp.server`, the bundled SmolLM2, 2 threads) on 127.0.0.1 once,
and compares two sides, each in its own child process, interleaved (bot, bare, bot, bare ...) for `--pairs`
pairs, both sides asking the same server:
  bare  the official openai client streaming the chat completion the bot would ask for (the same
        messages, built by `grounded_messages` with the default persona, and the same max_tokens):
        request -> first piece, first non-blank piece, last piece
  bot   the real bot (LLM=url) on the Discord emulator answering a member's mention of a question
        nothing was taught: message sent -> its first streamed post (posted at the first non-blank
        piece) and -> its final edit (the cursor gone)
Every question is a different everyday one, asked one at a time, and no child asks the question the
child before it asked last, so neither side gets the other's prompt from the server's cache.

Then taught answers at scale, again in interleaved children: the bot's side fits the responder on
synthetic prompt/response pairs (from word lists, seed 0) and times `answer(q)` and `nearest(q, 3)` for
500 questions (exact prompts, altered ones, unseen ones); the bare side fits the same responder and times
the bare scikit-learn lookup on its fitted pipeline: transform, a sparse dot product and argmax (or the
top 3), without the checks that the question asks the same thing.

The parent prints min/median/max over the pairs of each child's figure and the ratio bot/bare of the
medians.

    python bench/chat.py [--pairs 3] [--count 10] [--taught 100000] [--max-tokens 256] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

# The launcher of llama.cpp's server is the tests' own (tests/llm_support), so both start it alike.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _pairs import (  # bench/ is on sys.path when a benchmark runs
    Comparison,
    Runs,
    add_pair_arguments,
    compare,
    compare_runs,
    comparison_table,
    interleave,
    run_child,
    write_summary,
)
from _report import peak_mb

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletionMessageParam

    from discord_sandbox import DiscordEmulator
    from discord_sandbox.lavalink import FakeLavalinkNode
    from discord_sandbox.state import Member
    from trainer_bot.config import Settings
    from trainer_bot.ml import Responder
    from trainer_bot.ml.examples import Pair

MODEL = "smollm2"
ANSWER_TIMEOUT = 60.0  # seconds; the bot's LLM_TIMEOUT_SECONDS too
SETTLE = 0.2  # seconds between questions: the bot remembers the turn after its final edit
LOOKUPS = 500
LOOKUP_WARMUP = 20
# On 2 busy cores SmolLM2 writes a few tokens a second: --quick keeps answers short to stay a few minutes.
QUICK = {"count": 2, "taught": 5_000, "max_tokens": 16}
# Everyday questions nothing is taught; each child asks each once (with --count up to their number).
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
LOOKUP_STATISTICS = {"p50": 0.5, "p95": 0.95, "p99": 0.99, "max": 1.0}


# -- one answer, each way --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Seconds from the question to the first piece (bot: its first post) and to the whole answer."""

    first: float
    first_nonblank: float
    last: float
    chars: int
    fell_back: bool = False


Messages = list[dict[str, str]]  # the chat messages as the openai client takes them


async def ask_direct(client: openai.AsyncOpenAI, messages: Messages, max_tokens: int) -> Timing:
    started = time.perf_counter()
    first = nonblank = last = None
    text = ""
    params = cast("list[ChatCompletionMessageParam]", messages)  # the same dicts, as the client types them
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
        raise RuntimeError(f"the server wrote nothing for {messages[-1]['content']!r}")
    return Timing(first, nonblank, last, len(text.strip()))


async def ask_bot(emulator: DiscordEmulator, member: Member, question: str) -> Timing:
    from trainer_bot.chat.answering import MODEL_DOWN_NOTE
    from trainer_bot.chat.conversation import UNKNOWN_ANSWER
    from trainer_bot.chat.streaming import CURSOR

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
    # str(): the English text, whether these are plain strings or messages for translation
    fell_back = answer.content.startswith(str(UNKNOWN_ANSWER)) or str(MODEL_DOWN_NOTE) in answer.content
    first = answer.created_at - sent
    return Timing(first, first, done - sent, len(answer.content), fell_back)


def questions_for(count: int) -> list[str]:
    """The questions each child asks, in order: the first differs from the last when count > 1."""
    used = min(count, len(QUESTIONS))
    return [QUESTIONS[n % used] for n in range(count)]


def messages_for(question: str, *, context_tokens: int, max_tokens: int) -> Messages:
    """What the bot asks the model for a question nothing taught answers (checked in the bot's warm-up)."""
    from trainer_bot.chat.generating import CHARS_PER_TOKEN
    from trainer_bot.chat.grounding import Grounding, grounded_messages
    from trainer_bot.chat.preferences import DEFAULT_PERSONA

    budget = max(1000, (context_tokens - max_tokens) * CHARS_PER_TOKEN)
    messages = grounded_messages(Grounding(persona=DEFAULT_PERSONA), question, budget_chars=budget)
    return [{"role": m.role, "content": m.content} for m in messages]


# -- the chat part: one side per process ------------------------------------------------------------------


def bot_settings(
    emulator: DiscordEmulator, node: FakeLavalinkNode, data_dir: Path, base_url: str, max_tokens: int
) -> Settings:
    from pydantic import SecretStr

    from trainer_bot.config import Settings

    return Settings(
        discord_token=SecretStr(emulator.token),
        discord_api_url=emulator.api_url,
        dev_guilds=(emulator.guild.id,),
        data_dir=data_dir,
        tts_engines=("espeak",),
        audio_port=0,
        lavalink_port=node.port,
        lavalink_password=SecretStr(node.password),
        llm="url",
        llm_url=base_url,
        llm_model=MODEL,
        llm_max_tokens=max_tokens,
        llm_timeout_seconds=ANSWER_TIMEOUT,
        llm_guild_answers_per_minute=10_000,
    )


class SpyOnModel:
    """Records what the bot asks its model while active (the warm-up only: no wrapper while measuring)."""

    def __init__(self) -> None:
        from trainer_bot.llm.remote import OpenAICompatibleModel

        self.asked: list[tuple[Messages, int]] = []
        self._class = OpenAICompatibleModel
        self._original = OpenAICompatibleModel.stream

    def __enter__(self) -> SpyOnModel:
        original = self._original

        def stream(model: Any, messages: Sequence[Any], *, max_tokens: int) -> AsyncIterator[str]:
            self.asked.append(([{"role": m.role, "content": m.content} for m in messages], max_tokens))
            return original(model, messages, max_tokens=max_tokens)

        self._class.stream = stream  # type: ignore[method-assign, assignment]
        return self

    def __exit__(self, *_: object) -> None:
        self._class.stream = self._original  # type: ignore[method-assign]


async def chat_bot(base_url: str, count: int, max_tokens: int) -> list[Timing]:
    from discord_sandbox import DiscordEmulator
    from discord_sandbox.lavalink import FakeLavalinkNode
    from trainer_bot.app import TrainerBot

    emulator = DiscordEmulator()
    await emulator.start()
    node = FakeLavalinkNode(time_scale=0.05)  # a node that answers: nothing retries in the background
    await node.start()
    member = await emulator.add_member("asker")
    timings: list[Timing] = []
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            settings = bot_settings(emulator, node, Path(data_dir), base_url, max_tokens)
            bot = TrainerBot(settings)
            await bot.start()
            try:
                await emulator.wait_until_ready()
                with SpyOnModel() as spy:
                    for question in WARMUP_QUESTIONS:
                        await ask_bot(emulator, member, question)
                        await asyncio.sleep(SETTLE)
                context = settings.llm_context_tokens
                expected = [
                    (messages_for(q, context_tokens=context, max_tokens=max_tokens), max_tokens)
                    for q in WARMUP_QUESTIONS
                ]
                if spy.asked != expected:
                    raise RuntimeError(f"the bot asked the model something else: {spy.asked!r}")
                for question in questions_for(count):
                    timings.append(await ask_bot(emulator, member, question))
                    await asyncio.sleep(SETTLE)
            finally:
                await bot.stop()
    finally:
        await node.stop()
        await emulator.stop()
    return timings


async def chat_direct(base_url: str, asked: dict[str, Messages], count: int, max_tokens: int) -> list[Timing]:
    import openai

    client = openai.AsyncOpenAI(base_url=base_url, api_key="no-key", max_retries=0, timeout=ANSWER_TIMEOUT)
    timings: list[Timing] = []
    try:
        for question in WARMUP_QUESTIONS:
            await ask_direct(client, asked[question], max_tokens)
            await asyncio.sleep(SETTLE)
        for question in questions_for(count):
            timings.append(await ask_direct(client, asked[question], max_tokens))
            await asyncio.sleep(SETTLE)
    finally:
        await client.close()
    return timings


def chat_figures(timings: list[Timing]) -> dict[str, Any]:
    """One child's figures: medians and maxima over its questions, in ms."""

    def ms(values: list[float]) -> list[float]:
        return [value * 1000 for value in values]

    first = ms([t.first for t in timings])
    return {
        "first median": statistics.median(first),
        "first max": max(first),
        "first non-blank median": statistics.median(ms([t.first_nonblank for t in timings])),
        "last median": statistics.median(ms([t.last for t in timings])),
        "chars median": statistics.median(t.chars for t in timings),
        "ms per char": statistics.median(t.last * 1000 / max(1, t.chars) for t in timings),
        "fell back": sum(t.fell_back for t in timings),
        "timings": [asdict(t) for t in timings],
    }


def chat_comparisons(runs: Runs) -> list[Comparison]:
    return [
        compare_runs(runs, "first piece / first post, median ms", "first median"),
        compare_runs(runs, "first piece / first post, max ms", "first max"),
        compare_runs(runs, "last piece / final edit, median ms", "last median"),
        compare_runs(runs, "answer length, median chars", "chars median"),
        compare_runs(runs, "whole answer, median ms per char", "ms per char"),
        compare(
            "bare: first non-blank piece, median ms",
            None,
            [run["first non-blank median"] for run in runs["bare"]],
        ),
    ]


def report_chat_goal(runs: Runs) -> None:
    def median(side: str, figure: str) -> float:
        return float(statistics.median(run[figure] for run in runs[side]))

    first_d, first_b = median("bare", "first median"), median("bot", "first median")
    limit = 1.1 * first_d + 50
    nonblank_d = median("bare", "first non-blank median")
    fell_back = sum(run["fell back"] for run in runs["bot"])
    print(
        f"goal first token, bot first post <= 1.1 x direct first piece + 50 ms: "
        f"{'met' if first_b <= limit else 'NOT met'}: median {first_b:.0f} ms vs direct "
        f"{first_d:.0f} ms (limit {limit:.0f} ms); overhead {first_b - first_d:+.0f} ms "
        f"({first_b - nonblank_d:+.0f} ms over the first non-blank piece, which the post waits for); "
        f"bot answers that fell back: {fell_back}"
    )


# -- retrieval at scale: one side per process -------------------------------------------------------------


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
    from trainer_bot.ml.examples import Pair

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


def bare_lookups(responder: Responder) -> dict[str, Callable[[str], object]]:
    """The bare scikit-learn lookup on the responder's own fitted pipeline and prompt matrix."""
    import numpy as np

    pipeline, matrix = responder._pipeline, responder._matrix

    def best(text: str) -> int:
        similarities = (pipeline.transform([text]) @ matrix).toarray().ravel()
        return int(np.argmax(similarities))

    def top3(text: str) -> list[int]:
        similarities = (pipeline.transform([text]) @ matrix).toarray().ravel()
        top = np.argpartition(-similarities, 2)[:3]
        return sorted(top.tolist(), key=lambda index: -similarities[index])

    return {"answer": best, "nearest 3": top3}


def retrieval_side(side: str, taught: int) -> dict[str, Any]:
    """Fit the responder (both sides: the bare lookup needs its fitted pipeline), then time lookups."""
    from trainer_bot.ml import fit_responder

    pairs = synthetic_pairs(taught, seed=0)
    questions = lookup_questions(pairs, LOOKUPS, seed=1)
    gc.collect()
    base = peak_mb()
    started = time.perf_counter()
    responder = fit_responder(pairs)
    fit_seconds = time.perf_counter() - started
    fit_peak = peak_mb()
    if side == "bot":
        calls: dict[str, Callable[[str], object]] = {
            "answer": responder.answer,
            "nearest 3": lambda q: responder.nearest(q, 3),
        }
    else:
        calls = bare_lookups(responder)
    result: dict[str, Any] = {
        "fit s": fit_seconds,
        "fit MB": fit_peak - base,
        "distinct prompts": responder.size,
        "answered": sum(responder.answer(q).response is not None for q in questions),
    }
    for name, call in calls.items():
        ms = time_calls(call, questions)
        result.update({f"{name} {stat} ms": percentile(ms, f) for stat, f in LOOKUP_STATISTICS.items()})
    return result


def retrieval_comparisons(runs: Runs) -> list[Comparison]:
    lookups = [
        compare_runs(runs, f"lookup {name} {stat} ms", f"{name} {stat} ms")
        for name in ("answer", "nearest 3")
        for stat in LOOKUP_STATISTICS
    ]
    fit = [
        compare(f"responder {figure}", [run[figure] for run in runs["bot"]], None)
        for figure in ("fit s", "fit MB")
    ]
    return [*lookups, *fit]


def report_retrieval_goal(runs: Runs) -> None:
    for name, what in (("answer", "Responder.answer(q)"), ("nearest 3", "Responder.nearest(q, 3)")):
        p99 = statistics.median(run[f"{name} p99 ms"] for run in runs["bot"])
        bare = statistics.median(run[f"{name} p99 ms"] for run in runs["bare"])
        verdict = "met" if p99 <= 20 else "NOT met"
        print(
            f"goal {what} p99 <= 20 ms: {verdict}: p99 {p99:.1f} ms (bare p99 {bare:.1f} ms, x{p99 / bare:.1f})"
        )


# -- the run ---------------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_pair_arguments(parser)
    parser.add_argument("--count", type=int, default=10, help="questions per process (default %(default)s)")
    parser.add_argument(
        "--taught", type=int, default=100_000, help="pairs the responder is fitted on (default %(default)s)"
    )
    parser.add_argument(
        "--max-tokens",
        type=int,
        help="the longest answer, both ways (default: the bot's LLM_MAX_TOKENS default)",
    )
    parser.add_argument("--quick", action="store_true", help=", ".join(f"{k} {v}" for k, v in QUICK.items()))
    # (child) one side of one part, JSON out
    parser.add_argument("--side", choices=("bot", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--part", choices=("chat", "retrieval"), help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    parser.add_argument("--asked", type=Path, help=argparse.SUPPRESS)  # the bare side's messages, as JSON
    args = parser.parse_args()
    if args.quick:
        vars(args).update(QUICK)
    if args.max_tokens is None:  # the parent's question; children are always told
        from trainer_bot.config import Settings

        args.max_tokens = Settings.model_fields["llm_max_tokens"].default
    return args


def run_side(args: argparse.Namespace) -> dict[str, Any]:
    logging.basicConfig(level=logging.WARNING)
    if args.part == "retrieval":
        return retrieval_side(args.side, args.taught)
    if args.side == "bot":
        timings = asyncio.run(chat_bot(args.base_url, args.count, args.max_tokens))
    else:
        asked = json.loads(args.asked.read_text())
        timings = asyncio.run(chat_direct(args.base_url, asked, args.count, args.max_tokens))
    return chat_figures(timings)


def child_arguments(args: argparse.Namespace, part: str, side: str, **extra: str) -> list[str]:
    arguments = [__file__, "--part", part, "--side", side, "--count", str(args.count)]
    arguments += ["--taught", str(args.taught), "--max-tokens", str(args.max_tokens)]
    return arguments + [
        item for name, value in extra.items() for item in (f"--{name.replace('_', '-')}", value)
    ]


def run_chat(args: argparse.Namespace, scratch: Path) -> Runs:
    from llm_support.server import start_llama_server, stop
    from trainer_bot.config import Settings

    context = Settings.model_fields["llm_context_tokens"].default
    asked = {
        q: messages_for(q, context_tokens=context, max_tokens=args.max_tokens)
        for q in (*WARMUP_QUESTIONS, *QUESTIONS)
    }
    (scratch / "asked.json").write_text(json.dumps(asked))
    server, base_url = start_llama_server(context)
    try:
        extra = {"bare": {"asked": str(scratch / "asked.json")}, "bot": {}}
        return interleave(
            args.pairs,
            lambda side: run_child(child_arguments(args, "chat", side, base_url=base_url, **extra[side])),
        )
    finally:
        stop(server)


def main() -> None:
    args = parse_args()
    if args.side is not None:
        print(json.dumps(run_side(args)))
        return
    started = time.perf_counter()
    print("retrieval:", file=sys.stderr, flush=True)
    retrieval = interleave(args.pairs, lambda side: run_child(child_arguments(args, "retrieval", side)))
    print("chat:", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="chat-bench-") as scratch:
        chat = run_chat(args, Path(scratch))
    comparisons = [*chat_comparisons(chat), *retrieval_comparisons(retrieval)]
    title = (
        f"SmolLM2-135M via llama.cpp's server, {args.count} questions per process one at a time, max_tokens "
        f"{args.max_tokens}, bare = the openai client; retrieval over {args.taught:,} taught pairs, "
        f"{LOOKUPS} lookups per process, bare = transform + dot + argmax"
    )
    print(f"{title}; {args.pairs} pairs of processes (bot, bare interleaved)")
    print("min/med/max over the pairs of each process's figure; bot/bare: ratio of the medians\n")
    print(comparison_table(comparisons))
    print()
    report_chat_goal(chat)
    report_retrieval_goal(retrieval)
    answered = statistics.median(run["answered"] for run in retrieval["bot"])
    prompts = statistics.median(run["distinct prompts"] for run in retrieval["bot"])
    print(f"retrieval: {prompts:,.0f} distinct prompts; {answered:.0f} of {LOOKUPS} questions answered")
    print(f"\nwhole run {time.perf_counter() - started:.0f} s")
    write_summary(args.json_summary, "chat", title, comparisons)


if __name__ == "__main__":
    main()
