"""Two nodes on PostgreSQL and Redis agree on proof of work: the mode and every spent solution."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.support.pilots import Counsellor
from tests.support.server import Server, postgres_server
from tests.support.services import (
    REDIS_HOST,
    REDIS_PORT,
    REDIS_URL,
    fresh_postgres_database,
    require,
)
from tests.support.work import EASY_WORK, solved, start, switch

#: A node reads the shared mode at most this often (chatserver/work.py), with room for load.
STATE_DEADLINE_S = 10.0


@pytest.fixture
def prefix() -> str:
    return f"test-{secrets.token_hex(4)}:"


@pytest.fixture
def nodes(tmp_path: Path, prefix: str) -> Iterator[list[Server]]:
    """Two nodes on one fresh database and the test Redis, under a prefix of their own."""
    require(REDIS_HOST, REDIS_PORT, "Redis")
    with fresh_postgres_database() as url:
        env = {"BROKER_URL": REDIS_URL, "REDIS_PREFIX": prefix, **EASY_WORK}
        started = [postgres_server(tmp_path, url, **env).start() for _ in range(2)]  # in turn
        yield started
        for node in started:
            node.stop()


async def refuses_without_work(node: Server) -> bool:
    deadline = time.monotonic() + STATE_DEADLINE_S
    while time.monotonic() < deadline:
        if (await start(node)).status_code == 428:
            return True
        await asyncio.sleep(0.3)
    return False


async def test_a_switch_on_one_node_holds_on_the_other(nodes: list[Server]) -> None:
    second, first = nodes  # the last node started knows the demo passwords
    await switch(await Counsellor.demo(first, "supervisor"), "on")
    assert await refuses_without_work(second)


async def test_a_puzzle_from_one_node_is_solved_on_the_other_and_spent_on_both(
    nodes: list[Server], prefix: str
) -> None:
    second, first = nodes  # the last node started knows the demo passwords
    await switch(await Counsellor.demo(first, "supervisor"), "on")
    assert await refuses_without_work(second)
    solution = solved(await start(second))
    assert (await start(first, solution)).status_code == 201
    reused = await start(second, solution)
    assert reused.status_code == 428
    assert reused.json()["error"]["code"] == "work_invalid"
    redis = Redis.from_url(REDIS_URL)
    try:
        [key] = await redis.keys(f"{prefix}work:*")  # under the deployment's prefix only
        assert 0 < await redis.ttl(key) <= 121
    finally:
        await redis.aclose()
