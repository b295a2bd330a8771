"""Spoken-answer latency: a member's message -> the first audio frame Discord's voice server receives.

Runs the real bot against the Discord emulator (with its voice server) and the fake Lavalink node, with
the offline speech engine (espeak-ng), and splits each utterance into:
  answer     message sent -> text answer posted (model + Discord REST)
  synthesis  speech synthesis of the answer
  load       audio published -> Lavalink loaded it over HTTP -> play request (TrackStart)
  heard      message sent -> the first 20 ms frame at the voice server (the member hears it)

The bot's cache of spoken answers is turned off, so that every answer (the same untaught one each time)
is synthesised. The bare side does the synthesis alone, with the libraries the bot uses and nothing around them: the
espeak-ng command on the very texts the bot spoke (the cleaned answers, handed over from the bot's child
of the same pair) and PyAV's libopus encoder with the bot's settings, called directly one after another.
Each side runs in its own child process, interleaved (bot, bare, bot, bare ...) for `--pairs` pairs; the
parent prints min/median/max over the pairs of each child's median and max, and bot/bare for synthesis,
the one phase both sides have. Utterances go one at a time: the bot speaks one answer at a time per guild.

    python bench/voice.py [--pairs 3] [--count 20 | --quick]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

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

PHASES = ("answer", "synthesis", "load", "heard")
WARM_UP = 2
QUICK_COUNT = 5
# The bot's encoder settings (trainer_bot.speech.media), spelled out: importing them would load trainer-bot
# into the bare side's process.
OPUS_RATE = 48_000
OPUS_BITRATE = 32_000
OPUS_OPTIONS = {"compression_level": "0"}
ESPEAK_VOICE = "en-us"  # the bot's voice for English text


# The bot's side


async def measure_bot(count: int) -> dict[str, Any]:
    from discord_sandbox import DiscordEmulator
    from discord_sandbox.lavalink import FakeLavalinkNode
    from trainer_bot.app import TrainerBot
    from trainer_bot.config import Settings
    from trainer_bot.speech.tts import Synthesizer

    synthesis_spans: list[tuple[float, float]] = []
    spoken: list[str] = []
    original_speak = Synthesizer._speak  # one spoken part (the benchmark's answers are one part each)

    async def timed_speak(self: Synthesizer, speakable: str, voice: str | None) -> Any:
        started = time.monotonic()
        try:
            return await original_speak(self, speakable, voice)
        finally:
            synthesis_spans.append((started, time.monotonic()))
            spoken.append(speakable)  # for the bare side

    Synthesizer._speak = timed_speak  # type: ignore[method-assign]
    # Every question gets the same answer (nothing is taught): from the cache, all but the first would
    # cost nothing, and the synthesis phase would measure a dictionary lookup instead of espeak-ng.
    Synthesizer._keep = lambda *_: None  # type: ignore[method-assign]
    emulator = DiscordEmulator()
    await emulator.start()
    node = FakeLavalinkNode(time_scale=0.01)
    await node.start()
    member = await emulator.add_member("listener")
    await emulator.move_member(member, emulator.voice_channel)
    phases: dict[str, list[float]] = {name: [] for name in PHASES}
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
        for n in range(count + WARM_UP):
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
            if n >= WARM_UP:
                phases["answer"].append(answered - sent)
                phases["synthesis"].append(synth_end - synth_start)
                phases["load"].append(play.started_at - synth_end)
                phases["heard"].append(first_frame - sent)
        await bot.stop()
    await node.stop()
    await emulator.stop()
    return {"ms": {name: [s * 1000 for s in values] for name, values in phases.items()}, "spoken": spoken}


# The bare side


def measure_bare(texts: list[str]) -> dict[str, Any]:
    import av

    del av  # imported before the clock starts, as the bot's process has it loaded
    for text in texts[:WARM_UP]:
        synthesize(text)
    spent = []
    for text in texts[WARM_UP:]:
        started = time.monotonic()
        synthesize(text)
        spent.append((time.monotonic() - started) * 1000)
    return {"ms": {"synthesis": spent}}


def synthesize(text: str) -> bytes:
    command = ["espeak-ng", "-v", ESPEAK_VOICE, "-b", "1", "--stdin", "--stdout"]
    wav = subprocess.run(command, input=text.encode(), capture_output=True, check=True).stdout
    return encode_ogg_opus(wav)


def encode_ogg_opus(wav: bytes) -> bytes:
    import av

    out = io.BytesIO()
    resampler = av.AudioResampler(format="s16", layout="mono", rate=OPUS_RATE)
    with av.open(io.BytesIO(wav), mode="r") as source, av.open(out, mode="w", format="ogg") as target:
        stream = target.add_stream("libopus", rate=OPUS_RATE, layout="mono", options=OPUS_OPTIONS)
        stream.bit_rate = OPUS_BITRATE
        for frame in source.decode(audio=0):
            for resampled in resampler.resample(frame):
                target.mux(stream.encode(resampled))
        for resampled in resampler.resample(None):
            target.mux(stream.encode(resampled))
        target.mux(stream.encode(None))
    return out.getvalue()


# The parent


class Pairs:
    """Runs the children; each bare child speaks the texts its pair's bot child spoke just before."""

    def __init__(self, count: int, scratch: Path) -> None:
        self._count = count
        self._texts = scratch / "spoken.json"

    def run(self, side: str) -> dict[str, Any]:
        if side == "bot":
            result = run_child([__file__, "--side", "bot", "--count", str(self._count)])
            self._texts.write_text(json.dumps(result["spoken"]))
            return result
        return run_child([__file__, "--side", "bare", "--texts", str(self._texts)])


def comparisons(runs: Runs) -> list[Comparison]:
    def bot_only(phase: str, statistic: str) -> Comparison:
        values = [_statistic(run["ms"][phase], statistic) for run in runs["bot"]]
        return compare(f"{phase} {statistic} ms", values, None)

    synthesis = [
        compare_runs(
            runs, f"synthesis {statistic} ms", lambda run, s=statistic: _statistic(run["ms"]["synthesis"], s)
        )
        for statistic in ("median", "max")
    ]
    return [bot_only("answer", "median"), *synthesis, bot_only("load", "median")] + [
        bot_only("heard", statistic) for statistic in ("median", "max")
    ]


def _statistic(values: list[float], statistic: str) -> float:
    return statistics.median(values) if statistic == "median" else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_pair_arguments(parser)
    parser.add_argument("--count", type=int, default=20, help="utterances per process (default %(default)s)")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_COUNT} utterances instead of --count")
    parser.add_argument("--side", choices=("bot", "bare"), help=argparse.SUPPRESS)  # (child) JSON out
    parser.add_argument("--texts", type=Path, help=argparse.SUPPRESS)  # (bare child) what the bot spoke
    args = parser.parse_args()
    if args.side == "bot":
        logging.basicConfig(level=logging.WARNING)
        print(json.dumps(asyncio.run(measure_bot(args.count))))
        return
    if args.side == "bare":
        print(json.dumps(measure_bare(json.loads(args.texts.read_text()))))
        return
    count = QUICK_COUNT if args.quick else args.count
    with tempfile.TemporaryDirectory(prefix="voice-bench-") as scratch:
        runs = interleave(args.pairs, Pairs(count, Path(scratch)).run)
    title = f"message -> first frame heard, espeak-ng, {count} utterances one at a time per process"
    print(f"{title}, {args.pairs} pairs of processes (bot, bare interleaved)")
    print(
        "median/max: of each process's utterances; min/med/max over the pairs; bot/bare: ratio of medians\n"
    )
    print(comparison_table(comparisons(runs)))
    write_summary(args.json_summary, "voice", title, comparisons(runs))


if __name__ == "__main__":
    main()
