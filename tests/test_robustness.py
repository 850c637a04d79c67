"""Odd but possible input never costs a client its connection or a counsellor a message."""

from __future__ import annotations

from tests.support.pilots import Counsellor, Visitor, new_id
from tests.support.server import Server


async def test_a_lone_surrogate_is_refused_and_the_connection_stays(server: Server) -> None:
    visitor = await Visitor.start(server)
    await visitor.connect()
    await visitor.ws.send('{"type":"send","client_msg_id":"' + new_id() + '","text":"hoi \\ud800"}')
    assert (await visitor.ws.expect("error"))["code"] == "invalid"
    assert (await visitor.say("nog steeds hier"))["seq"] == 1


async def test_a_counsellor_claiming_a_position_beyond_the_end_still_gets_every_message(
    server: Server,
) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    visitor = await Visitor.start(server)
    await visitor.connect()
    conversation_id = await counsellor.accept_next()
    await visitor.say("eerste")
    await counsellor.ws.close()
    await counsellor.connect(positions={conversation_id: 999})
    await visitor.say("tweede")
    received = await counsellor.ws.messages(1, conversation_id)
    assert [frame["text"] for frame in received] == ["tweede"]
    assert received[0]["seq"] == 3
