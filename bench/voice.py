"""Spoken-answer latency: a member's message -> the first audio frame Discord's voice server receives.

Runs the real bot against the Discord emulator (with its voice server) and the fake Lavalink node, with
the offline speech engine (espeak-ng), and splits each utterance into:
  answer     message sent -> text answer posted (model + Discord REST)
  synthesis  speech synthesis of the answer
  load       audio published -> Lavalink loaded it over HTTP -> play request (TrackStart)
  heard      message sent -> the first 20 ms frame at the voice server (the member hears it)

    python bench/voice.py [--count 20]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from discord_sandbox import DiscordEmulator
from discord_sandbox.lavalink import FakeLavalinkNode
from trainer_bot.app import TrainerBot
from trainer_bot.config import Settings
from trainer_bot.speech.tts import Synthesizer

synthesis_spans: list[tuple[float, float]] = []
_original_synthesize = Synthesizer.synthesize


async def timed_synthesize(self: Synthesizer, text: str, **kwargs: Any) -> Any:
    started = time.monotonic()
    try:
        return await _original_synthesize(self, text, **kwargs)
    finally:
        synthesis_spans.append((started, time.monotonic()))


def row(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{name:<12}{min(ms):>10.1f}{statistics.median(ms):>10.1f}{statistics.fmean(ms):>10.1f}{max(ms):>10.1f}"


async def main(count: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    Synthesizer.synthesize = timed_synthesize  # type: ignore[method-assign]
    emulator = DiscordEmulator()
    await emulator.start()
    node = FakeLavalinkNode(time_scale=0.01)
    await node.start()
    member = await emulator.add_member("listener")
    await emulator.move_member(member, emulator.voice_channel)
    phases: dict[str, list[float]] = {"answer": [], "synthesis": [], "load": [], "heard": []}
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            discord_token=emulator.token,
            discord_api_url=emulator.api_url,
            dev_guilds=(emulator.guild.id,),
            data_dir=Path(data_dir),
            tts_engines=("espeak",),
            llm="off",  # the voice path alone: a language model's answer time is bench/chat.py's
            lavalink_port=node.port,
            lavalink_password=node.password,
            audio_port=0,
        )
        bot = TrainerBot(settings)
        await bot.start()
        await emulator.wait_until_ready()
        guild = emulator.guild.id
        for n in range(count + 2):  # the first two warm up
            sent = time.monotonic()
            question = await emulator.send_message(member, f"question number {n}", mention_bot=True)
            answer = await emulator.wait_for(
                lambda q=question: next(
                    (m for m in emulator.bot_messages() if m.referenced_message_id == q.id), None
                ),
                30,
            )
            answered = answer.created_at - (time.time() - time.monotonic())
            await node.until(lambda n=n: len(node.plays(guild)) > n, 30, "the play request")
            play = node.plays(guild)[n]
            synth_start, synth_end = synthesis_spans[n]
            await node.until(lambda p=play: p.ended_at is not None, 30, "the play to end")
            first_frame = emulator.voice.heard(guild).first_after(play.started_at)
            assert first_frame is not None, "nothing reached the voice channel"
            if n >= 2:
                phases["answer"].append(answered - sent)
                phases["synthesis"].append(synth_end - synth_start)
                phases["load"].append(play.started_at - synth_end)
                phases["heard"].append(first_frame - sent)
        await bot.stop()
    await node.stop()
    await emulator.stop()
    print(f"message -> first frame heard, {count} utterances, espeak-ng, ms")
    print(f"{'phase':<12}{'min':>10}{'median':>10}{'mean':>10}{'max':>10}")
    for name, values in phases.items():
        print(row(name, values))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    asyncio.run(main(parser.parse_args().count))
