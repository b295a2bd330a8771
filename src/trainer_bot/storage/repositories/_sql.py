"""Small SQL helpers the repositories share (upserts and locks are in storage.concurrency)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def rowcount(result: Result[Any]) -> int:
    # UPDATE/DELETE/INSERT always produce a CursorResult; the session API just types it as Result.
    return cast(CursorResult[Any], result).rowcount
