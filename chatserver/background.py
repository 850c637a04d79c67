"""A task that repeats one round of work on every node until the server stops.

A failed round is logged and the next one tries again: a database that is away for a
while, or a bug in one round, must not stop deliveries or deletions for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from chatserver.errors import ChatError


class Periodic:
    def __init__(
        self,
        name: str,
        work: Callable[[], Awaitable[object]],
        interval_s: float,
        logger: logging.Logger,
        wake: asyncio.Event | None = None,
    ) -> None:
        self._name = name
        self._work = work
        self._interval_s = interval_s
        self._logger = logger
        #: Set by whoever has new work, so that the next round need not wait.
        self._wake = wake or asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self._work()
            except ChatError as error:
                self._logger.warning(f"{self._name} paused", extra={"code": error.code})
            except Exception:
                self._logger.exception(f"{self._name} failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval_s)
            self._wake.clear()
