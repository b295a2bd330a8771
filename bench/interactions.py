"""Interaction latency: INTERACTION_CREATE leaving the emulator's gateway -> the bot's callback arriving.

Compares trainer-bot with a bare lightbulb bot that only echoes `/hi`. Each side runs in its own process
(a child `--side bot|bare --json`) with its own Discord emulator, and trainer-bot with a fake Lavalink node
too, so nothing in one side's heap or in a background retry weighs on the other. The children are
interleaved (bot, bare, bot, bare ...) for `--pairs` pairs, so a slow spell of the machine hits both.
One-at-a-time and burst (`--burst` concurrent) latencies are reported apart: they are different questions
(a lone member's wait; the wait while the bot is busy) and mixed into one percentile they hide each other.

The parent prints, for each measure, min/median/max over the pairs of each side and the ratio bot/bare of
the medians. Each process also reports its start to READY (importing trainer-bot included, hikari
already loaded on both sides) and its resident memory two seconds after READY, the emulator's included
(the same on both sides; trainer-bot runs with LLM=off, so no language model is loaded). `--no-freeze` undoes trainer-bot's `gc.freeze()` after start-up (`gc.unfreeze()` in the
child), to show the figures without it.

    python bench/interactions.py [--pairs 3] [--count 3000 | --quick] [--burst 10] [--no-freeze]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import hikari
import lightbulb
from pydantic import SecretStr

from _pairs import (  # bench/ is on sys.path when a benchmark runs
    SIDES,
    Comparison,
    Runs,
    add_pair_arguments,
    compare_runs,
    comparison_table,
    interleave,
    run_child,
    write_summary,
)
from _report import peak_mb, resident_mb, table
from discord_sandbox import DiscordEmulator
from discord_sandbox.lavalink import FakeLavalinkNode
from discord_sandbox.state import Member

WARM_UP = 50
IDLE_SETTLE = 2.0  # seconds after READY before the idle memory is read
QUICK_COUNT = 300
MEASURES = ("one-at-a-time", "burst")
STATISTICS = {"p50": 0.5, "p95": 0.95, "p99": 0.99, "max": 1.0}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def one(emulator: DiscordEmulator, member: Member) -> float:
    """One `/hi`; its latency in ms as the emulator saw it."""
    interaction = await emulator.slash(member, "hi")
    reply = await emulator.response(interaction)
    assert interaction.latency is not None
    # The emulator keeps every interaction, message, frame and REST call for tests to look at: thousands
    # of them grow the heap of the process it shares with the bot, and every full collection with it.
    del emulator.interactions_by_token[interaction.token], emulator.messages[reply.id]
    return interaction.latency * 1000


def forget_history(emulator: DiscordEmulator) -> None:
    if emulator.gateway.current is not None:
        emulator.gateway.current.log.clear()  # kept to replay on RESUME; nothing resumes here
    emulator.rest.calls.clear()


async def one_at_a_time(emulator: DiscordEmulator, member: Member, count: int) -> list[float]:
    latencies: list[float] = []
    for _ in range(count):
        latencies.append(await one(emulator, member))
        forget_history(emulator)
    return latencies


async def bursts(emulator: DiscordEmulator, member: Member, count: int, burst: int) -> list[float]:
    latencies: list[float] = []
    for _ in range(max(1, count // burst)):
        latencies.extend(await asyncio.gather(*(one(emulator, member) for _ in range(burst))))
        forget_history(emulator)
    return latencies


async def start_bare_bot(emulator: DiscordEmulator) -> Callable[[], Awaitable[None]]:
    # trainer-bot's intents, spelled out: importing them would load trainer-bot (sklearn, numpy ...)
    # into the bare bot's process and make its heap, and its collections, trainer-bot's.
    intents = (
        hikari.Intents.GUILDS
        | hikari.Intents.GUILD_VOICE_STATES
        | hikari.Intents.GUILD_MESSAGES
        | hikari.Intents.DM_MESSAGES
        | hikari.Intents.MESSAGE_CONTENT
    )
    bot = hikari.GatewayBot(
        emulator.token, intents=intents, rest_url=emulator.api_url, logs=None, banner=None
    )
    client = lightbulb.client_from_app(bot, default_enabled_guilds=(emulator.guild.id,))

    @client.register
    class Hi(lightbulb.SlashCommand, name="hi", description="Say hello to the bot"):
        @lightbulb.invoke
        async def invoke(self, ctx: lightbulb.Context) -> None:
            await ctx.respond("HI!")

    async def on_starting(_: hikari.StartingEvent) -> None:
        await client.start()

    bot.subscribe(hikari.StartingEvent, on_starting)
    await bot.start(check_for_updates=False)
    return bot.close


async def start_trainer_bot(
    emulator: DiscordEmulator, data_dir: Path, *, freeze: bool
) -> Callable[[], Awaitable[None]]:
    from trainer_bot.app import TrainerBot  # here, not at the top: the bare bot's process never loads it
    from trainer_bot.config import Settings

    # A node that answers: without one the bot's Lavalink link retries in the background all along.
    node = FakeLavalinkNode(time_scale=0.05)
    await node.start()
    settings = Settings(
        discord_token=SecretStr(emulator.token),
        discord_api_url=emulator.api_url,
        dev_guilds=(emulator.guild.id,),
        data_dir=data_dir,
        stt_model="tiny.en-bundled",  # as in the e2e tests: nothing is downloaded
        tts_engines=("espeak",),
        lavalink_port=node.port,
        lavalink_password=SecretStr(node.password),
        audio_port=0,
        llm="off",
    )
    bot = TrainerBot(settings)
    await bot.start()
    if not freeze:
        gc.unfreeze()  # the heap as it was before start() froze it: scanned by every full collection

    async def stop() -> None:
        await bot.stop()
        await node.stop()

    return stop


async def measure(side: str, count: int, burst: int, *, freeze: bool) -> dict[str, Any]:
    """One side in this process: start it on its own emulator, warm it up, time `/hi`."""
    logging.basicConfig(level=logging.WARNING)
    emulator = DiscordEmulator()
    await emulator.start()
    member = await emulator.add_member("bench")
    with tempfile.TemporaryDirectory() as data_dir:
        started = time.monotonic()
        if side == "bot":
            stop = await start_trainer_bot(emulator, Path(data_dir), freeze=freeze)
        else:
            stop = await start_bare_bot(emulator)
        await emulator.wait_until_ready()
        start_seconds = time.monotonic() - started
        await asyncio.sleep(IDLE_SETTLE)  # what start-up left behind, once its background work is done
        idle_mb = resident_mb()
        await one_at_a_time(emulator, member, WARM_UP)
        await bursts(emulator, member, WARM_UP, burst)
        full_before = gc.get_stats()[2]["collections"]
        result = {
            "side": side,
            "start_s": start_seconds,
            "idle_mb": idle_mb,
            "frozen": gc.get_freeze_count(),
            "tracked": len(gc.get_objects()),
            "one-at-a-time": await one_at_a_time(emulator, member, count),
            "burst": await bursts(emulator, member, count, burst),
            "tracked_after": len(gc.get_objects()),
            "full_collections": gc.get_stats()[2]["collections"] - full_before,
            "peak_mb": peak_mb(),
        }
        await stop()
    await emulator.stop()
    return result


def child_arguments(side: str, count: int, burst: int, *, freeze: bool) -> list[str]:
    arguments = [__file__, "--side", side, "--json", "--count", str(count), "--burst", str(burst)]
    return [*arguments, "--no-freeze"] if not freeze else arguments


def comparisons(runs: Runs) -> list[Comparison]:
    latencies = [
        compare_runs(runs, f"/hi {name} {stat} ms", lambda run, n=name, f=fraction: percentile(run[n], f))
        for name in MEASURES
        for stat, fraction in STATISTICS.items()
    ]
    return [
        *latencies,
        compare_runs(runs, "start to READY s", "start_s"),
        compare_runs(runs, "idle RSS MB (with the emulator)", "idle_mb"),
    ]


def summary(runs: Runs, pairs: int, count: int, burst: int, freeze: bool) -> str:
    lines = [
        f"/hi latency in ms, {pairs} pairs of processes (bot, bare interleaved), per process {count} "
        f"one at a time and {count // burst * burst} in bursts of {burst}; gc.freeze "
        + ("left as the bot does it" if freeze else "undone (--no-freeze)"),
        "min/med/max: over the pairs, of each process's statistic; bot/bare: ratio of the medians; "
        "pairs: range of the per-pair ratios",
        "",
        comparison_table(comparisons(runs)),
        "",
    ]
    side_rows = [
        {
            "process": side,
            "start s": statistics.median(run["start_s"] for run in runs[side]),
            "frozen objects": statistics.median(run["frozen"] for run in runs[side]),
            "tracked objects": statistics.median(run["tracked"] for run in runs[side]),
            "tracked after": statistics.median(run["tracked_after"] for run in runs[side]),
            "gen2 collections": statistics.median(run["full_collections"] for run in runs[side]),
            "peak MB": statistics.median(run["peak_mb"] for run in runs[side]),
        }
        for side in SIDES
    ]
    lines.append(table(side_rows, list(side_rows[0])))
    lines.append(
        "(medians over the pairs; tracked: objects a full collection scans, frozen ones left out, before and "
        "after measuring; gen2 collections: full collections while measuring)"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_pair_arguments(parser)
    parser.add_argument("--count", type=int, default=3000, help="interactions per measure and process")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_COUNT} interactions instead of --count")
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--no-freeze", action="store_true", help="undo trainer-bot's gc.freeze() after start")
    parser.add_argument("--side", choices=("bot", "bare"), help="(child) measure one side in this process")
    parser.add_argument("--json", action="store_true", help="(child) print the raw figures as JSON")
    arguments = parser.parse_args()
    freeze = not arguments.no_freeze
    if arguments.side:
        result = asyncio.run(measure(arguments.side, arguments.count, arguments.burst, freeze=freeze))
        if arguments.json:
            print(json.dumps(result))
        else:
            for name in MEASURES:
                figures = ", ".join(f"{k} {percentile(result[name], f):.1f}" for k, f in STATISTICS.items())
                print(f"{arguments.side} {name}: {figures} ms")
        return
    count = QUICK_COUNT if arguments.quick else arguments.count
    runs = interleave(
        arguments.pairs,
        lambda side: run_child(child_arguments(side, count, arguments.burst, freeze=freeze)),
    )
    print(summary(runs, arguments.pairs, count, arguments.burst, freeze))
    title = f"/hi through the emulator, {count} one at a time and in bursts of {arguments.burst} per process"
    write_summary(arguments.json_summary, "interactions", title, comparisons(runs))


if __name__ == "__main__":
    main()
