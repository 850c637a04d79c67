"""Operators can see how the helpline is doing: Prometheus metrics, liveness and readiness."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.database import execute
from tests.support.intake import Intake
from tests.support.metrics import WITH_METRICS, scrape, until_metric
from tests.support.pilots import Visitor, in_conversation
from tests.support.referrals import REFERRAL_SETTINGS, SECRET, consents, proposed, send
from tests.support.server import Server, StartServer, free_port, postgres_server
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


@pytest.fixture
async def server(start_server: StartServer) -> Server:
    """A fresh single-node server with ``/metrics`` switched on."""
    return await start_server(**WITH_METRICS)


async def get(server: Server, path: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.get(f"{server.base_url}{path}", headers=headers)


async def until_ready(server: Server, ready: bool) -> dict[str, Any]:
    """Poll ``/readyz`` until it says ``ready`` (or not); its body."""
    async with asyncio.timeout(15):
        while True:
            response = await get(server, "/readyz")
            if (response.status_code == 200) == ready:
                body: dict[str, Any] = response.json()
                return body
            await asyncio.sleep(0.1)


# -- who may read the metrics ----------------------------------------------------------------------


async def test_metrics_do_not_exist_unless_a_token_is_configured(
    start_server: StartServer,
) -> None:
    server = await start_server()
    response = await get(server, "/metrics")
    assert response.status_code == 404


async def test_metrics_need_the_token(server: Server) -> None:
    missing = await get(server, "/metrics")
    wrong = await get(server, "/metrics", Authorization="Bearer not-the-metrics-token-at-all")
    assert (missing.status_code, wrong.status_code) == (401, 401)
    assert "chat_" not in missing.text + wrong.text


async def test_metrics_are_served_in_the_prometheus_text_format(server: Server) -> None:
    found = await scrape(server)
    assert found.value("chat_shared_state_up") == 1
    assert found.value("chat_connected_sockets", role="visitor") == 0


# -- what they show --------------------------------------------------------------------------------


async def test_the_queue_length_counts_waiting_visitors(server: Server) -> None:
    for _ in range(2):
        await Visitor.start(server)
    found = await scrape(server)
    assert found.value("chat_queue_length") == 2
    assert found.value("chat_queue_oldest_wait_seconds") >= 0
    assert found.value("chat_active_conversations") == 0


async def test_taking_a_chat_records_the_wait_and_makes_it_active(server: Server) -> None:
    await in_conversation(server)
    found = await scrape(server)
    assert found.value("chat_queue_wait_seconds_count") == 1
    assert found.value("chat_queue_length") == 0
    assert found.value("chat_active_conversations") == 1


async def test_message_latency_is_recorded_when_a_message_reaches_the_other_side(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    await visitor.say("hallo")
    await counsellor.ws.expect("message", seq=2)
    await counsellor.say(conversation_id, "hoi")
    await visitor.ws.expect("message", seq=3)

    found = await until_metric(
        server,
        lambda s: s.value("chat_message_latency_seconds_count", receiver="visitor") == 1,
        "the visitor's socket to record the counsellor's message",
    )
    assert found.value("chat_message_latency_seconds_count", receiver="staff") == 1


async def test_history_sent_on_reconnect_is_not_counted_as_latency(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    await counsellor.say(conversation_id, "ben je er nog?")
    await visitor.ws.expect("message", seq=2)
    await until_metric(
        server,
        lambda s: s.value("chat_message_latency_seconds_count", receiver="visitor") == 1,
        "the live delivery to be recorded",
    )
    await visitor.drop()

    await visitor.connect(last_seq=0)
    await visitor.ws.messages(2)

    found = await scrape(server)
    assert found.value("chat_message_latency_seconds_count", receiver="visitor") == 1


async def test_connected_sockets_are_counted_per_role(server: Server) -> None:
    visitor, _counsellor, _ = await in_conversation(server)
    found = await scrape(server)
    assert found.value("chat_connected_sockets", role="visitor") == 1
    assert found.value("chat_connected_sockets", role="staff") == 1

    await visitor.drop()
    await until_metric(
        server,
        lambda s: s.value("chat_connected_sockets", role="visitor") == 0,
        "the visitor's socket to be gone",
    )


async def test_an_undelivered_referral_shows_in_the_outbox_age_and_the_failures(
    start_server: StartServer, tmp_path: Path
) -> None:
    unit = Intake(port=free_port(), secret=SECRET, data_dir=tmp_path / "unit")  # never started
    units_file = tmp_path / "referral-units.json"
    units_file.write_text(json.dumps({"units": {"oost-brabant": unit.entry()}}))
    server = await start_server(
        REFERRAL_UNITS_FILE=str(units_file), **REFERRAL_SETTINGS, **WITH_METRICS
    )
    visitor, counsellor, conversation_id = await in_conversation(server)
    referral_id = (await proposed(counsellor, conversation_id))["id"]
    await consents(visitor, referral_id)
    assert (await send(counsellor, referral_id)).status_code == 202

    found = await until_metric(
        server,
        lambda s: s.value("referral_delivery_failures_total", reason="unreachable") >= 2,
        "the relay to try the unit twice",
    )
    assert found.value("referral_outbox_pending") == 1
    assert found.value("referral_outbox_oldest_pending_age_seconds") > 0
    assert found.value("referral_deliveries_total") == 0


@pytest.fixture
def database_url() -> Iterator[str]:
    """A fresh PostgreSQL database (made outside the test's event loop)."""
    with fresh_postgres_database() as url:
        yield url


async def test_every_node_reports_the_shared_queue_from_the_database(
    tmp_path: Path, database_url: str
) -> None:
    nodes = [postgres_server(tmp_path, database_url, **WITH_METRICS) for _ in range(2)]
    try:
        for node in nodes:  # one at a time: the first migrates
            await asyncio.to_thread(node.start)
        await Visitor.start(nodes[0])

        seen = [await scrape(node) for node in nodes]
    finally:
        for node in nodes:
            await asyncio.to_thread(node.stop)

    assert [found.value("chat_queue_length") for found in seen] == [1, 1]


# -- liveness and readiness ------------------------------------------------------------------------


async def test_a_running_node_is_alive_and_ready(server: Server) -> None:
    assert (await get(server, "/healthz")).json() == {"status": "ok"}
    assert (await get(server, "/readyz")).json() == {"status": "ready"}


async def test_a_node_whose_database_schema_is_behind_is_not_ready(server: Server) -> None:
    execute(server, "UPDATE alembic_version SET version_num = '0001'")

    response = await get(server, "/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "reasons": ["database schema is behind this release: run migrate"],
    }
    assert (await get(server, "/healthz")).status_code == 200


@dataclass
class ProxiedNode:
    node: Server
    postgres: TcpProxy
    redis: TcpProxy


@pytest.fixture
async def proxied(tmp_path: Path, database_url: str) -> AsyncIterator[ProxiedNode]:
    """A node that reaches PostgreSQL and Redis through proxies the test can cut."""
    require(REDIS_HOST, REDIS_PORT, "Redis")
    redis = await TcpProxy(REDIS_HOST, REDIS_PORT).start()
    postgres = await TcpProxy(POSTGRES_HOST, POSTGRES_PORT).start()
    proxied_url = database_url.replace(f":{POSTGRES_PORT}/", f":{postgres.port}/")
    node = postgres_server(tmp_path, proxied_url, BROKER_URL=proxied_redis_url(redis.port))
    await asyncio.to_thread(node.start)
    yield ProxiedNode(node, postgres, redis)
    await asyncio.to_thread(node.stop)
    await redis.close()
    await postgres.close()


async def test_a_node_that_cannot_reach_its_database_is_not_ready(proxied: ProxiedNode) -> None:
    await proxied.postgres.cut()
    body = await until_ready(proxied.node, ready=False)
    assert body["reasons"] == ["database unreachable"]

    await proxied.postgres.restore()
    await until_ready(proxied.node, ready=True)


async def test_a_node_that_cannot_reach_its_broker_is_not_ready(proxied: ProxiedNode) -> None:
    await proxied.redis.cut()
    body = await until_ready(proxied.node, ready=False)
    assert body["reasons"] == ["broker unreachable"]

    await proxied.redis.restore()
    await until_ready(proxied.node, ready=True)


async def test_a_stopping_node_turns_not_ready_before_it_closes_connections(
    start_server: StartServer,
) -> None:
    server = await start_server(SHUTDOWN_DRAIN_S="600")
    visitor = await Visitor.start(server)
    await visitor.connect()
    assert server.process is not None

    server.process.send_signal(signal.SIGTERM)
    body = await until_ready(server, ready=False)

    assert body["reasons"] == ["shutting down"]
    assert (await get(server, "/healthz")).status_code == 200
    assert (await visitor.say("nog steeds verbonden"))["seq"] == 1

    server.process.send_signal(signal.SIGTERM)  # a second signal stops at once
    await asyncio.to_thread(server.process.wait, 20)
    assert await visitor.ws.close_code() is not None
