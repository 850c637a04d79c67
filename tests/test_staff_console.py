"""What a counsellor's console relies on: session expiry on an idle socket, colleagues' load."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.pilots import Counsellor, Visitor
from tests.support.server import Server, StartServer


async def test_a_console_that_only_pings_is_closed_when_its_session_idles_out(
    start_server: StartServer,
) -> None:
    server = await start_server(STAFF_IDLE_TIMEOUT_S="2")
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    for _ in range(4):
        await counsellor.ws.send({"type": "ping"})
        await counsellor.ws.expect("pong")
        await asyncio.sleep(0.5)
    assert await counsellor.ws.close_code(timeout=5) == 4401
    assert (await counsellor.http("GET", "/api/staff/me")).status_code == 401


async def test_colleagues_list_who_can_take_a_transfer_and_their_load(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    await Visitor.start(server)
    await counsellor.connect()
    await counsellor.accept_next()
    response = await counsellor.http("GET", "/api/staff/colleagues")
    assert response.status_code == 200
    load = {c["display_name"]: c["chats"] for c in response.json()["colleagues"]}
    assert load == {"Demo Counsellor": 1, "Demo Supervisor": 0}


async def test_quick_exit_accepts_the_token_in_the_body_for_send_beacon(server: Server) -> None:
    visitor = await Visitor.start(server)
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.base_url}/api/visitor/exit", json={"resume_token": visitor.token}
        )
    assert response.status_code == 204
    await visitor.connect_expecting_refusal()
