"""Fair comparisons: each side in its own child process, interleaved, summarised over the pairs.

A benchmark re-invokes itself once per side and pair (`run_child`), in the order bot, bare, bot, bare ...
(`interleave`), so a slow spell of the machine hits both sides and neither side's heap, threads or caches
weigh on the other. Each figure is then summarised as min/median/max over the pairs of each side and the
ratio bot/bare of the medians, with the spread of the per-pair ratios (`compare`). `write_summary` saves
those rows as JSON for bench/run_all.py, which turns them into the README's table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _report import cell, table

SIDES = ("bot", "bare")
MIN_PAIRS = 3  # fewer, and a median over the pairs is only a mean or a single run
MISSING = "–"

Runs = dict[str, list[dict[str, Any]]]


def add_pair_arguments(parser: argparse.ArgumentParser) -> None:
    """`--pairs` and `--json-summary`, as every benchmark takes them."""
    parser.add_argument(
        "--pairs",
        type=_pair_count,
        default=MIN_PAIRS,
        help=f"child processes per side, interleaved (default and least {MIN_PAIRS})",
    )
    parser.add_argument("--json-summary", type=Path, help="also write the summary rows as JSON to this file")


def _pair_count(text: str) -> int:
    count = int(text)
    if count < MIN_PAIRS:
        raise argparse.ArgumentTypeError(f"at least {MIN_PAIRS} pairs")
    return count


def run_child(arguments: Sequence[str]) -> dict[str, Any]:
    """Run `python <arguments>` (a benchmark measuring one side); its last line of stdout is its JSON."""
    done = subprocess.run([sys.executable, *arguments], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(arguments)} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def interleave(pairs: int, run: Callable[[str], dict[str, Any]], sides: Sequence[str] = SIDES) -> Runs:
    """`run(side)` for each side in turn, `pairs` times over; the results by side, in pair order."""
    runs: Runs = {side: [] for side in sides}
    for pair in range(pairs):
        for side in sides:
            print(f"pair {pair + 1}/{pairs}: {side}", file=sys.stderr, flush=True)
            runs[side].append(run(side))
    return runs


@dataclass(frozen=True)
class Spread:
    low: float
    median: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(min(values), statistics.median(values), max(values))

    def __str__(self) -> str:
        return " / ".join(cell(value) for value in (self.low, self.median, self.high))


@dataclass(frozen=True)
class Comparison:
    """One figure over the pairs: each side's spread, and bot/bare as ratio of medians and per pair."""

    figure: str
    bot: Spread | None
    bare: Spread | None
    ratio: float | None = None
    pair_ratios: Spread | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comparison:
        def spread(value: dict[str, float] | None) -> Spread | None:
            return None if value is None else Spread(**value)

        return cls(
            data["figure"],
            spread(data["bot"]),
            spread(data["bare"]),
            data["ratio"],
            spread(data["pair_ratios"]),
        )


def compare(figure: str, bot: Sequence[float] | None, bare: Sequence[float] | None) -> Comparison:
    """Summarise one figure; either side may be missing (a figure only one side has)."""
    if not bot or not bare:
        return Comparison(figure, Spread.of(bot) if bot else None, Spread.of(bare) if bare else None)
    bot_spread, bare_spread = Spread.of(bot), Spread.of(bare)
    ratio = bot_spread.median / bare_spread.median if bare_spread.median else None
    # Pair n's bot against pair n's bare: they ran back to back, so a slow spell cancels out.
    per_pair = [b / a for b, a in zip(bot, bare, strict=True) if a]
    return Comparison(figure, bot_spread, bare_spread, ratio, Spread.of(per_pair) if per_pair else None)


def compare_runs(runs: Runs, figure: str, key: str | Callable[[dict[str, Any]], float]) -> Comparison:
    """`compare` a figure every run of both sides holds (under `key`, or as `key(run)`)."""
    pick: Callable[[dict[str, Any]], float] = (lambda run: run[key]) if isinstance(key, str) else key
    return compare(figure, [pick(run) for run in runs["bot"]], [pick(run) for run in runs["bare"]])


COLUMNS = ("figure", "bot min", "bot med", "bot max", "bare min", "bare med", "bare max", "bot/bare", "pairs")


def comparison_table(comparisons: Sequence[Comparison]) -> str:
    """An aligned table; "bot/bare" is the ratio of the medians, "pairs" the range of per-pair ratios."""
    rows = []
    for comparison in comparisons:
        row: dict[str, Any] = {"figure": comparison.figure}
        for side in SIDES:
            spread: Spread | None = getattr(comparison, side)
            row[f"{side} min"], row[f"{side} med"], row[f"{side} max"] = (
                (spread.low, spread.median, spread.high) if spread else (MISSING,) * 3
            )
        row["bot/bare"] = ratio_text(comparison.ratio)
        pairs = comparison.pair_ratios
        row["pairs"] = f"{pairs.low:.2f}–{pairs.high:.2f}" if pairs else MISSING
        rows.append(row)
    return table(rows, COLUMNS)


def ratio_text(ratio: float | None) -> str:
    return MISSING if ratio is None else f"{ratio:.2f}x"


def write_summary(path: Path | None, benchmark: str, title: str, comparisons: Sequence[Comparison]) -> None:
    """Save the summary rows for bench/run_all.py (nothing without `--json-summary`)."""
    if path is None:
        return
    figures = [asdict(comparison) for comparison in comparisons]
    path.write_text(json.dumps({"benchmark": benchmark, "title": title, "figures": figures}, indent=1))


def read_summary(path: Path) -> tuple[str, str, list[Comparison]]:
    """What `write_summary` saved: the benchmark's name, its title and its rows."""
    data = json.loads(path.read_text())
    return data["benchmark"], data["title"], [Comparison.from_dict(f) for f in data["figures"]]
