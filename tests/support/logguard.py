"""Fail tests on log lines that mean a payload or a handler broke silently."""

from __future__ import annotations

import logging

DROPPED_EVENT = "Exception occurred in raw event dispatch conduit"


class LogGuard(logging.Handler):
    """Collects hikari's dropped-event line and any ERROR from hikari or lightbulb.

    hikari never crashes on a malformed payload or a failing listener: it logs and drops the event, so a
    broken emulator payload or a broken listener would otherwise pass unnoticed.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.problems: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        from_library = record.name.startswith(("hikari", "lightbulb"))
        if DROPPED_EVENT in record.getMessage() or (from_library and record.levelno >= logging.ERROR):
            self.problems.append(record)

    def report(self) -> str:
        return "\n".join(f"{r.name}: {r.getMessage()}\n{r.exc_text or ''}" for r in self.problems)

    def take(self) -> list[logging.LogRecord]:
        """Claim the problems so far (for tests that cause one on purpose)."""
        problems, self.problems = self.problems, []
        return problems
