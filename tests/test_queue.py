"""The waiting line: first come, first served; everyone waiting sees where they stand."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.support.pilots import Counsellor, Visitor, waiting_visitors
from tests.support.server import Server


async def end_while_waiting(visitor: Visitor) -> None:
    await visitor.ws.send({"type": "end", "ref": "leave"})
    await visitor.ws.expect("ended", ref="leave")


async def staff_queue(counsellor: Counsellor, length: int) -> dict[str, Any]:
    """The first queue frame the counsellor sees that shows ``length`` waiting."""
    return await counsellor.ws.expect("queue", length=length)


async def test_visitors_are_served_in_order_of_arrival(server: Server) -> None:
    first, second, third = await waiting_visitors(server, 3)
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()

    served = [await counsellor.accept_next() for _ in range(3)]

    assert served == [first.conversation_id, second.conversation_id, third.conversation_id]


async def test_each_waiting_visitor_sees_their_own_place_in_line(server: Server) -> None:
    visitors = await waiting_visitors(server, 3)

    for place, visitor in enumerate(visitors, start=1):
        frame = await visitor.ws.expect("queue", position=place)
        assert frame["conversation_id"] == visitor.conversation_id


async def test_a_visitor_moves_up_when_the_one_ahead_is_picked_up(server: Server) -> None:
    first, second, third = await waiting_visitors(server, 3)
    await third.ws.expect("queue", position=3)
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()

    await counsellor.accept_next()

    await second.ws.expect("queue", position=1)
    await third.ws.expect("queue", position=2)
    [joined] = await first.receive()
    assert joined["text"] == "counsellor_joined"


async def test_a_visitor_moves_up_when_the_one_ahead_leaves(server: Server) -> None:
    _, second, third = await waiting_visitors(server, 3)
    await third.ws.expect("queue", position=3)

    await end_while_waiting(second)

    await third.ws.expect("queue", position=2)


async def test_a_waiting_visitor_who_reconnects_is_told_their_place_again(
    server: Server,
) -> None:
    _, second = await waiting_visitors(server, 2)
    await second.ws.expect("queue", position=2)
    await second.drop()

    welcome = await second.connect()

    assert welcome["status"] == "waiting"
    frame = await second.ws.expect("queue")
    assert (frame["conversation_id"], frame["position"]) == (second.conversation_id, 2)


async def test_the_wait_estimate_is_unknown_without_recent_pickups(server: Server) -> None:
    [visitor] = await waiting_visitors(server, 1)

    frame = await visitor.ws.expect("queue", position=1)

    assert "estimated_wait_s" in frame
    assert frame["estimated_wait_s"] is None


async def test_counsellors_see_the_line_grow_shrink_and_empty(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    empty = await staff_queue(counsellor, 0)
    assert empty["waiting"] == []

    first = await Visitor.start(server)
    one = await staff_queue(counsellor, 1)
    assert [v["pseudonym"] for v in one["waiting"]] == [first.pseudonym]
    assert [v["conversation_id"] for v in one["waiting"]] == [first.conversation_id]

    second = await Visitor.start(server)
    await staff_queue(counsellor, 2)
    third = await Visitor.start(server)
    three = await staff_queue(counsellor, 3)
    assert [v["pseudonym"] for v in three["waiting"]] == [
        first.pseudonym,
        second.pseudonym,
        third.pseudonym,
    ]

    await second.connect()
    await end_while_waiting(second)
    after_leaving = await staff_queue(counsellor, 2)
    assert [v["pseudonym"] for v in after_leaving["waiting"]] == [
        first.pseudonym,
        third.pseudonym,
    ]

    await counsellor.accept_next()
    after_pickup = await staff_queue(counsellor, 1)
    assert [v["pseudonym"] for v in after_pickup["waiting"]] == [third.pseudonym]

    await counsellor.accept_next()
    await staff_queue(counsellor, 0)


async def test_a_colleague_sees_the_line_shrink_when_someone_else_picks_up(
    server: Server,
) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    colleague = await Counsellor.create(server, supervisor, "anouk")
    await colleague.connect()
    visitor = await Visitor.start(server)
    await staff_queue(colleague, 1)
    await supervisor.connect()

    assert await supervisor.accept_next() == visitor.conversation_id

    await staff_queue(colleague, 0)


async def test_two_counsellors_accepting_at_once_never_get_the_same_visitor(
    server: Server,
) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    colleague = await Counsellor.create(server, supervisor, "bram")
    await supervisor.connect()
    await colleague.connect()
    first, second = await waiting_visitors(server, 2)

    taken = await asyncio.gather(supervisor.accept_next(), colleague.accept_next())

    assert sorted(taken) == sorted([first.conversation_id, second.conversation_id])
    await staff_queue(supervisor, 0)
    await staff_queue(colleague, 0)
    nobody = await colleague.request({"type": "accept_next"})
    assert (nobody["type"], nobody["code"]) == ("error", "queue_empty")


async def test_two_counsellors_racing_for_one_visitor_one_wins_the_other_finds_nobody(
    server: Server,
) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    colleague = await Counsellor.create(server, supervisor, "chris")
    await supervisor.connect()
    await colleague.connect()
    [visitor] = await waiting_visitors(server, 1)

    replies = await asyncio.gather(
        supervisor.request({"type": "accept_next"}),
        colleague.request({"type": "accept_next"}),
    )

    winners = [r for r in replies if r["type"] == "accepted"]
    losers = [r for r in replies if r["type"] == "error"]
    assert [w["conversation_id"] for w in winners] == [visitor.conversation_id]
    assert [loser["code"] for loser in losers] == ["queue_empty"]
    [joined] = await visitor.receive()
    assert (joined["seq"], joined["text"]) == (1, "counsellor_joined")
    winner = supervisor if replies[0]["type"] == "accepted" else colleague
    await winner.say(visitor.conversation_id, "Hallo, ik ben er.")
    [next_one] = await visitor.receive()
    assert (next_one["seq"], next_one["text"]) == (2, "Hallo, ik ben er.")


async def test_a_visitor_who_ends_the_chat_while_waiting_leaves_the_queue(
    server: Server,
) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    [visitor] = await waiting_visitors(server, 1)
    await staff_queue(counsellor, 1)

    await end_while_waiting(visitor)

    await staff_queue(counsellor, 0)
    nobody = await counsellor.request({"type": "accept_next"})
    assert (nobody["type"], nobody["code"]) == ("error", "queue_empty")
