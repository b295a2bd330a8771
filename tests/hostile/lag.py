"""What one hostile input costs: how long the event loop stalls (a probe that wakes every 10 ms) and
how much the process's resident memory grows."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Lag:
    worst: float = 0.0  # seconds past the probe's 10 ms beat
    rss_growth_mb: float = 0.0


def rss_mb() -> float:
    """Resident memory now (Linux), in MB; 0 where /proc is not there."""
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@asynccontextmanager
async def lag_probe(interval: float = 0.01) -> AsyncIterator[Lag]:
    lag = Lag()

    async def beat() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(interval)
            lag.worst = max(lag.worst, time.perf_counter() - before - interval)

    task = asyncio.get_running_loop().create_task(beat())
    before = rss_mb()
    try:
        yield lag
    finally:
        task.cancel()
        lag.rss_growth_mb = rss_mb() - before
