"""Overload is answered honestly: ``unavailable``, retryable, on the socket the client has.

And a node stopped while busy says so quietly: no storm of errors in its log.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from websockets.exceptions import ConnectionClosed

from tests.support.flood import idle_socket, raise_open_files
from tests.support.pilots import Counsellor, Visitor, new_id, waiting_visitors
from tests.support.server import NO_SOURCE_LIMITS, Server, StartServer, postgres_server
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


#: A stop under load may log a line or two (a socket cut mid-write); a storm is hundreds.
HANDFUL = 5


async def keep_talking(visitors: list[Visitor]) -> None:
    """Each visitor sends twice a second until the server closes their socket."""
    while True:
        for visitor in visitors:
            with contextlib.suppress(ConnectionClosed):
                await visitor.ws.send({"type": "send", "client_msg_id": new_id(), "text": "hoi"})
        await asyncio.sleep(0.5)


async def test_a_node_stopped_under_load_logs_no_error_storm(start_server: StartServer) -> None:
    raise_open_files(4096)
    server = await start_server(**NO_SOURCE_LIMITS, MAX_CHATS_PER_COUNSELLOR="100")
    visitors = await waiting_visitors(server, 40)
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    for _ in range(20):
        await counsellor.accept_next()
    idle = [await idle_socket(server) for _ in range(200)]
    talking = asyncio.create_task(keep_talking(visitors))
    # The clients read what they are sent, as browsers do, until the server closes.
    reading = [asyncio.create_task(each.ws.close_code(30)) for each in [*visitors, counsellor]]
    await asyncio.sleep(1)
    assert server.process is not None

    server.process.send_signal(signal.SIGTERM)
    await asyncio.to_thread(server.process.wait, 30)

    await asyncio.gather(*reading)
    talking.cancel()
    for _, writer in idle:
        writer.close()
    assert len(server.log_failures()) <= HANDFUL, server.log_failures()
    assert "Traceback" not in server.logs()
