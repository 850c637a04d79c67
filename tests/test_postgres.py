"""The same chat on PostgreSQL: migrations, sequences and the atomic queue claim."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pilots import Counsellor, Visitor
from tests.support.server import Server, postgres_server
from tests.support.services import fresh_postgres_database


@pytest.fixture
def pg_server(tmp_path: Path) -> Iterator[Server]:
    with fresh_postgres_database() as url:
        running = postgres_server(tmp_path, url).start()
        yield running
        running.stop()


async def test_a_chat_runs_on_postgresql(pg_server: Server) -> None:
    visitor = await Visitor.start(pg_server, age=16, gender="female")
    await visitor.connect()
    counsellor = await Counsellor.demo(pg_server)
    await counsellor.connect()
    conversation_id = await counsellor.accept_next()
    await visitor.receive()
    acks = [await visitor.say(f"bericht {n}") for n in range(3)]
    assert [ack["seq"] for ack in acks] == [2, 3, 4]
    received = await counsellor.ws.messages(4, conversation_id)
    assert [frame["seq"] for frame in received] == [1, 2, 3, 4]


async def test_racing_counsellors_on_postgresql_never_share_a_visitor(pg_server: Server) -> None:
    supervisor = await Counsellor.demo(pg_server, "supervisor")
    counsellors = [await Counsellor.demo(pg_server), supervisor]
    counsellors += [await Counsellor.create(pg_server, supervisor, f"racer{n}") for n in range(3)]
    visitors = [await Visitor.start(pg_server) for _ in range(5)]
    for counsellor in counsellors:
        await counsellor.connect()
    taken = await asyncio.gather(*(counsellor.accept_next() for counsellor in counsellors))
    assert sorted(taken) == sorted(visitor.conversation_id for visitor in visitors)
