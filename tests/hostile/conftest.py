"""Worst event-loop lag over the whole hostile suite, printed at the end (a figure, not a timed test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

WORST: dict[str, float] = {}


@pytest.fixture(scope="session", autouse=True)
def report_lag() -> Iterator[None]:
    yield
    if WORST:
        name, worst = max(WORST.items(), key=lambda item: item[1])
        print(
            f"\nhostile inputs: worst event-loop lag {worst * 1000:.0f} ms ({name}) over {len(WORST)} inputs"
        )
