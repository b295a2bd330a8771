"""Start-up: a fresh process to READY, and its memory once idle, for `trainer-bot run` and a bare bot.

Each side is a new OS process, so everything counts: the interpreter, every import, the database and its
schema check, command sync, the gateway's IDENTIFY and READY. The parent runs the Discord emulator (and a
fake Lavalink node for trainer-bot), starts the child, and times it from the start of the process to
the emulator sending READY; two seconds later it reads the child's resident memory (/proc). trainer-bot
restarts on the DATA_DIR of an unmeasured first start, as an operator's bot does (a first start creates
the database, once in its life). The bare side
is a lightbulb bot with one `/hi` command. trainer-bot runs as an operator would start it (`python -m
trainer_bot run`, configured through the environment), with LLM=off; a third process
per pair runs it with the default embedded language model, whose load goes on beside the start, to show
what that model adds to the idle memory.

    python bench/startup.py [--pairs 3] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _pairs import add_pair_arguments, compare, comparison_table, write_summary
from discord_sandbox import DiscordEmulator
from discord_sandbox.lavalink import FakeLavalinkNode

ROOT = Path(__file__).resolve().parents[1]
IDLE_SETTLE = 2.0  # seconds after READY before the idle memory is read
READY_TIMEOUT = 60.0
SIDES = ("bot", "bare", "bot with LLM")
BARE_BOT = """
import os, hikari, lightbulb
bot = hikari.GatewayBot(os.environ["DISCORD_TOKEN"], rest_url=os.environ["DISCORD_API_URL"], banner=None)
client = lightbulb.client_from_app(bot, default_enabled_guilds=(int(os.environ["DEV_GUILDS"]),))

@client.register
class Hi(lightbulb.SlashCommand, name="hi", description="Say hello to the bot"):
    @lightbulb.invoke
    async def invoke(self, ctx: lightbulb.Context) -> None:
        await ctx.respond("HI!")

async def on_starting(_: hikari.StartingEvent) -> None:
    await client.start()

bot.subscribe(hikari.StartingEvent, on_starting)
bot.run(check_for_updates=False)
"""


async def measure(side: str, data_dir: Path) -> dict[str, float]:
    emulator = DiscordEmulator()
    await emulator.start()
    node = FakeLavalinkNode(time_scale=0.05)
    await node.start()
    try:
        with tempfile.TemporaryDirectory(prefix="startup-bench-") as scratch:
            environment = _environment(side, emulator, node, data_dir)
            started = time.monotonic()
            child = await asyncio.create_subprocess_exec(
                *_command(side),
                cwd=scratch,  # no .env of the checkout is read
                env=environment,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                await asyncio.wait_for(emulator.wait_until_ready(), READY_TIMEOUT)
                ready = time.monotonic() - started
                await asyncio.sleep(IDLE_SETTLE)
                idle = _resident_mb(child.pid)
            finally:
                await _stop(child)
    finally:
        await node.stop()
        await emulator.stop()
    return {"ready_s": ready, "idle_mb": idle}


def _command(side: str) -> list[str]:
    if side == "bare":
        return [sys.executable, "-c", BARE_BOT]
    return [sys.executable, "-m", "trainer_bot", "run"]


def _environment(
    side: str, emulator: DiscordEmulator, node: FakeLavalinkNode, data_dir: Path
) -> dict[str, str]:
    source = str(ROOT / "src")
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": source + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "DISCORD_TOKEN": emulator.token,
        "DISCORD_API_URL": emulator.api_url,
        "DEV_GUILDS": str(emulator.guild.id),
    }
    if side == "bare":
        return environment
    return {
        **environment,
        "DATA_DIR": str(data_dir),
        "STT_MODEL": "tiny.en-bundled",
        "TTS_ENGINES": "espeak",
        "LAVALINK_PORT": str(node.port),
        "LAVALINK_PASSWORD": node.password,
        "AUDIO_PORT": "0",
        "LLM": "embedded" if side == "bot with LLM" else "off",
    }


def _resident_mb(pid: int) -> float:
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * resource.getpagesize() / (1024 * 1024)


async def _stop(child: asyncio.subprocess.Process) -> None:
    if child.returncode is None:
        child.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(child.wait(), 30)
        except TimeoutError:
            child.kill()
            await child.wait()


def run_pairs(pairs: int) -> dict[str, list[dict[str, float]]]:
    runs: dict[str, list[dict[str, float]]] = {side: [] for side in SIDES}
    with tempfile.TemporaryDirectory(prefix="startup-data-") as data:
        print("first start (not measured): creating the database", file=sys.stderr, flush=True)
        asyncio.run(measure("bot", Path(data)))
        for pair in range(pairs):
            for side in SIDES:
                print(f"pair {pair + 1}/{pairs}: {side}", file=sys.stderr, flush=True)
                runs[side].append(asyncio.run(measure(side, Path(data))))
    return runs


def comparisons(runs: dict[str, list[dict[str, Any]]]) -> list[Any]:
    def figures(side: str, key: str) -> list[float]:
        return [run[key] for run in runs[side]]

    return [
        compare("process start to READY s", figures("bot", "ready_s"), figures("bare", "ready_s")),
        compare("idle RSS MB", figures("bot", "idle_mb"), figures("bare", "idle_mb")),
        compare(
            "with LLM=embedded: start to READY s",
            figures("bot with LLM", "ready_s"),
            figures("bare", "ready_s"),
        ),
        compare(
            "with LLM=embedded: idle RSS MB", figures("bot with LLM", "idle_mb"), figures("bare", "idle_mb")
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_pair_arguments(parser)
    parser.add_argument("--quick", action="store_true", help="the same: start-up is quick already")
    args = parser.parse_args()
    runs = run_pairs(args.pairs)
    title = "a new process to READY, and its resident memory 2 s later (trainer-bot with LLM=off unless said)"
    print(f"{title}, {args.pairs} pairs of processes (bot, bare interleaved)\n")
    print(comparison_table(comparisons(runs)))
    write_summary(args.json_summary, "startup", title, comparisons(runs))


if __name__ == "__main__":
    main()
