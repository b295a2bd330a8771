"""Worst event-loop lag and memory growth over the hostile suite, printed at the end (figures, not
timed tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

WORST: dict[str, float] = {}  # input -> worst event-loop lag (s)
GROWTH: dict[str, float] = {}  # input -> resident memory growth (MB)


@pytest.fixture(scope="session", autouse=True)
def report_lag() -> Iterator[None]:
    yield
    if WORST:
        name, worst = max(WORST.items(), key=lambda item: item[1])
        print(
            f"\nhostile inputs: worst event-loop lag {worst * 1000:.0f} ms ({name}) over {len(WORST)} inputs"
        )
    if GROWTH:
        name, growth = max(GROWTH.items(), key=lambda item: item[1])
        print(f"hostile inputs: largest resident-memory growth {growth:.0f} MB ({name})")
