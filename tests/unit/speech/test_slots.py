"""Slots: the queue in front of the transcription workers, without a model."""

from __future__ import annotations

import asyncio

import pytest

from trainer_bot.speech.errors import TranscriberBusy
from trainer_bot.speech.slots import Slots


async def test_waiters_are_served_in_order_and_told_their_position() -> None:
    slots = Slots(workers=1, queue_size=3)
    await slots.acquire()
    positions: list[int] = []
    served: list[str] = []

    async def queued(position: int) -> None:
        positions.append(position)

    async def wait(name: str) -> None:
        await slots.acquire(queued)
        served.append(name)

    waiters = [asyncio.create_task(wait(name)) for name in ("a", "b", "c")]
    await asyncio.sleep(0)
    assert (positions, slots.running, slots.waiting) == ([1, 2, 3], 1, 3)
    with pytest.raises(TranscriberBusy):
        await slots.acquire(queued)
    for expected in (["a"], ["a", "b"], ["a", "b", "c"]):
        slots.release()
        await asyncio.sleep(0)
        assert served == expected
    await asyncio.gather(*waiters)
    slots.release()
    assert (slots.running, slots.waiting) == (0, 0)


async def test_a_cancelled_waiter_leaves_the_line_without_taking_a_slot() -> None:
    slots = Slots(workers=1, queue_size=2)
    await slots.acquire()
    leaving = asyncio.create_task(slots.acquire())
    staying = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    leaving.cancel()
    await asyncio.sleep(0)
    assert slots.waiting == 1
    slots.release()
    await staying
    assert (slots.running, slots.waiting) == (1, 0)


async def test_a_failing_queued_callback_does_not_cost_the_request(caplog: pytest.LogCaptureFixture) -> None:
    slots = Slots(workers=1, queue_size=1)
    await slots.acquire()

    async def broken(position: int) -> None:
        raise RuntimeError("Discord is down")

    waiting = asyncio.create_task(slots.acquire(broken))
    await asyncio.sleep(0)
    slots.release()
    await waiting
    assert "on_queued callback failed" in caplog.text


async def test_shutdown_rejects_everyone_waiting() -> None:
    slots = Slots(workers=1, queue_size=1)
    await slots.acquire()
    waiting = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    slots.reject_waiting(TranscriberBusy("shutting down"))
    with pytest.raises(TranscriberBusy, match="shutting down"):
        await waiting
    assert (slots.running, slots.waiting) == (1, 0)
