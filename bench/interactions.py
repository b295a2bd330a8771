"""Interaction latency: INTERACTION_CREATE leaving the emulator's gateway -> the bot's callback arriving.

Fires N `/hi` interactions (sequential and in concurrent bursts) at trainer-bot and, in the same run and
through the same emulator, at a bare lightbulb bot that only echoes. Prints p50/p95/p99 for each.

    python bench/interactions.py [--count 500] [--burst 10]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import hikari
import lightbulb

from discord_sandbox import DiscordEmulator
from discord_sandbox.state import Member
from trainer_bot.app import INTENTS, TrainerBot
from trainer_bot.config import Settings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def fire(emulator: DiscordEmulator, member: Member, count: int, burst: int) -> list[float]:
    """Half the interactions one at a time, half in concurrent bursts; returns latencies in ms."""
    latencies: list[float] = []

    async def one() -> None:
        interaction = await emulator.slash(member, "hi")
        await emulator.response(interaction)
        assert interaction.latency is not None
        latencies.append(interaction.latency * 1000)

    for _ in range(count // 2):
        await one()
    for _ in range((count - count // 2) // burst):
        await asyncio.gather(*(one() for _ in range(burst)))
    return latencies


async def bare_bot(emulator: DiscordEmulator) -> Callable[[], Awaitable[None]]:
    bot = hikari.GatewayBot(
        emulator.token, intents=INTENTS, rest_url=emulator.api_url, logs=None, banner=None
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


def row(name: str, values: list[float]) -> str:
    cells = [percentile(values, p) for p in (0.5, 0.95, 0.99)] + [statistics.fmean(values)]
    return f"{name:<22}" + "".join(f"{cell:>10.2f}" for cell in cells) + f"{len(values):>8}"


async def main(count: int, burst: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    emulator = DiscordEmulator()
    await emulator.start()
    member = await emulator.add_member("bench")
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            discord_token=emulator.token,
            discord_api_url=emulator.api_url,
            dev_guilds=(emulator.guild.id,),
            data_dir=Path(data_dir),
        )
        bot = TrainerBot(settings)
        await bot.start()
        await emulator.wait_until_ready()
        await fire(emulator, member, 20, burst)  # warm-up
        ours = await fire(emulator, member, count, burst)
        await bot.stop()

    stop_bare = await bare_bot(emulator)
    await fire(emulator, member, 20, burst)
    bare = await fire(emulator, member, count, burst)
    await stop_bare()
    await emulator.stop()

    print(f"/hi latency in ms, {count} interactions (half sequential, half in bursts of {burst})")
    print(f"{'bot':<22}{'p50':>10}{'p95':>10}{'p99':>10}{'mean':>10}{'n':>8}")
    print(row("trainer-bot", ours))
    print(row("bare lightbulb echo", bare))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--burst", type=int, default=10)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.count, arguments.burst))
