"""Nobody waits unseen: a visitor who left leaves the queue; a flood is cleared in one action;
a visitor in acute danger goes ahead without starving anyone (docs/operations.md)."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.pilots import Counsellor, Visitor
from tests.support.server import NO_SOURCE_LIMITS, Server, StartServer

GRACE = {"QUEUE_ABANDON_AFTER_S": "2"}


async def test_a_waiting_visitor_without_a_socket_leaves_the_queue_after_the_grace_period(
    start_server: StartServer,
) -> None:
    server = await start_server(**GRACE)
    gone = await Visitor.start(server)
    await gone.connect()
    await gone.drop()

    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    await counsellor.ws.expect("queue", length=0, timeout=10)

    await gone.connect()
    [left] = await gone.receive()
    assert left["text"] == "ended_left_queue"


async def test_a_waiting_visitor_with_a_socket_stays_past_the_grace_period(
    start_server: StartServer,
) -> None:
    server = await start_server(**GRACE)
    staying = await Visitor.start(server)
    await staying.connect()
    await asyncio.sleep(4)  # twice the grace period, with the socket open

    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    assert await counsellor.accept_next() == staying.conversation_id


async def test_a_chat_started_without_ever_connecting_expires_too(
    start_server: StartServer,
) -> None:
    server = await start_server(**GRACE)
    await Visitor.start(server)  # a script's chat: no socket, ever

    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    await counsellor.ws.expect("queue", length=0, timeout=10)


async def test_the_counsellor_sees_when_the_visitor_s_connection_dropped(server: Server) -> None:
    visitor = await Visitor.start(server)
    await visitor.connect()
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    conversation_id = await counsellor.accept_next()
    await visitor.receive()

    await visitor.drop()

    away = await counsellor.ws.expect("presence", conversation_id=conversation_id, present=False)
    assert away["since"]
    await visitor.connect(last_seq=1)
    await counsellor.ws.expect("presence", conversation_id=conversation_id, present=True)


async def test_an_active_chat_whose_visitor_stays_away_closes_itself_and_can_be_read_back(
    start_server: StartServer,
) -> None:
    server = await start_server(QUEUE_ABANDON_AFTER_S="2", VISITOR_AWAY_AUTOCLOSE_S="2")
    visitor = await Visitor.start(server)
    await visitor.connect()
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    conversation_id = await counsellor.accept_next()
    await visitor.receive()
    await visitor.say("ben zo terug")
    await visitor.drop()

    closed = await counsellor.ws.expect(
        "message", conversation_id=conversation_id, text="ended_visitor_away", timeout=10
    )

    await visitor.connect(last_seq=0)
    frames = await visitor.receive(3)
    assert [frame["seq"] for frame in frames] == [1, 2, closed["seq"]]
    assert frames[1]["text"] == "ben zo terug"  # nothing lost


async def test_a_supervisor_clears_a_flood_of_waiting_chats_in_one_action_and_it_is_audited(
    start_server: StartServer,
) -> None:
    server = await start_server(**NO_SOURCE_LIMITS)  # the flood comes from this test's address
    real = await Visitor.start(server)
    await real.connect()  # a real visitor watching the queue
    for _ in range(30):
        await Visitor.start(server)  # a script's chats: no socket
    supervisor = await Counsellor.demo(server, "supervisor")

    response = await supervisor.http("POST", "/api/staff/queue/clear", json={})

    assert response.status_code == 200, response.text
    assert response.json() == {"cleared": 30}
    await supervisor.connect()
    queue = await supervisor.ws.expect("queue")
    assert [v["conversation_id"] for v in queue["waiting"]] == [real.conversation_id]
    audit = (await supervisor.http("GET", "/api/triage/audit")).json()["entries"]
    assert [(e["action"], e["details"]["count"]) for e in audit] == [("queue_cleared", 30)]


async def test_a_counsellor_may_not_clear_the_queue(server: Server) -> None:
    await Visitor.start(server)
    counsellor = await Counsellor.demo(server)

    response = await counsellor.http("POST", "/api/staff/queue/clear", json={})

    assert response.status_code == 403


async def test_a_visitor_in_danger_goes_ahead_of_those_who_waited_less_than_the_head_start(
    start_server: StartServer,
) -> None:
    server = await start_server(QUEUE_DANGER_HEAD_START_S="2")
    long_waiting = await Visitor.start(server)
    await asyncio.sleep(2.5)  # has waited longer than the head start: not overtaken
    recent = await Visitor.start(server)
    urgent = await Visitor.start(server, in_danger=True)
    await urgent.connect()

    await urgent.ws.expect("queue", position=2)
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    queue = await counsellor.ws.expect("queue", length=3)
    assert [v["conversation_id"] for v in queue["waiting"]] == [
        long_waiting.conversation_id,
        urgent.conversation_id,
        recent.conversation_id,
    ]
    assert [v["in_danger"] for v in queue["waiting"]] == [False, True, False]
    assert queue["longest"]["conversation_id"] == long_waiting.conversation_id


async def test_the_danger_answer_must_be_yes_no_or_nothing(server: Server) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.base_url}/api/visitor/chats", json={"in_danger": "ja"}
        )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "in_danger"
