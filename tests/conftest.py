from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

from support import postgres
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


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database for the whole run (see support.postgres); skipped where neither
    TRAINER_BOT_TEST_POSTGRES_URL nor Debian's `postgresql` package is there."""
    if url := os.environ.get(postgres.ENVIRONMENT):
        yield url
        return
    if postgres.binaries() is None:
        pytest.skip(
            "PostgreSQL is not installed (apt-get install postgresql) and TRAINER_BOT_TEST_POSTGRES_URL is unset"
        )
    with postgres.throwaway_server() as url:
        yield url
