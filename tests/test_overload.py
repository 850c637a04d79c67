"""Overload is answered honestly: ``unavailable``, retryable, on the socket the client has."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from tests.support.pilots import Visitor, new_id
from tests.support.server import Server, postgres_server
from tests.support.services import fresh_postgres_database

#: One connection that waits half a second: a held connection exhausts the pool at once.
TINY_POOL = {"DB_POOL_SIZE": "1", "DB_POOL_MAX_OVERFLOW": "0", "DB_POOL_TIMEOUT_S": "0.5"}


@pytest.fixture
def database_url() -> Iterator[str]:
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
async def tiny_pool_server(tmp_path: Path, database_url: str) -> AsyncIterator[Server]:
    server = postgres_server(tmp_path, database_url, **TINY_POOL)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


async def test_an_exhausted_pool_is_answered_unavailable_and_the_socket_stays_open(
    tiny_pool_server: Server, database_url: str
) -> None:
    server = tiny_pool_server
    holder, visitor = await Visitor.start(server), await Visitor.start(server)
    await holder.connect()
    await visitor.connect()
    # Another session locks the messages: the node's one connection waits on the lock.
    blocker = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    transaction = blocker.transaction()
    await transaction.start()
    await blocker.execute("LOCK TABLE messages IN ACCESS EXCLUSIVE MODE")
    ids = {holder: new_id(), visitor: new_id()}
    for each, msg_id in ids.items():
        await each.ws.send({"type": "send", "client_msg_id": msg_id, "text": "hoi", "ref": msg_id})
    # One of them holds the connection (waiting on the lock); the other gets none in time.
    done, waiting = await asyncio.wait(
        [asyncio.create_task(each.ws.expect("error", ref=ids[each])) for each in ids],
        timeout=10,
        return_when=asyncio.FIRST_COMPLETED,
    )
    [refused] = done
    assert refused.result()["code"] == "unavailable"
    for task in waiting:
        task.cancel()
    await transaction.rollback()
    await blocker.close()
    for each, msg_id in ids.items():  # the same sockets, the same ids: each stored once
        ack = await each.say("hoi", client_msg_id=msg_id)
        assert ack["seq"] == 1
    assert not server.log_failures()
