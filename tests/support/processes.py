"""Run coroutines in separate OS processes that start at the same moment, as bot shards and workers do.

Each process gets its own interpreter (spawn), its own engine and its own connections, so nothing is
shared but the database. A barrier releases them together once every one has imported what it needs.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
from collections.abc import Awaitable, Callable, Sequence
from multiprocessing.synchronize import Barrier
from typing import Any

START_TIMEOUT_S = 60.0
RESULT_TIMEOUT_S = 90.0


class ProcessFailed(AssertionError):
    pass


def run_at_once(work: Callable[..., Awaitable[Any]], arguments: Sequence[tuple[Any, ...]]) -> list[Any]:
    """`asyncio.run(work(*args))` in one process per entry of `arguments`, all released together.

    `work` must be a module-level coroutine function (it is pickled by name). Returns the results in
    the order of `arguments`; raises ProcessFailed with every child's error if any failed.
    """
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(arguments))
    results: multiprocessing.Queue[tuple[int, bool, Any]] = context.Queue()
    processes = [
        context.Process(target=_child, args=(barrier, results, index, work, args), daemon=True)
        for index, args in enumerate(arguments)
    ]
    for process in processes:
        process.start()
    collected: dict[int, tuple[bool, Any]] = {}
    try:
        for _ in processes:
            index, ok, value = results.get(timeout=RESULT_TIMEOUT_S)
            collected[index] = (ok, value)
    except queue.Empty:
        raise ProcessFailed(f"only {len(collected)} of {len(processes)} processes finished") from None
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    errors = [value for ok, value in collected.values() if not ok]
    if errors:
        raise ProcessFailed("\n".join(errors))
    return [collected[index][1] for index in range(len(arguments))]


def _child(
    barrier: Barrier,
    results: multiprocessing.Queue[tuple[int, bool, Any]],
    index: int,
    work: Callable[..., Awaitable[Any]],
    args: tuple[Any, ...],
) -> None:
    try:
        barrier.wait(timeout=START_TIMEOUT_S)
        results.put((index, True, asyncio.run(_call(work, args))))
    except BaseException as exc:  # reported to the test, which fails with it
        results.put((index, False, f"process {index}: {exc!r}"))


async def _call(work: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> Any:
    return await work(*args)
