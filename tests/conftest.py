from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from support.logguard import LogGuard


@pytest.fixture
def log_guard() -> Iterator[LogGuard]:
    guard = LogGuard()
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(guard)
    root.setLevel(logging.DEBUG)
    try:
        yield guard
    finally:
        root.removeHandler(guard)
        root.setLevel(previous_level)
    if guard.problems:
        pytest.fail(f"hikari/lightbulb reported problems during the test:\n{guard.report()}")
