"""Reconnecting: every client picks up from its last sequence, losing and repeating nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.support.pilots import Socket, in_conversation, new_id
from tests.support.server import Server, StartServer

BURST = 100  # messages from each side in the busy-chat test


@pytest.fixture
async def unthrottled(start_server: StartServer) -> Server:
    """A server whose per-socket rate limit does not get in the way of a burst."""
    return await start_server(FRAMES_PER_SECOND="100000", FRAME_BURST="100000")


async def next_message(socket: Socket) -> dict[str, Any]:
    """The very next message frame: used after a barrier to prove nothing came in between."""
    [frame] = await socket.messages(1)
    return frame


def seqs(frames: list[dict[str, Any]]) -> list[int]:
    return [frame["seq"] for frame in frames]


def texts(frames: list[dict[str, Any]]) -> list[str]:
    return [frame["text"] for frame in frames]


# -- visitors --------------------------------------------------------------------------------------


async def test_a_returning_visitor_gets_exactly_what_was_sent_while_away(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    await visitor.drop()
    for text in ("Ben je er nog?", "Ik wacht op je.", "Schrijf gerust als je terug bent."):
        await counsellor.say(conversation_id, text)

    welcome = await visitor.connect()

    assert welcome["last_seq"] == 4
    missed = await visitor.receive(3)
    assert seqs(missed) == [2, 3, 4]
    assert texts(missed) == [
        "Ben je er nog?",
        "Ik wacht op je.",
        "Schrijf gerust als je terug bent.",
    ]
    await counsellor.say(conversation_id, "Welkom terug.")
    assert (await next_message(visitor.ws))["seq"] == 5


async def test_a_visitor_reconnecting_from_zero_gets_the_whole_history_once(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    await visitor.say("Hoi")
    await counsellor.say(conversation_id, "Hoi, vertel.")
    await visitor.say("Het gaat niet zo goed.")
    await visitor.drop()

    await visitor.connect(last_seq=0)

    history = await visitor.receive(4)
    assert seqs(history) == [1, 2, 3, 4]
    assert texts(history) == ["counsellor_joined", "Hoi", "Hoi, vertel.", "Het gaat niet zo goed."]
    await counsellor.say(conversation_id, "Dat spijt me.")
    assert (await next_message(visitor.ws))["seq"] == 5


async def test_a_message_resent_after_a_drop_keeps_its_seq_and_arrives_once(
    server: Server,
) -> None:
    visitor, counsellor, _ = await in_conversation(server)
    client_msg_id = new_id()
    first = await visitor.say("Ik durf het bijna niet te zeggen", client_msg_id=client_msg_id)
    await visitor.drop()
    await visitor.connect()

    again = await visitor.say("Ik durf het bijna niet te zeggen", client_msg_id=client_msg_id)

    assert again["seq"] == first["seq"] == 2
    heard = await counsellor.ws.expect("message", client_msg_id=client_msg_id)
    assert heard["seq"] == 2
    after = await visitor.say("...")
    assert after["seq"] == 3
    assert (await next_message(counsellor.ws))["seq"] == 3


async def test_a_message_whose_ack_was_lost_is_stored_once_when_resent(server: Server) -> None:
    visitor, counsellor, _ = await in_conversation(server)
    client_msg_id = new_id()
    await visitor.ws.send({"type": "send", "client_msg_id": client_msg_id, "text": "Help"})
    await visitor.drop()  # gone before the ack could be read
    await visitor.connect()

    ack = await visitor.say("Help", client_msg_id=client_msg_id)

    heard = await counsellor.ws.expect("message", client_msg_id=client_msg_id)
    assert heard["seq"] == ack["seq"] == 2
    after = await visitor.say("Ben je daar?")
    assert after["seq"] == 3
    assert (await next_message(counsellor.ws))["seq"] == 3


async def test_the_sync_frame_sends_a_visitor_everything_after_the_given_seq_again(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    for text in ("een", "twee", "drie"):
        await counsellor.say(conversation_id, text)
    assert seqs(await visitor.receive(3)) == [2, 3, 4]

    await visitor.ws.send({"type": "sync", "last_seq": 2})

    refilled = await visitor.receive(2)
    assert seqs(refilled) == [3, 4]
    assert texts(refilled) == ["twee", "drie"]
    await counsellor.say(conversation_id, "vier")
    assert (await next_message(visitor.ws))["seq"] == 5


async def test_a_visitor_who_ended_the_chat_can_no_longer_resume(server: Server) -> None:
    visitor, _, _ = await in_conversation(server)
    await visitor.ws.send({"type": "end", "ref": "bye"})
    await visitor.ws.expect("ended", ref="bye")
    await visitor.drop()

    error = await visitor.connect_expecting_refusal()

    assert error["code"] == "resume_impossible"


async def test_after_the_counsellor_ends_the_open_screen_shows_it_and_resume_is_refused(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    await visitor.say("Dank je wel voor het luisteren.")
    await counsellor.request({"type": "end", "conversation_id": conversation_id})
    assert texts(await visitor.receive(2))[-1] == "ended_by_counsellor"
    await visitor.ws.send(
        {"type": "send", "client_msg_id": new_id(), "text": "Nog één ding", "ref": "late"}
    )
    refused = await visitor.ws.expect("error", ref="late")
    assert refused["code"] == "conversation_ended"
    await visitor.drop()

    error = await visitor.connect_expecting_refusal()

    assert error["code"] == "resume_impossible"


# -- counsellors -----------------------------------------------------------------------------------


async def test_a_returning_counsellor_gets_only_what_they_missed(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    await visitor.say("Eerste")
    await counsellor.ws.expect("message", conversation_id=conversation_id, seq=2)
    await counsellor.ws.close()
    await visitor.say("Tweede")
    await visitor.say("Derde")

    await counsellor.connect(positions={conversation_id: 2})

    missed = await counsellor.ws.messages(2, conversation_id)
    assert seqs(missed) == [3, 4]
    assert texts(missed) == ["Tweede", "Derde"]
    await visitor.say("Vierde")
    assert (await next_message(counsellor.ws))["seq"] == 5


async def test_the_sync_frame_sends_a_counsellor_everything_after_the_given_seq_again(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    await visitor.say("een")
    await visitor.say("twee")
    assert seqs(await counsellor.ws.messages(2, conversation_id)) == [2, 3]

    await counsellor.ws.send({"type": "sync", "conversation_id": conversation_id, "last_seq": 0})

    refilled = await counsellor.ws.messages(3, conversation_id)
    assert texts(refilled) == ["counsellor_joined", "een", "twee"]
    await visitor.say("drie")
    assert (await next_message(counsellor.ws))["seq"] == 4


# -- under load and across a restart ---------------------------------------------------------------


async def test_a_busy_chat_arrives_gap_free_and_once_on_both_sides(unthrottled: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(unthrottled)
    visitor_ids = [new_id() for _ in range(BURST)]
    counsellor_ids = [new_id() for _ in range(BURST)]

    async def visitor_sends() -> None:
        for n, msg_id in enumerate(visitor_ids):
            await visitor.ws.send({"type": "send", "client_msg_id": msg_id, "text": f"v{n}"})

    async def counsellor_sends() -> None:
        for n, msg_id in enumerate(counsellor_ids):
            await counsellor.ws.send(
                {
                    "type": "send",
                    "conversation_id": conversation_id,
                    "client_msg_id": msg_id,
                    "text": f"c{n}",
                }
            )

    total = 2 * BURST  # after "joined", which both have already seen
    _, _, to_visitor, to_counsellor = await asyncio.gather(
        visitor_sends(),
        counsellor_sends(),
        visitor.ws.messages(total),
        counsellor.ws.messages(total, conversation_id),
    )

    expected = list(range(2, total + 2))
    assert seqs(to_visitor) == expected
    assert seqs(to_counsellor) == expected
    assert to_visitor == to_counsellor
    assert sorted(texts(to_visitor)) == sorted(
        [f"v{n}" for n in range(BURST)] + [f"c{n}" for n in range(BURST)]
    )
    # Each side's own messages in the order it sent them, each acknowledged with its seq.
    assert [m["text"] for m in to_visitor if m["author"] == "visitor"] == [
        f"v{n}" for n in range(BURST)
    ]
    assert [m["text"] for m in to_visitor if m["author"] == "counsellor"] == [
        f"c{n}" for n in range(BURST)
    ]
    seq_of = {m["client_msg_id"]: m["seq"] for m in to_visitor}
    for socket, ids in ((visitor.ws, visitor_ids), (counsellor.ws, counsellor_ids)):
        acks = [await socket.expect("ack", client_msg_id=msg_id) for msg_id in ids]
        assert [ack["seq"] for ack in acks] == [seq_of[msg_id] for msg_id in ids]
    await visitor.say("klaar")
    for socket in (visitor.ws, counsellor.ws):
        assert (await next_message(socket))["seq"] == total + 2


async def test_a_server_restart_keeps_everything_and_both_sides_resume(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    await visitor.say("Voor de herstart")
    await counsellor.say(conversation_id, "Ik lees mee")
    assert seqs(await visitor.receive(2)) == [2, 3]
    await visitor.drop()
    await counsellor.say(conversation_id, "Ben je er nog?")
    assert seqs(await counsellor.ws.messages(3, conversation_id)) == [2, 3, 4]

    await asyncio.to_thread(server.stop)
    assert await counsellor.ws.close_code() is not None  # the open console was cut off
    await asyncio.to_thread(server.start)

    visitor_welcome = await visitor.connect()
    assert (visitor_welcome["status"], visitor_welcome["last_seq"]) == ("active", 4)
    [missed] = await visitor.receive()
    assert (missed["seq"], missed["text"]) == (4, "Ben je er nog?")
    staff_welcome = await counsellor.connect(positions={conversation_id: 4})
    assert [c["id"] for c in staff_welcome["conversations"]] == [conversation_id]

    ack = await visitor.say("Ja, na de herstart")
    assert ack["seq"] == 5
    assert (await next_message(counsellor.ws))["seq"] == 5
    detail = await counsellor.http("GET", f"/api/staff/conversations/{conversation_id}")
    assert detail.status_code == 200, detail.text
    transcript = detail.json()["messages"]
    assert seqs(transcript) == [1, 2, 3, 4, 5]
    assert texts(transcript) == [
        "counsellor_joined",
        "Voor de herstart",
        "Ik lees mee",
        "Ben je er nog?",
        "Ja, na de herstart",
    ]
