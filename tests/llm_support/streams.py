"""A reader of a model's answer that leaves after the first piece, as a member's cancelled request does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest


async def leave_after_first_piece(pieces: AsyncIterator[str]) -> None:
    """Reads `pieces` in a task until the first one arrives, then cancels that task."""
    first_piece = asyncio.Event()

    async def consume() -> None:
        async for _ in pieces:
            first_piece.set()

    reader = asyncio.create_task(consume())
    await asyncio.wait_for(first_piece.wait(), 10)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
