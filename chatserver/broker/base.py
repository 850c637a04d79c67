"""The broker interface every adapter implements."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from chatserver.metrics import DELIVERY_FAILURES, Failure

logger = logging.getLogger("chatserver.broker")

#: Called for every event on a subscribed topic, in publish order per topic.
EventHandler = Callable[[str, dict[str, Any]], Awaitable[None]]
#: Called when events may have been missed (a reconnect): readers re-check the store.
GapHandler = Callable[[], Awaitable[None]]


class Broker(Protocol):
    async def start(self, handler: EventHandler, on_gap: GapHandler) -> None: ...

    async def subscribe(self, topic: str) -> None: ...

    async def unsubscribe(self, topic: str) -> None: ...

    async def publish(self, topic: str, event: dict[str, Any]) -> None: ...

    async def claim(self, key: str, until: float) -> bool:
        """Whether ``key`` is claimed for the first time; it stays claimed until ``until``.

        The one fact the broker keeps rather than relays: a proof of work is spent once on
        every node (chatserver/work.py). ``until`` is in seconds since the epoch. A broker
        that cannot answer raises :class:`~chatserver.errors.Unavailable`.
        """

    async def ping(self) -> None:
        """Return if the broker answers now; raise otherwise (readiness)."""

    async def close(self) -> None: ...


async def publish_hint(broker: Broker, topic: str, event: dict[str, Any]) -> None:
    """Publish after a commit; a failure is logged, never raised.

    The change is already durable and acknowledged, and every reader catches up
    from the store by sequence number, so a lost hint delays and never loses.
    """
    try:
        await broker.publish(topic, event)
    except Exception:
        DELIVERY_FAILURES.labels(Failure.HINT_LOST).inc()
        logger.warning("broker publish failed", extra={"topic_kind": topic.split(":")[0]})
