"""Proof of work for chat starts: off, switched on by a supervisor, or on by itself in a flood."""

from __future__ import annotations

import asyncio

from tests.support.openapi import assert_documented
from tests.support.pilots import Counsellor, Visitor
from tests.support.server import NO_SOURCE_LIMITS, Server, StartServer
from tests.support.work import EASY_WORK, solved, start, switch


async def supervisor_of(server: Server) -> Counsellor:
    return await Counsellor.demo(server, "supervisor")


async def waiting_count(server: Server) -> int:
    supervisor = await supervisor_of(server)
    await supervisor.connect()
    return len((await supervisor.ws.expect("queue"))["waiting"])


async def test_with_work_off_a_chat_starts_without_any(server: Server) -> None:
    await switch(await supervisor_of(server), "off")
    assert (await start(server)).status_code == 201


async def test_in_auto_without_a_flood_a_chat_starts_without_work(server: Server) -> None:
    assert (await (await supervisor_of(server)).http("GET", "/api/staff/work")).json() == {
        "mode": "auto",
        "required": False,
        "auto_until": None,
    }
    assert (await start(server)).status_code == 201


async def test_switched_on_a_start_without_work_is_refused_with_a_puzzle(
    start_server: StartServer,
) -> None:
    server = await start_server(**EASY_WORK)
    assert (await switch(await supervisor_of(server), "on"))["required"] is True
    refused = await start(server)
    assert refused.status_code == 428
    error = refused.json()["error"]
    assert error["code"] == "work_required"
    assert error["work"]["difficulty"] == 8
    assert error["work"]["challenge"].startswith("w1.8.")
    assert_documented(refused)
    assert await waiting_count(server) == 0


async def test_switched_on_a_start_with_a_solved_puzzle_gets_in(start_server: StartServer) -> None:
    server = await start_server(**EASY_WORK)
    await switch(await supervisor_of(server), "on")
    started = await start(server, solved(await start(server)))
    assert started.status_code == 201, started.text
    visitor = Visitor(server, started.json())
    assert (await visitor.connect())["status"] == "waiting"


async def test_a_solution_used_twice_is_refused_the_second_time(start_server: StartServer) -> None:
    server = await start_server(**EASY_WORK)
    await switch(await supervisor_of(server), "on")
    solution = solved(await start(server))
    assert (await start(server, solution)).status_code == 201
    reused = await start(server, solution)
    assert reused.status_code == 428
    assert reused.json()["error"]["code"] == "work_invalid"
    assert "already used" in reused.json()["error"]["message"]
    assert_documented(reused)
    assert reused.json()["error"]["work"]["challenge"] != solution["challenge"]  # a fresh one
    assert await waiting_count(server) == 1


async def test_an_expired_puzzle_is_refused(start_server: StartServer) -> None:
    server = await start_server(**EASY_WORK, WORK_CHALLENGE_TTL_S="1")
    await switch(await supervisor_of(server), "on")
    solution = solved(await start(server))
    await asyncio.sleep(2.1)
    expired = await start(server, solution)
    assert expired.status_code == 428
    assert expired.json()["error"]["code"] == "work_invalid"
    assert "expired" in expired.json()["error"]["message"]
    assert await waiting_count(server) == 0


async def test_a_wrong_nonce_is_refused(start_server: StartServer) -> None:
    server = await start_server(WORK_DIFFICULTY_BITS="24")
    await switch(await supervisor_of(server), "on")
    challenge = (await start(server)).json()["error"]["work"]["challenge"]
    wrong = await start(server, {"challenge": challenge, "nonce": "0"})
    assert wrong.json()["error"]["code"] == "work_invalid"
    assert "does not solve" in wrong.json()["error"]["message"]


async def test_switching_the_mode_is_audited(server: Server) -> None:
    supervisor = await supervisor_of(server)
    await switch(supervisor, "on")
    await switch(supervisor, "auto")
    audit = (await supervisor.http("GET", "/api/triage/audit")).json()["entries"]
    found = [(e["action"], e["staff_id"], e["details"]) for e in audit]
    assert sorted(found, key=lambda entry: entry[2]["new"]) == [
        ("work_mode", supervisor.id, {"old": "on", "new": "auto"}),
        ("work_mode", supervisor.id, {"old": "auto", "new": "on"}),
    ]


async def test_the_mode_answers_are_as_documented(server: Server) -> None:
    supervisor = await supervisor_of(server)
    assert_documented(await supervisor.http("PUT", "/api/staff/work", json={"mode": "on"}))
    assert_documented(await supervisor.http("GET", "/api/staff/work"))


async def test_a_malformed_solution_is_invalid_input(server: Server) -> None:
    refused = await start(server, {"challenge": "w1", "nonce": "NOT A NONCE"})
    assert refused.status_code == 400
    assert refused.json()["error"]["field"] == "work"


async def test_a_counsellor_may_not_switch_work(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    response = await counsellor.http("PUT", "/api/staff/work", json={"mode": "off"})
    assert response.status_code == 403


async def test_an_unknown_mode_is_refused(server: Server) -> None:
    response = await (await supervisor_of(server)).http(
        "PUT", "/api/staff/work", json={"mode": ["on"]}
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "mode"


async def test_auto_asks_for_work_when_starts_come_from_many_sources(
    start_server: StartServer,
) -> None:
    server = await start_server(**EASY_WORK, WORK_AUTO_SOURCES="5")
    answers = [(await start(server, source=f"127.0.0.{n}")).status_code for n in range(2, 8)]
    assert answers == [201, 201, 201, 201, 428, 428]
    assert (await start(server)).status_code == 428  # everyone, this address too
    state = (await (await supervisor_of(server)).http("GET", "/api/staff/work")).json()
    assert (state["mode"], state["required"]) == ("auto", True)
    assert state["auto_until"] is not None


async def test_many_starts_from_one_source_do_not_switch_work_on(
    start_server: StartServer,
) -> None:
    server = await start_server(**NO_SOURCE_LIMITS, WORK_AUTO_SOURCES="5")
    answers = [(await start(server, source="127.0.0.2")).status_code for _ in range(10)]
    assert answers == [201] * 10  # one source is its own limit's job


async def test_auto_asks_for_work_when_the_queue_is_near_its_cap(
    start_server: StartServer,
) -> None:
    server = await start_server(**NO_SOURCE_LIMITS, **EASY_WORK, QUEUE_MAX_WAITING="10")
    for _ in range(8):  # 80% of the cap
        assert (await start(server)).status_code == 201
    await asyncio.sleep(2.1)  # a node reads the queue's length every two seconds
    refused = await start(server)
    assert refused.json()["error"]["code"] == "work_required"
    assert (await start(server, solved(refused))).status_code == 201


async def test_auto_stops_asking_for_work_after_a_calm_period(start_server: StartServer) -> None:
    server = await start_server(
        **EASY_WORK, WORK_AUTO_SOURCES="2", WORK_AUTO_WINDOW_S="1", WORK_AUTO_CALM_S="2"
    )
    assert (await start(server, source="127.0.0.2")).status_code == 201
    assert (await start(server, source="127.0.0.3")).status_code == 428
    await asyncio.sleep(2.5)
    assert (await start(server, source="127.0.0.4")).status_code == 201
