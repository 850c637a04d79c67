"""A client that leaves never cuts database work in half (found by tests/test_protocol_fuzz.py).

Closing a socket cancels the tasks that served it. Cancelled in the middle of a catch-up
read, SQLAlchemy rolled back from the cancelled task and logged an error.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from chatserver.cancellation import shielded
from chatserver.fanout import Outbound


async def cancel_then_release(task: asyncio.Task[Any], release: asyncio.Event) -> None:
    """Cancel ``task`` and see it end so; then let the work it left go on, and settle."""
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    release.set()
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_socket_closed_during_a_catch_up_lets_the_read_finish() -> None:
    reading, release = asyncio.Event(), asyncio.Event()
    finished: list[int] = []

    async def fetch_after(conversation_id: str, after: int) -> list[dict[str, Any]]:
        reading.set()
        await release.wait()
        finished.append(after)
        return []

    async def send(frame: dict[str, Any]) -> None:
        pass

    outbound = Outbound(send, fetch_after, max_queue=8)
    writer = asyncio.create_task(outbound.run())
    outbound.follow("c1", 3)
    await reading.wait()
    await cancel_then_release(writer, release)
    assert finished == [3]


async def test_shielded_work_that_fails_after_its_caller_left_is_not_reported() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    release = asyncio.Event()

    async def work() -> None:
        await release.wait()
        raise RuntimeError("the database went away")

    try:
        caller = asyncio.create_task(shielded(work()))
        await asyncio.sleep(0)
        await cancel_then_release(caller, release)
        gc.collect()
    finally:
        loop.set_exception_handler(None)
    assert reported == []


async def test_shielded_work_gives_its_result_and_its_error_to_a_caller_that_waits() -> None:
    async def answer() -> int:
        return 42

    async def fail() -> None:
        raise RuntimeError("no")

    assert await shielded(answer()) == 42
    with pytest.raises(RuntimeError):
        await shielded(fail())
