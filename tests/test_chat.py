"""A visitor and a counsellor hold a whole chat over real WebSockets."""

from __future__ import annotations

from tests.support.pilots import Counsellor, Visitor
from tests.support.server import Server


async def test_visitor_and_counsellor_chat_from_queue_to_end(server: Server) -> None:
    visitor = await Visitor.start(server)
    welcome = await visitor.connect()
    assert welcome["status"] == "waiting"
    assert welcome["pseudonym"] == visitor.pseudonym

    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    conversation_id = await counsellor.accept_next()
    assert conversation_id == visitor.conversation_id

    [joined] = await visitor.receive()
    assert (joined["kind"], joined["text"], joined["seq"]) == ("event", "counsellor_joined", 1)

    ack = await visitor.say("Hallo, ik wil iets vertellen")
    assert ack["seq"] == 2
    to_counsellor = await counsellor.ws.expect("message", seq=2)
    assert to_counsellor["text"] == "Hallo, ik wil iets vertellen"
    assert to_counsellor["author"] == "visitor"

    reply = await counsellor.say(conversation_id, "Fijn dat je er bent.")
    assert reply["seq"] == 3
    message = await visitor.ws.expect("message", seq=3)
    assert message["author"] == "counsellor"
    assert message["author_name"] == "Demo Counsellor"

    ended = await counsellor.request({"type": "end", "conversation_id": conversation_id})
    assert ended["type"] == "ended"
    closing = await visitor.ws.expect("message", seq=4)
    assert closing["text"] == "ended_by_counsellor"


async def test_every_message_carries_the_next_sequence_number(server: Server) -> None:
    visitor = await Visitor.start(server)
    await visitor.connect()
    acks = [await visitor.say(f"bericht {n}") for n in range(5)]
    assert [ack["seq"] for ack in acks] == [1, 2, 3, 4, 5]
