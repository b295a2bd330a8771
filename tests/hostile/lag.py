"""How long the event loop stalls while something runs: a probe that wakes every 10 ms."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class Lag:
    worst: float = 0.0  # seconds past the probe's 10 ms beat


@asynccontextmanager
async def lag_probe(interval: float = 0.01) -> AsyncIterator[Lag]:
    lag = Lag()

    async def beat() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(interval)
            lag.worst = max(lag.worst, time.perf_counter() - before - interval)

    task = asyncio.get_running_loop().create_task(beat())
    try:
        yield lag
    finally:
        task.cancel()
