"""A visitor is told plainly when the chat is closed or the queue is full, before waiting."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from tests.support.hours import hours_closed_now
from tests.support.pilots import Visitor
from tests.support.server import Server, StartServer


async def status(server: Server) -> dict[str, object]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{server.base_url}/api/visitor/status")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    return dict(response.json())


async def start(server: Server) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(f"{server.base_url}/api/visitor/chats", json={})


async def test_without_hours_or_cap_the_chat_is_open(server: Server) -> None:
    found = await status(server)
    assert (found["open"], found["reason"], found["opens_at"]) == (True, None, None)


async def test_outside_the_opening_hours_a_chat_is_refused_and_the_next_opening_given(
    start_server: StartServer,
) -> None:
    server = await start_server(OPENING_HOURS=hours_closed_now())
    refused = await start(server)
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "service_closed"
    found = await status(server)
    assert (found["open"], found["reason"]) == (False, "closed")
    opens_at = datetime.fromisoformat(str(found["opens_at"]).replace("Z", "+00:00"))
    assert opens_at.astimezone(ZoneInfo("Europe/Amsterdam")).strftime("%H:%M") == "09:00"


async def test_a_full_queue_refuses_new_chats_until_a_place_is_free(
    start_server: StartServer,
) -> None:
    server = await start_server(QUEUE_MAX_WAITING="1")
    first = await Visitor.start(server)
    refused = await start(server)
    assert refused.status_code == 503
    assert refused.json()["error"]["code"] == "queue_full"
    found = await status(server)
    assert (found["open"], found["reason"], found["opens_at"]) == (False, "full", None)
    async with httpx.AsyncClient() as client:
        left = await client.post(
            f"{server.base_url}/api/visitor/exit", json={"resume_token": first.token}
        )
    assert left.status_code == 204
    assert (await start(server)).status_code == 201


async def test_a_closed_helpline_names_its_hours_and_where_to_turn_and_never_asks_an_email(
    start_server: StartServer,
) -> None:
    server = await start_server(
        OPENING_HOURS=hours_closed_now(), HELP_ALTERNATIVES="Kindertelefoon=0800 0432"
    )
    found = await status(server)
    [window] = found["hours"]
    assert (window["opens"], window["closes"]) == ("09:00", "10:00")
    assert found["alternatives"] == [{"name": "Kindertelefoon", "phone": "0800 0432"}]
    assert "mail" not in str(found).lower()
