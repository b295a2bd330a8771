"""What every benchmark needs to report: peak memory of this process, and an aligned table."""

from __future__ import annotations

import resource
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def resident_mb() -> float:
    """This process's resident memory now (Linux), unlike `peak_mb`'s high-water mark."""
    with Path("/proc/self/statm").open() as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / (1024 * 1024)


def table(rows: list[dict[str, Any]], columns: Sequence[str]) -> str:
    cells = [[cell(row[column]) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    lines = [_line(columns, widths), _line(["-" * width for width in widths], widths)]
    lines.extend(_line(line, widths) for line in cells)
    return "\n".join(lines)


def _line(values: Sequence[str], widths: list[int]) -> str:
    first = f"{values[0]:<{widths[0]}}"
    return "  ".join([first, *(f"{v:>{w}}" for v, w in zip(values[1:], widths[1:], strict=True))])


def cell(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.3f}" if value < 1 else f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"
