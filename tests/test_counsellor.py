"""A counsellor's side: several chats up to a cap, transfers, private notes, typing, tabs."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.support.pilots import (
    Counsellor,
    Socket,
    in_conversation,
    new_id,
    waiting_visitors,
)
from tests.support.server import Server, StartServer

CAP = 2


@pytest.fixture
async def capped(start_server: StartServer) -> Server:
    """A server where a counsellor may hold at most ``CAP`` chats at once."""
    return await start_server(MAX_CHATS_PER_COUNSELLOR=str(CAP))


async def second_tab(counsellor: Counsellor) -> Counsellor:
    """The same counsellor, same session, on another socket (a second browser tab)."""
    tab = Counsellor(counsellor.server, counsellor.token, counsellor.staff)
    await tab.connect()
    return tab


async def settled(socket: Socket) -> None:
    """Round-trip a ping: whatever the server had queued for this socket has now arrived."""
    ref = new_id()
    await socket.send({"type": "ping", "ref": ref})
    await socket.expect("pong", ref=ref)


def texts_of(frames: list[dict[str, Any]]) -> list[str]:
    return [frame["text"] for frame in frames]


async def chats_held(counsellor: Counsellor) -> int:
    response = await counsellor.http("GET", "/api/staff/colleagues")
    assert response.status_code == 200, response.text
    [me] = [c for c in response.json()["colleagues"] if c["id"] == counsellor.id]
    return int(me["chats"])


async def write_note(counsellor: Counsellor, conversation_id: str, text: str) -> dict[str, Any]:
    return await counsellor.request(
        {
            "type": "note",
            "conversation_id": conversation_id,
            "client_note_id": new_id(),
            "text": text,
        }
    )


async def transfer(counsellor: Counsellor, conversation_id: str, to: Counsellor) -> dict[str, Any]:
    return await counsellor.request(
        {"type": "transfer", "conversation_id": conversation_id, "to_staff_id": to.id}
    )


async def accept_many(tab: Counsellor, count: int) -> list[dict[str, Any]]:
    """Send ``count`` accept_next frames at once, then collect the reply or error to each."""
    return await tab.ws.burst([{"type": "accept_next"}] * count)


# -- the cap ---------------------------------------------------------------------------------------


async def test_a_counsellor_holds_chats_up_to_the_cap_and_the_next_accept_is_refused(
    capped: Server,
) -> None:
    *taken, left_waiting = await waiting_visitors(capped, CAP + 1)
    counsellor = await Counsellor.demo(capped)
    await counsellor.connect()

    held = [await counsellor.accept_next() for _ in range(CAP)]
    refused = await counsellor.request({"type": "accept_next"})

    assert held == [visitor.conversation_id for visitor in taken]
    assert (refused["type"], refused["code"]) == ("error", "at_capacity")
    await left_waiting.ws.expect("queue", position=1)
    assert await chats_held(counsellor) == CAP


async def test_ending_a_chat_frees_a_slot_for_the_next_visitor(capped: Server) -> None:
    *_, next_in_line = await waiting_visitors(capped, CAP + 1)
    counsellor = await Counsellor.demo(capped)
    await counsellor.connect()
    held = [await counsellor.accept_next() for _ in range(CAP)]
    refused = await counsellor.request({"type": "accept_next"})
    assert refused["code"] == "at_capacity"

    ended = await counsellor.request({"type": "end", "conversation_id": held[0]})
    assert ended["type"] == "ended"

    assert await counsellor.accept_next() == next_in_line.conversation_id
    assert await chats_held(counsellor) == CAP


async def test_concurrent_accepts_from_two_tabs_never_exceed_the_cap(capped: Server) -> None:
    visitors = await waiting_visitors(capped, CAP * 2)
    first_tab = await Counsellor.demo(capped)
    await first_tab.connect()
    other_tab = await second_tab(first_tab)

    per_tab = await asyncio.gather(*(accept_many(tab, CAP) for tab in (first_tab, other_tab)))
    replies = [reply for tab_replies in per_tab for reply in tab_replies]

    accepted = [r["conversation_id"] for r in replies if r["type"] == "accepted"]
    refused = [r["code"] for r in replies if r["type"] == "error"]
    assert len(accepted) == CAP, replies
    assert len(set(accepted)) == CAP
    assert refused == ["at_capacity"] * CAP
    assert await chats_held(first_tab) == CAP
    still_waiting = [v.conversation_id for v in visitors if v.conversation_id not in accepted]
    queue = await first_tab.ws.expect("queue", length=CAP)
    assert [v["conversation_id"] for v in queue["waiting"]] == still_waiting


# -- transfer --------------------------------------------------------------------------------------


async def test_a_transfer_tells_the_visitor_who_their_new_counsellor_is(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    supervisor = await Counsellor.demo(server, "supervisor")
    colleague = await Counsellor.create(server, supervisor, "dewi")
    await colleague.connect()

    reply = await transfer(counsellor, conversation_id, colleague)

    assert reply == {"type": "transferred", "conversation_id": conversation_id, "ref": reply["ref"]}
    [event] = await visitor.receive()
    assert (event["kind"], event["text"]) == ("event", "transferred")
    assert event["author_name"] == "Dewi"
    assert event["seq"] == 2


async def test_the_new_counsellor_is_assigned_the_chat_with_its_whole_transcript(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    await visitor.say("Ik weet niet waar ik moet beginnen.")
    await counsellor.say(conversation_id, "Neem de tijd.")
    supervisor = await Counsellor.demo(server, "supervisor")
    colleague = await Counsellor.create(server, supervisor, "esra")
    await colleague.connect()

    await transfer(counsellor, conversation_id, colleague)

    assigned = await colleague.ws.expect("assigned")
    assert assigned["conversation"]["id"] == conversation_id
    assert assigned["conversation"]["pseudonym"] == visitor.pseudonym
    transcript = await colleague.ws.messages(4, conversation_id)
    assert [(m["seq"], m["text"]) for m in transcript] == [
        (1, "counsellor_joined"),
        (2, "Ik weet niet waar ik moet beginnen."),
        (3, "Neem de tijd."),
        (4, "transferred"),
    ]
    await visitor.say("Ben jij er nu?")
    assert (await colleague.ws.expect("message", seq=5))["text"] == "Ben jij er nu?"
    reply = await colleague.say(conversation_id, "Ja, ik ben er.")
    assert reply["seq"] == 6
    assert (await visitor.ws.expect("message", seq=6))["author_name"] == "Esra"


async def test_the_previous_counsellor_is_unassigned_and_can_no_longer_write(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    supervisor = await Counsellor.demo(server, "supervisor")
    colleague = await Counsellor.create(server, supervisor, "floor")
    await colleague.connect()

    await transfer(counsellor, conversation_id, colleague)

    await counsellor.ws.expect("unassigned", conversation_id=conversation_id)
    refused = await counsellor.request(
        {
            "type": "send",
            "conversation_id": conversation_id,
            "client_msg_id": new_id(),
            "text": "Nog één ding...",
        }
    )
    assert (refused["type"], refused["code"]) == ("error", "forbidden")
    detail = await counsellor.http("GET", f"/api/staff/conversations/{conversation_id}")
    assert detail.status_code == 403
    await visitor.say("Hallo?")
    # Once the new counsellor has it, it has gone out to every socket that follows the chat.
    await colleague.ws.expect("message", conversation_id=conversation_id, seq=3)
    await settled(counsellor.ws)
    seen_after_transfer = [
        f["seq"] for f in counsellor.ws.pending if f["type"] == "message" and f["seq"] > 2
    ]
    assert seen_after_transfer == []


async def test_a_transfer_to_a_colleague_at_capacity_is_refused_and_the_chat_stays(
    capped: Server,
) -> None:
    visitors = await waiting_visitors(capped, CAP + 1)
    supervisor = await Counsellor.demo(capped, "supervisor")
    colleague = await Counsellor.create(capped, supervisor, "gijs")
    await colleague.connect()
    for _ in range(CAP):
        await colleague.accept_next()
    counsellor = await Counsellor.demo(capped)
    await counsellor.connect()
    conversation_id = await counsellor.accept_next()
    assert conversation_id == visitors[-1].conversation_id

    refused = await transfer(counsellor, conversation_id, colleague)

    assert (refused["type"], refused["code"]) == ("error", "at_capacity")
    assert await chats_held(colleague) == CAP
    reply = await counsellor.say(conversation_id, "Ik blijf bij je.")
    assert reply["seq"] == 2
    [joined, message] = await visitors[-1].receive(2)
    assert (joined["text"], message["text"]) == ("counsellor_joined", "Ik blijf bij je.")


# -- notes -----------------------------------------------------------------------------------------


async def test_a_note_reaches_the_counsellor_and_is_kept_with_the_conversation(
    server: Server,
) -> None:
    _, counsellor, conversation_id = await in_conversation(server)
    other_tab = await second_tab(counsellor)

    saved = await write_note(counsellor, conversation_id, "Lijkt angstig; vraag naar slapen.")

    assert saved["type"] == "note_saved"
    for tab in (counsellor, other_tab):
        note = await tab.ws.expect("note", conversation_id=conversation_id)
        assert note["text"] == "Lijkt angstig; vraag naar slapen."
        assert note["note_id"] == saved["note_id"]
        assert note["author_name"] == "Demo Counsellor"
    detail = await counsellor.http("GET", f"/api/staff/conversations/{conversation_id}")
    assert detail.status_code == 200, detail.text
    assert [n["text"] for n in detail.json()["notes"]] == ["Lijkt angstig; vraag naar slapen."]


async def test_the_visitor_never_sees_a_note(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    secret = "INTERN-7c1e: mogelijk suïciderisico, overleg met supervisor"

    await write_note(counsellor, conversation_id, secret)
    await counsellor.ws.expect("note", conversation_id=conversation_id)
    await counsellor.say(conversation_id, "Ik ben er nog.")

    [after] = await visitor.receive()
    assert (after["seq"], after["text"]) == (2, "Ik ben er nog.")
    await settled(visitor.ws)
    assert not [frame for frame in visitor.ws.pending if frame["type"] == "note"]
    assert all("INTERN-7c1e" not in str(frame) for frame in visitor.ws.pending)

    await visitor.drop()
    await visitor.connect(last_seq=0)
    history = await visitor.receive(2)
    await settled(visitor.ws)
    assert texts_of(history) == ["counsellor_joined", "Ik ben er nog."]
    assert not [frame for frame in visitor.ws.pending if frame["type"] == "note"]
    assert all("INTERN-7c1e" not in str(frame) for frame in visitor.ws.pending)


# -- typing ----------------------------------------------------------------------------------------


async def test_the_counsellor_sees_the_visitor_typing(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)

    await visitor.ws.send({"type": "typing", "active": True})
    await counsellor.ws.expect(
        "typing", conversation_id=conversation_id, who="visitor", active=True
    )

    await visitor.ws.send({"type": "typing", "active": False})
    await counsellor.ws.expect(
        "typing", conversation_id=conversation_id, who="visitor", active=False
    )


async def test_the_visitor_sees_the_counsellor_typing(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)

    await counsellor.ws.send({"type": "typing", "conversation_id": conversation_id, "active": True})
    await visitor.ws.expect("typing", who="counsellor", active=True)

    await counsellor.ws.send(
        {"type": "typing", "conversation_id": conversation_id, "active": False}
    )
    await visitor.ws.expect("typing", who="counsellor", active=False)


# -- tabs and reconnecting -------------------------------------------------------------------------


async def test_a_counsellor_with_two_tabs_sees_the_same_messages_in_both(server: Server) -> None:
    [visitor] = await waiting_visitors(server, 1)
    first_tab = await Counsellor.demo(server)
    await first_tab.connect()
    other_tab = await second_tab(first_tab)

    conversation_id = await first_tab.accept_next()
    await other_tab.ws.expect("assigned")
    await visitor.say("Hoi")
    await first_tab.say(conversation_id, "Hoi, fijn dat je schrijft.")
    await visitor.say("Dank je")

    expected = [
        (1, "counsellor_joined"),
        (2, "Hoi"),
        (3, "Hoi, fijn dat je schrijft."),
        (4, "Dank je"),
    ]
    for tab in (first_tab, other_tab):
        seen = await tab.ws.messages(4, conversation_id)
        assert [(m["seq"], m["text"]) for m in seen] == expected


async def test_the_welcome_after_reconnecting_lists_the_chats_the_counsellor_holds(
    server: Server,
) -> None:
    await waiting_visitors(server, 3)
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    held = [await counsellor.accept_next() for _ in range(3)]
    await counsellor.request({"type": "end", "conversation_id": held[1]})
    await counsellor.ws.close()

    welcome = await counsellor.connect()

    assert [c["id"] for c in welcome["conversations"]] == [held[0], held[2]]
    assert all(c["status"] == "active" for c in welcome["conversations"])
    assert welcome["staff"]["id"] == counsellor.id
