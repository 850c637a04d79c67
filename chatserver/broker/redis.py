"""Redis pub/sub broker for many nodes.

Pub/sub is at-most-once: whatever is published while a node is cut off is gone.
That is acceptable because events are only hints (the store is the log), and
made safe by two rules. After every reconnect the broker resubscribes and then
calls ``on_gap`` so that local sockets check the store for what they missed; and
publishing never blocks a caller: hints wait in a bounded queue for one
publisher task, so an unreachable Redis cannot delay an acknowledgement.
(Streams would buy replay we do not need; see docs/architecture.md.)

Liveness is judged by Redis, not by the clock of a busy node: an overloaded,
starved event loop reads late, and counting that lateness as silence made nodes
drop a healthy connection, whose reconnect re-read everything and so added load
(issue 22). So silence only grows by the time a read actually waited, every
quiet read sends a PING on the connection, and any answer (a message or the
PONG) proves it alive; only silence past the limit with no answer is a dead
connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import random
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from chatserver.broker.base import EventHandler, GapHandler
from chatserver.errors import Unavailable
from chatserver.metrics import BROKER_RECONNECTS, DELIVERY_FAILURES, Failure

logger = logging.getLogger("chatserver.broker.redis")

#: Hints waiting to be published; past this, new ones are dropped (and counted as lost).
PUBLISH_QUEUE_SIZE = 10_000
#: A read that waited this long for nothing sends a PING; a connection that answered
#: nothing over reads that waited this long in all is dead.
IDLE_PING_S = 5.0
SILENCE_LIMIT_S = 15.0
RECONNECT_MAX_DELAY_S = 5.0


#: Called once a connection has answered: it is alive.
_Proved = Callable[[], Awaitable[None]]


class RedisBroker:
    def __init__(
        self,
        url: str,
        prefix: str = "chat:",
        *,
        idle_ping_s: float = IDLE_PING_S,
        silence_limit_s: float = SILENCE_LIMIT_S,
    ) -> None:
        #: Before every channel (REDIS_PREFIX): two deployments on one Redis never meet.
        self._prefix = prefix
        self._idle_ping_s = idle_ping_s
        self._silence_limit_s = silence_limit_s
        self._client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        self._topics: set[str] = set()
        self._pubsub: PubSub | None = None
        self._lock = asyncio.Lock()
        self._outgoing: asyncio.Queue[tuple[str, str]] = asyncio.Queue(PUBLISH_QUEUE_SIZE)
        self._tasks: list[asyncio.Task[None]] = []
        #: Set while the subscriber connection is up; wakes a publisher waiting to retry.
        self._connected = asyncio.Event()

    async def start(self, handler: EventHandler, on_gap: GapHandler) -> None:
        self._tasks = [
            asyncio.create_task(self._read(handler, on_gap)),
            asyncio.create_task(self._publish_loop()),
        ]

    async def subscribe(self, topic: str) -> None:
        async with self._lock:
            self._topics.add(topic)
            if self._pubsub is not None:
                # On failure the reader notices the broken connection and resubscribes all.
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.subscribe(self._prefix + topic)

    async def unsubscribe(self, topic: str) -> None:
        async with self._lock:
            self._topics.discard(topic)
            if self._pubsub is not None:
                with contextlib.suppress(RedisError, OSError):
                    await self._pubsub.unsubscribe(self._prefix + topic)

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        try:
            self._outgoing.put_nowait((self._prefix + topic, json.dumps(event)))
        except asyncio.QueueFull:
            DELIVERY_FAILURES.labels(Failure.HINT_LOST).inc()

    async def claim(self, key: str, until: float) -> bool:
        """``SET NX`` with an expiry: the first node to claim wins, and Redis forgets it later."""
        try:
            claimed = await self._client.set(
                self._prefix + key, b"1", nx=True, exat=math.ceil(until)
            )
        except (RedisError, OSError) as exc:
            raise Unavailable() from exc
        return bool(claimed)

    async def ping(self) -> None:
        await self._client.ping()

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._drop_pubsub()
        await self._client.aclose()

    async def _publish_loop(self) -> None:
        while True:
            topic, payload = await self._outgoing.get()
            delay = 0.0
            while True:
                try:
                    await self._client.publish(topic, payload)
                    break
                except (RedisError, OSError):
                    # Retry the same hint: a stale one is harmless, readers drop it by seq.
                    delay = _backoff(delay)
                    logger.warning("redis publish failed; retrying")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._connected.wait(), delay)

    async def _read(self, handler: EventHandler, on_gap: GapHandler) -> None:
        delay = 0.0
        lost = False

        async def proved() -> None:
            """A connection answered: it is alive; one that replaced a lost one may have gaps."""
            nonlocal delay, lost
            delay = 0.0
            if lost:
                lost = False
                BROKER_RECONNECTS.inc()
                logger.warning("redis reconnected; checking for missed messages")
                await on_gap()

        while True:
            try:
                await self._connect()
                await self._pump(handler, proved)
            except (RedisError, OSError, TimeoutError):
                lost = True
                await self._drop_pubsub()
                delay = _backoff(delay)
                logger.warning("redis connection lost")
                await asyncio.sleep(delay)

    async def _connect(self) -> None:
        async with self._lock:
            # Subscribe confirmations are kept: like the PONG, each one is an answer.
            pubsub = self._client.pubsub(ignore_subscribe_messages=False)
            await pubsub.ping()
            if self._topics:
                await pubsub.subscribe(*(self._prefix + topic for topic in self._topics))
            self._pubsub = pubsub
        self._connected.set()

    async def _pump(self, handler: EventHandler, proved: _Proved) -> None:
        pubsub = self._pubsub
        assert pubsub is not None
        loop = asyncio.get_running_loop()
        silence = 0.0
        answered = False
        while True:
            asked = loop.time()
            message = await pubsub.get_message(timeout=self._idle_ping_s)
            if message is None:
                # A starved loop returns late: that lateness is ours, not Redis's silence.
                silence += min(loop.time() - asked, self._idle_ping_s)
                if silence >= self._silence_limit_s:
                    raise TimeoutError("redis answered nothing, not even a PING")
                await pubsub.ping()
                continue
            silence = 0.0
            if not answered:
                answered = True
                await proved()
            if message.get("type") == "message":
                channel = message["channel"]
                name = channel.decode() if isinstance(channel, bytes) else str(channel)
                if name.startswith(self._prefix):
                    await handler(name[len(self._prefix) :], json.loads(message["data"]))

    async def _drop_pubsub(self) -> None:
        self._connected.clear()
        async with self._lock:
            pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()  # type: ignore[no-untyped-call]


def _backoff(previous: float) -> float:
    """websockets-style: a random first delay, then doubling up to a cap."""
    if previous == 0.0:
        return random.uniform(0.1, 0.5)  # noqa: S311 - jitter, not secrecy
    return min(RECONNECT_MAX_DELAY_S, previous * 2)
