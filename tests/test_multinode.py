"""Several server processes on PostgreSQL and Redis: nothing lost when a part fails."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.metrics import WITH_METRICS, Scrape, scrape, until_metric
from tests.support.pilots import Counsellor, Socket, Visitor, new_id, waiting_visitors
from tests.support.server import Server, postgres_server
from tests.support.services import (
    POSTGRES_HOST,
    POSTGRES_PORT,
    REDIS_HOST,
    REDIS_PORT,
    fresh_postgres_database,
    proxied_redis_url,
    require,
)
from tests.support.tcpproxy import TcpProxy


@dataclass
class Cluster:
    nodes: list[Server]
    redis: TcpProxy
    postgres: TcpProxy


@pytest.fixture
def database_url() -> Iterator[str]:
    require(REDIS_HOST, REDIS_PORT, "Redis")
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def cluster(tmp_path: Path, database_url: str) -> AsyncIterator[Cluster]:
    """Two nodes; each reaches Redis and PostgreSQL through a proxy the test can cut."""
    redis = await TcpProxy(REDIS_HOST, REDIS_PORT).start()
    postgres = await TcpProxy(POSTGRES_HOST, POSTGRES_PORT).start()
    proxied_url = database_url.replace(f":{POSTGRES_PORT}/", f":{postgres.port}/")
    env = {"BROKER_URL": proxied_redis_url(redis.port)}
    nodes = [postgres_server(tmp_path, proxied_url, **env) for _ in range(2)]
    for node in nodes:  # one at a time: the first migrates
        await asyncio.to_thread(node.start)
    yield Cluster(nodes, redis, postgres)
    for node in nodes:
        await asyncio.to_thread(node.stop)
    await redis.close()
    await postgres.close()


@dataclass
class SplitRedis:
    nodes: list[Server]
    #: Between the first node and Redis only.
    first_redis: TcpProxy


@pytest.fixture
async def split_redis(tmp_path: Path, database_url: str) -> AsyncIterator[SplitRedis]:
    """Two nodes, each reaching Redis through a proxy of its own: one can lose it alone."""
    proxies = [await TcpProxy(REDIS_HOST, REDIS_PORT).start() for _ in range(2)]
    nodes = [
        postgres_server(
            tmp_path,
            database_url,
            BROKER_URL=proxied_redis_url(proxy.port),
            MAX_CHATS_PER_COUNSELLOR="4",
            **WITH_METRICS,
        )
        for proxy in proxies
    ]
    for node in nodes:
        await asyncio.to_thread(node.start)
    yield SplitRedis(nodes, proxies[0])
    for node in nodes:
        await asyncio.to_thread(node.stop)
    for proxy in proxies:
        await proxy.close()


async def chat_across(cluster: Cluster) -> tuple[Visitor, Counsellor, str]:
    """A visitor on node 0 and a counsellor on node 1, in conversation."""
    first, second = cluster.nodes
    visitor = await Visitor.start(first)
    await visitor.connect()
    counsellor = await Counsellor.demo(second)
    await counsellor.connect()
    conversation_id = await counsellor.accept_next()
    await visitor.receive()
    return visitor, counsellor, conversation_id


async def test_visitor_and_counsellor_on_different_nodes_chat(cluster: Cluster) -> None:
    visitor, counsellor, conversation_id = await chat_across(cluster)
    await visitor.say("hallo vanaf node 0")
    heard = await counsellor.ws.expect("message", seq=2)
    assert heard["text"] == "hallo vanaf node 0"
    await counsellor.say(conversation_id, "hallo vanaf node 1")
    assert (await visitor.ws.expect("message", seq=3))["text"] == "hallo vanaf node 1"


async def test_killed_node_loses_nothing_when_the_visitor_resumes_elsewhere(
    cluster: Cluster,
) -> None:
    visitor, counsellor, conversation_id = await chat_across(cluster)
    await visitor.say("voor de crash")
    await visitor.receive()
    cluster.nodes[0].kill()
    for n in range(5):
        await counsellor.say(conversation_id, f"tijdens de crash {n}")

    visitor.server = cluster.nodes[1]
    await visitor.connect()
    missed = await visitor.receive(5)
    assert [frame["seq"] for frame in missed] == [3, 4, 5, 6, 7]
    await visitor.ws.expect_nothing("message")


async def test_delivery_recovers_after_redis_drops_without_loss(cluster: Cluster) -> None:
    visitor, counsellor, conversation_id = await chat_across(cluster)
    await cluster.redis.cut()
    acks = [await counsellor.say(conversation_id, f"tijdens storing {n}") for n in range(3)]
    assert [ack["seq"] for ack in acks] == [2, 3, 4]
    await asyncio.sleep(2)
    await cluster.redis.restore()

    received = await visitor.ws.messages(3)
    assert [frame["seq"] for frame in received] == [2, 3, 4]
    await visitor.say("weer verbonden")
    assert (await counsellor.ws.expect("message", seq=5))["text"] == "weer verbonden"


async def test_postgresql_outage_gives_a_retryable_error_and_loses_no_acked_message(
    cluster: Cluster,
) -> None:
    visitor, counsellor, _ = await chat_across(cluster)
    await cluster.postgres.cut()
    msg_id = new_id()
    await visitor.ws.send({"type": "send", "client_msg_id": msg_id, "text": "zonder database"})
    error = await visitor.ws.expect("error", timeout=15)
    assert error["code"] == "unavailable"

    await cluster.postgres.restore()
    ack = await visitor.say("zonder database", client_msg_id=msg_id)
    assert ack["seq"] == 2
    heard = await counsellor.ws.expect("message", seq=2)
    assert heard["client_msg_id"] == msg_id
    await counsellor.ws.expect_nothing("message", seq=3)


async def test_connecting_while_postgresql_is_down_is_told_to_try_again_on_the_same_socket(
    cluster: Cluster,
) -> None:
    visitor = await Visitor.start(cluster.nodes[0])
    await cluster.postgres.cut()
    visitor.socket = await Socket.open(cluster.nodes[0], "/ws/visitor")
    hello = {"type": "hello", "v": 1, "token": visitor.token, "last_seq": 0}
    await visitor.ws.send(hello)
    assert (await visitor.ws.expect("error", timeout=15))["code"] == "unavailable"

    await cluster.postgres.restore()
    await visitor.ws.send(hello)
    welcome = await visitor.ws.expect("welcome", timeout=15)
    assert welcome["status"] == "waiting"


def gap_reads(found: Scrape, cause: str) -> float:
    return found.value("chat_gap_reads_total", cause=cause)


async def test_a_redis_reconnect_re_reads_only_the_conversations_with_a_gap(
    split_redis: SplitRedis,
) -> None:
    first, second = split_redis.nodes
    # All wait before any is taken: a claim skips a row locked by a visitor's arrival.
    visitors = await waiting_visitors(first, 4)
    counsellor = await Counsellor.demo(second)
    await counsellor.connect()
    for _ in visitors:
        await counsellor.accept_next()
    for visitor in visitors:
        await visitor.receive()
    before = await scrape(first)

    await split_redis.first_redis.cut()
    for n in (1, 3):
        await counsellor.say(visitors[n].conversation_id, "tijdens storing")
    await split_redis.first_redis.restore()

    for n in (1, 3):
        assert (await visitors[n].ws.expect("message", seq=2, timeout=15))["text"] == (
            "tijdens storing"
        )
    after = await until_metric(
        first,
        lambda found: gap_reads(found, "check") > gap_reads(before, "check"),
        "the gap check",
    )
    assert after.value("chat_broker_reconnects_total") == (
        before.value("chat_broker_reconnects_total") + 1
    )
    assert gap_reads(after, "catch_up") - gap_reads(before, "catch_up") == 2
    for n in (0, 2):
        await visitors[n].ws.expect_nothing("message")
