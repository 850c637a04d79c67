"""Two deployments on one Redis never see each other's hints (REDIS_PREFIX)."""

from __future__ import annotations

import asyncio
from typing import Any

from chatserver.broker.redis import RedisBroker
from tests.support.services import REDIS_URL


async def test_brokers_with_different_prefixes_do_not_hear_each_other() -> None:
    heard: dict[str, list[tuple[str, dict[str, Any]]]] = {"a": [], "b": []}
    arrived = asyncio.Event()
    brokers = {name: RedisBroker(REDIS_URL, f"test-{name}:") for name in heard}

    async def no_gap() -> None:
        return None

    for name, broker in brokers.items():

        async def handler(topic: str, event: dict[str, Any], name: str = name) -> None:
            heard[name].append((topic, event))
            arrived.set()

        await broker.subscribe("conversation:1")
        await broker.start(handler, no_gap)
    await asyncio.sleep(0.3)
    await brokers["a"].publish("conversation:1", {"seq": 1})
    await asyncio.wait_for(arrived.wait(), 5)
    await asyncio.sleep(0.3)
    assert heard == {"a": [("conversation:1", {"seq": 1})], "b": []}
    for broker in brokers.values():
        await broker.close()
