"""One address cannot close the helpline: per-source limits on chat starts and sockets."""

from __future__ import annotations

import asyncio
import time

import httpx

from chatserver.settings import Settings
from tests.support.flood import close_code_of, idle_socket, raise_open_files, start_chats
from tests.support.pilots import Counsellor, Visitor
from tests.support.server import Server, StartServer

LIMIT = Settings().chat_starts_per_source
PREHELLO = Settings().prehello_sockets_per_source


async def test_a_flood_of_chat_starts_from_one_address_lets_in_at_most_the_limit(
    server: Server,
) -> None:
    answers = await start_chats(server, 200)
    started = [answer for answer in answers if answer.status_code == 201]
    refused = [answer for answer in answers if answer.status_code == 429]
    assert len(started) == LIMIT
    assert len(refused) == 200 - LIMIT
    error = refused[-1].json()["error"]
    assert error["code"] == "source_limited"
    assert "112" in error["message"]
    assert 0 < int(refused[-1].headers["retry-after"]) <= Settings().chat_start_window_s


async def test_a_visitor_on_another_address_is_not_delayed_by_a_flood(server: Server) -> None:
    flood = asyncio.create_task(start_chats(server, 200))
    await asyncio.sleep(0.2)
    visitor = await Visitor.start(server)
    await visitor.connect()
    position = await visitor.ws.expect("queue")
    assert position["position"] <= LIMIT + 1
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    conversation_id = await counsellor.accept_next()
    began = time.monotonic()
    await visitor.say("hallo, is daar iemand?")
    await counsellor.ws.expect("message", conversation_id=conversation_id)
    await counsellor.say(conversation_id, "ja, ik ben er")
    await visitor.receive()
    assert time.monotonic() - began < 1.0
    await flood


async def test_a_chat_start_with_a_bad_body_does_not_count(start_server: StartServer) -> None:
    server = await start_server(CHAT_STARTS_PER_SOURCE="1")
    async with httpx.AsyncClient() as client:
        bad = await client.post(f"{server.base_url}/api/visitor/chats", json={"age": "oud"})
    assert bad.status_code == 400
    await Visitor.start(server)


async def test_thousands_of_idle_sockets_from_one_address_leave_staff_and_visitors_served(
    start_server: StartServer,
) -> None:
    raise_open_files(8192)
    server = await start_server(HELLO_TIMEOUT_S="120")
    attack = [await idle_socket(server) for _ in range(2000)]
    codes = await asyncio.gather(*(close_code_of(reader, within=10.0) for reader, _ in attack))
    assert codes.count(None) == PREHELLO  # the rest were closed at once
    assert set(codes) == {None, 4429}
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    visitor = await Visitor.start(server)
    await visitor.connect()
    conversation_id = await counsellor.accept_next()
    began = time.monotonic()
    await visitor.say("hallo")
    await counsellor.ws.expect("message", conversation_id=conversation_id)
    assert time.monotonic() - began < 1.0
    for _, writer in attack:
        writer.close()


async def test_an_idle_socket_that_never_says_hello_is_closed(start_server: StartServer) -> None:
    server = await start_server(HELLO_TIMEOUT_S="0.5")
    reader, writer = await idle_socket(server)
    assert await close_code_of(reader, within=3.0) == 4408
    writer.close()


async def test_staff_sockets_get_through_when_visitor_sockets_fill_the_node(
    start_server: StartServer,
) -> None:
    server = await start_server(VISITOR_SOCKETS_MAX="5", PREHELLO_SOCKETS_PER_SOURCE="50")
    held = [await idle_socket(server) for _ in range(5)]
    reader, writer = await idle_socket(server, source="127.0.0.3")
    assert await close_code_of(reader, within=2.0) == 1013
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    for _, each in [*held, (reader, writer)]:
        each.close()


async def test_headers_sent_slowly_are_cut_off(start_server: StartServer) -> None:
    server = await start_server(HEADER_TIMEOUT_S="1")
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /healthz HTTP/1.1\r\n")
    began = time.monotonic()
    for _ in range(6):
        await asyncio.sleep(0.5)
        if reader.at_eof() or writer.is_closing():
            break
        writer.write(b"X-Slow: 1\r\n")
    assert await reader.read() == b""
    assert time.monotonic() - began < 3.0
    writer.close()
