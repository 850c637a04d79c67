"""In-process broker for the single-node embedded mode.

Events are round-tripped through JSON, as Redis would, so that nothing can rely
on sharing Python objects and both adapters behave alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from chatserver.broker.base import EventHandler, GapHandler
from chatserver.domain.work import SpentSet


class MemoryBroker:
    def __init__(self) -> None:
        self._topics: set[str] = set()
        self._pending: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._dispatcher: asyncio.Task[None] | None = None
        self._claimed = SpentSet()

    async def start(self, handler: EventHandler, on_gap: GapHandler) -> None:
        """In-process delivery cannot be cut off, so ``on_gap`` is never needed."""
        self._dispatcher = asyncio.create_task(self._dispatch(handler))

    async def subscribe(self, topic: str) -> None:
        self._topics.add(topic)

    async def unsubscribe(self, topic: str) -> None:
        self._topics.discard(topic)

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        if topic in self._topics:
            self._pending.put_nowait((topic, json.dumps(event)))

    async def claim(self, key: str, until: float) -> bool:
        return self._claimed.claim(key, until, time.time())

    async def ping(self) -> None:
        """In-process: always there."""

    async def close(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher

    async def _dispatch(self, handler: EventHandler) -> None:
        while True:
            topic, payload = await self._pending.get()
            await handler(topic, json.loads(payload))
