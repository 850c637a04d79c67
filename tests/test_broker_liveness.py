"""The Redis broker judges its connection by Redis's answers, not by how late a busy node reads.

Issue 22: a starved event loop read the connection late, took that for silence, reconnected,
and the reconnect's re-reads added to the load that starved it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from chatserver.broker.redis import RedisBroker
from chatserver.metrics import REGISTRY
from tests.support.pilots import new_id
from tests.support.services import REDIS_HOST, REDIS_PORT, REDIS_URL, proxied_redis_url, require
from tests.support.tcpproxy import TcpProxy

IDLE_PING_S = 0.2
SILENCE_LIMIT_S = 1.0


class Node:
    """One broker as a node holds it: what it heard, and how often it was told of a gap."""

    def __init__(self, url: str) -> None:
        self.broker = RedisBroker(
            url, f"test-{new_id()}:", idle_ping_s=IDLE_PING_S, silence_limit_s=SILENCE_LIMIT_S
        )
        self.heard: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.gaps = 0

    async def start(self) -> Node:
        await self.broker.subscribe("conv:1")
        await self.broker.start(self._handle, self._on_gap)
        await self.hears_a_hint()
        return self

    async def hears_a_hint(self, timeout: float = 10) -> None:
        """Publish until one comes back: subscribing on a new connection takes a moment."""
        marker = new_id()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await self.broker.publish("conv:1", {"marker": marker})
            try:
                while (await asyncio.wait_for(self.heard.get(), 0.5))["marker"] != marker:
                    pass
                return
            except TimeoutError:
                continue
        raise AssertionError("no hint came back")

    async def _handle(self, topic: str, event: dict[str, Any]) -> None:
        self.heard.put_nowait(event)

    async def _on_gap(self) -> None:
        self.gaps += 1


def reconnects() -> float:
    return REGISTRY.get_sample_value("chat_broker_reconnects_total") or 0.0


@pytest.fixture
def redis() -> None:
    require(REDIS_HOST, REDIS_PORT, "Redis")


@pytest.fixture
async def proxy(redis: None) -> AsyncIterator[TcpProxy]:
    proxy = await TcpProxy(REDIS_HOST, REDIS_PORT).start()
    yield proxy
    await proxy.close()


async def test_a_blocked_event_loop_does_not_make_a_live_connection_look_dead(redis: None) -> None:
    node = await Node(REDIS_URL).start()
    before = reconnects()

    time.sleep(SILENCE_LIMIT_S * 3)  # noqa: ASYNC251 - the point: starve the loop
    await asyncio.sleep(SILENCE_LIMIT_S * 2)

    assert reconnects() == before
    assert node.gaps == 0
    await node.hears_a_hint()
    await node.broker.close()


async def test_a_connection_that_stays_open_but_answers_nothing_is_replaced(
    proxy: TcpProxy,
) -> None:
    node = await Node(proxied_redis_url(proxy.port)).start()
    before = reconnects()

    proxy.freeze()
    await asyncio.sleep(SILENCE_LIMIT_S * 3)
    proxy.thaw()

    await node.hears_a_hint()
    assert reconnects() == before + 1
    assert node.gaps == 1
    await node.broker.close()
