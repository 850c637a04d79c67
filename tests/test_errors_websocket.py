"""Bad WebSocket input gets a clear, typed error and changes nothing.

Every test sends one kind of bad frame over a real socket and checks two things: the
answer (an ``error`` frame with its ``code`` and ``field``, or a close code, or a refused
handshake), and that nothing changed: the transcript the counsellor reads over HTTP is
the same as before, and the next valid frame gets the next sequence number with no gap
on a connection that still works.

Not covered here: the hello timeout (``HELLO_TIMEOUT_S`` is 10 s, too slow for this suite).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chatserver.settings import Settings
from chatserver.transport.websocket import MAX_RATE_VIOLATIONS, Close
from tests.support.pilots import (
    RECEIVE_TIMEOUT,
    Counsellor,
    Socket,
    Visitor,
    in_conversation,
    new_id,
)
from tests.support.server import Server, StartServer

MESSAGE_MAX_CHARS = Settings.message_max_chars
NOTE_MAX_CHARS = Settings.note_max_chars
FRAME_MAX_BYTES = Settings.frame_max_bytes

#: The rate-limited server: a burst of BURST frames, then one frame per second.
BURST = 3
RATE = 1.0

Frame = dict[str, Any]
PING: Frame = {"type": "ping"}


# -- helpers ---------------------------------------------------------------------------------------


async def transcript(counsellor: Counsellor, conversation_id: str) -> Frame:
    """Conversation summary, messages and notes, as the holding counsellor reads them.

    Without the visitor's last-seen time: presence refreshes it whenever a socket opens or drops,
    which is not a change a refused frame made."""
    response = await counsellor.http("GET", f"/api/staff/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    body: Frame = response.json()
    body["conversation"].pop("visitor_seen_at")
    return body


def assert_error(frame: Frame, code: str, field: str | None = None, ref: str | None = None) -> None:
    assert frame["type"] == "error", frame
    assert frame["code"] == code, frame
    assert isinstance(frame["message"], str), frame
    assert frame["message"], frame
    if field is None:
        assert "field" not in frame, frame
    else:
        assert frame["field"] == field, frame
    assert frame["ref"] == ref, frame


async def assert_visitor_goes_on(
    visitor: Visitor, counsellor: Counsellor, conversation_id: str, before: Frame
) -> None:
    """Transcript as before; the visitor's next message takes the very next seq."""
    assert await transcript(counsellor, conversation_id) == before
    next_seq = before["conversation"]["last_seq"] + 1
    ack = await visitor.say("nog steeds hier")
    assert ack["seq"] == next_seq
    message = await counsellor.ws.expect("message", conversation_id=conversation_id, seq=next_seq)
    assert message["text"] == "nog steeds hier"
    known = {m["seq"] for m in before["messages"]} | {next_seq}
    strays = [
        frame
        for frame in counsellor.ws.pending + visitor.ws.pending
        if frame.get("type") == "message" and frame["seq"] not in known
    ]
    assert strays == []


async def assert_counsellor_goes_on(
    visitor: Visitor, counsellor: Counsellor, conversation_id: str, before: Frame
) -> None:
    """Transcript as before; the counsellor still holds the chat and writes the next seq."""
    assert await transcript(counsellor, conversation_id) == before
    next_seq = before["conversation"]["last_seq"] + 1
    ack = await counsellor.say(conversation_id, "Ik ben er nog.")
    assert ack["seq"] == next_seq
    message = await visitor.ws.expect("message", seq=next_seq)
    assert message["text"] == "Ik ben er nog."


@dataclass
class ColleaguesChat:
    """A chat the demo counsellor holds, and a connected supervisor who does not hold it."""

    visitor: Visitor
    holder: Counsellor
    conversation_id: str
    supervisor: Counsellor
    before: Frame

    @classmethod
    async def start(cls, server: Server) -> ColleaguesChat:
        visitor, holder, conversation_id = await in_conversation(server)
        supervisor = await Counsellor.demo(server, "supervisor")
        await supervisor.connect()
        before = await transcript(holder, conversation_id)
        return cls(visitor, holder, conversation_id, supervisor, before)

    async def supervisor_is_forbidden(self, frame: Frame) -> None:
        error = await self.supervisor.request({**frame, "conversation_id": self.conversation_id})
        assert_error(error, "forbidden", None, error["ref"])

    async def goes_on(self) -> None:
        await assert_visitor_goes_on(self.visitor, self.holder, self.conversation_id, self.before)


async def visitor_frame_is_refused(
    server: Server, frame: Frame | str | bytes, code: str, field: str | None = None
) -> Frame:
    """Send one bad frame from a visitor in a chat; check the error and that nothing changed.

    A dict frame is sent with a fresh ``ref``, which the error must echo.
    """
    visitor, counsellor, conversation_id = await in_conversation(server)
    before = await transcript(counsellor, conversation_id)
    if isinstance(frame, dict):
        ref: str | None = new_id()
        await visitor.ws.send({**frame, "ref": ref})
    else:
        ref = None
        await visitor.ws.send(frame)
    error = await visitor.ws.expect("error")
    assert_error(error, code, field, ref)
    await assert_visitor_goes_on(visitor, counsellor, conversation_id, before)
    return error


async def counsellor_is_refused(
    visitor: Visitor,
    counsellor: Counsellor,
    conversation_id: str,
    frame: Frame,
    code: str,
    field: str | None = None,
) -> Frame:
    """The counsellor's ``frame`` gets the error; the chat goes on as if it was never sent."""
    before = await transcript(counsellor, conversation_id)
    ref = new_id()
    await counsellor.ws.send({**frame, "ref": ref})
    error = await counsellor.ws.reply_to(ref)
    assert_error(error, code, field, ref)
    await assert_counsellor_goes_on(visitor, counsellor, conversation_id, before)
    return error


def send_frame(text: Any = "hallo", **extra: Any) -> Frame:
    return {"type": "send", "client_msg_id": new_id(), "text": text, **extra}


async def chats_held(counsellor: Counsellor) -> int:
    response = await counsellor.http("GET", "/api/staff/colleagues")
    assert response.status_code == 200, response.text
    [me] = [c for c in response.json()["colleagues"] if c["id"] == counsellor.id]
    return int(me["chats"])


async def refused_hello(server: Server, path: str, frame: Frame | str | bytes) -> tuple[Frame, int]:
    """Open a socket, send ``frame`` first; the error frame and the close code that follow."""
    socket = await Socket.open(server, path)
    await socket.send(frame)
    async with asyncio.timeout(RECEIVE_TIMEOUT):
        first: Frame = json.loads(await socket.connection.recv())
    assert first["type"] == "error", f"the hello was not refused: {first}"
    code = await socket.close_code()
    assert code is not None
    return first, code


async def assert_visitor_can_still_connect(visitor: Visitor, last_seq: int = 0) -> None:
    welcome = await visitor.connect()
    assert welcome["status"] == "waiting"
    assert welcome["last_seq"] == last_seq
    ack = await visitor.say("hallo")
    assert ack["seq"] == last_seq + 1


@pytest.fixture
async def limited(start_server: StartServer) -> Server:
    """A server that allows a burst of ``BURST`` frames, then ``RATE`` per second."""
    return await start_server(FRAME_BURST=str(BURST), FRAMES_PER_SECOND=str(RATE))


# -- malformed frames ------------------------------------------------------------------------------


async def test_frame_that_is_not_json_gets_invalid_error_and_changes_nothing(
    server: Server,
) -> None:
    await visitor_frame_is_refused(server, '{"type": "send", "text": "half', "invalid")


async def test_frame_that_is_a_json_array_gets_invalid_error_and_changes_nothing(
    server: Server,
) -> None:
    await visitor_frame_is_refused(server, '[{"type": "send"}]', "invalid")


async def test_frame_that_is_a_json_string_gets_invalid_error_and_changes_nothing(
    server: Server,
) -> None:
    await visitor_frame_is_refused(server, '"send"', "invalid")


async def test_frame_that_is_json_null_gets_invalid_error_and_changes_nothing(
    server: Server,
) -> None:
    await visitor_frame_is_refused(server, "null", "invalid")


async def test_binary_frame_gets_invalid_error_and_changes_nothing(server: Server) -> None:
    frame = json.dumps(send_frame("binair")).encode()
    await visitor_frame_is_refused(server, frame, "invalid")


async def test_frame_without_a_type_gets_invalid_error_naming_type(server: Server) -> None:
    await visitor_frame_is_refused(
        server, {"client_msg_id": new_id(), "text": "x"}, "invalid", "type"
    )


async def test_frame_of_unknown_type_gets_invalid_error_naming_type(server: Server) -> None:
    await visitor_frame_is_refused(server, {"type": "shout", "text": "HALLO"}, "invalid", "type")


async def test_frame_whose_type_is_not_a_string_gets_invalid_error_naming_type(
    server: Server,
) -> None:
    await visitor_frame_is_refused(server, {"type": ["send"], "text": "x"}, "invalid", "type")


async def test_send_without_client_msg_id_gets_invalid_error_naming_it(server: Server) -> None:
    await visitor_frame_is_refused(
        server, {"type": "send", "text": "hallo"}, "invalid", "client_msg_id"
    )


async def test_send_without_text_gets_invalid_error_naming_it(server: Server) -> None:
    await visitor_frame_is_refused(
        server, {"type": "send", "client_msg_id": new_id()}, "invalid", "text"
    )


async def test_send_with_an_unknown_extra_field_gets_invalid_error_naming_it(
    server: Server,
) -> None:
    await visitor_frame_is_refused(server, send_frame(colour="red"), "invalid", "colour")


async def test_send_whose_text_is_a_number_gets_invalid_error_naming_text(server: Server) -> None:
    await visitor_frame_is_refused(server, send_frame(42), "invalid", "text")


async def test_send_whose_text_is_null_gets_invalid_error_naming_text(server: Server) -> None:
    await visitor_frame_is_refused(server, send_frame(None), "invalid", "text")


async def test_send_whose_text_is_a_list_gets_invalid_error_naming_text(server: Server) -> None:
    await visitor_frame_is_refused(server, send_frame(["hallo"]), "invalid", "text")


async def test_typing_whose_active_is_a_string_gets_invalid_error_and_no_typing_shown(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    before = await transcript(counsellor, conversation_id)
    error = await visitor.ws.request({"type": "typing", "active": "true"})
    assert_error(error, "invalid", "active", error["ref"])
    await counsellor.ws.expect_nothing("typing")
    await assert_visitor_goes_on(visitor, counsellor, conversation_id, before)


async def test_typing_whose_active_is_a_number_gets_invalid_error_naming_active(
    server: Server,
) -> None:
    await visitor_frame_is_refused(server, {"type": "typing", "active": 1}, "invalid", "active")


async def test_sync_with_a_negative_last_seq_gets_invalid_error_naming_it(server: Server) -> None:
    await visitor_frame_is_refused(server, {"type": "sync", "last_seq": -1}, "invalid", "last_seq")


async def test_sync_with_a_boolean_last_seq_gets_invalid_error_naming_it(server: Server) -> None:
    await visitor_frame_is_refused(
        server, {"type": "sync", "last_seq": True}, "invalid", "last_seq"
    )


async def test_sync_with_a_fractional_last_seq_gets_invalid_error_naming_it(
    server: Server,
) -> None:
    await visitor_frame_is_refused(server, {"type": "sync", "last_seq": 1.5}, "invalid", "last_seq")


async def test_sync_with_a_last_seq_beyond_a_32_bit_integer_gets_invalid_error_naming_it(
    server: Server,
) -> None:
    await visitor_frame_is_refused(
        server, {"type": "sync", "last_seq": 2**31}, "invalid", "last_seq"
    )


@pytest.mark.parametrize(
    "client_msg_id",
    ["id met spaties!", "a" * 65, "", 12345, "abc\n"],
    ids=["bad-characters", "too-long", "empty", "number", "trailing-line-feed"],
)
async def test_a_bad_client_msg_id_gets_invalid_error_naming_it(
    server: Server, client_msg_id: Any
) -> None:
    frame = {"type": "send", "client_msg_id": client_msg_id, "text": "hallo"}
    await visitor_frame_is_refused(server, frame, "invalid", "client_msg_id")


async def test_ref_with_bad_characters_gets_invalid_error_naming_ref(server: Server) -> None:
    raw = json.dumps({"type": "ping", "ref": "not a ref!"})
    await visitor_frame_is_refused(server, raw, "invalid", "ref")


async def test_empty_text_gets_invalid_error_and_changes_nothing(server: Server) -> None:
    await visitor_frame_is_refused(server, send_frame(""), "invalid", "text")


async def test_whitespace_only_text_gets_invalid_error_and_changes_nothing(server: Server) -> None:
    await visitor_frame_is_refused(server, send_frame("  \n\t  \r\n "), "invalid", "text")


async def test_text_of_only_control_characters_gets_invalid_error_and_changes_nothing(
    server: Server,
) -> None:
    await visitor_frame_is_refused(server, send_frame("\x00\x07\x1b "), "invalid", "text")


async def test_text_longer_than_message_max_chars_gets_too_large_and_changes_nothing(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    before = await transcript(counsellor, conversation_id)

    error = await visitor.ws.request(send_frame("a" * (MESSAGE_MAX_CHARS + 1)))

    assert_error(error, "too_large", "text", error["ref"])
    assert await transcript(counsellor, conversation_id) == before
    # The limit is exact: a text of MESSAGE_MAX_CHARS is taken, with the very next seq.
    ack = await visitor.say("b" * MESSAGE_MAX_CHARS)
    assert ack["seq"] == before["conversation"]["last_seq"] + 1
    message = await counsellor.ws.expect("message", seq=ack["seq"])
    assert message["text"] == "b" * MESSAGE_MAX_CHARS


async def test_frame_larger_than_frame_max_bytes_gets_too_large_and_changes_nothing(
    server: Server,
) -> None:
    error = await visitor_frame_is_refused(
        server, send_frame("a" * (FRAME_MAX_BYTES + 1)), "too_large"
    )
    assert str(FRAME_MAX_BYTES) in error["message"]


async def test_frame_max_bytes_counts_bytes_not_characters(start_server: StartServer) -> None:
    server = await start_server(FRAME_MAX_BYTES="1024")
    # 400 characters (well under both limits as characters), 1200 bytes in UTF-8.
    await visitor_frame_is_refused(server, send_frame("€" * 400), "too_large")


async def test_a_frame_of_exactly_frame_max_bytes_is_taken_and_one_byte_more_is_not(
    server: Server,
) -> None:
    visitor = await Visitor.start(server)
    await visitor.connect()
    head, tail = '{"type":"ping","ref":"exact"', "}"
    exact = head + " " * (FRAME_MAX_BYTES - len(head) - len(tail)) + tail
    assert len(exact.encode()) == FRAME_MAX_BYTES

    await visitor.ws.send(exact)
    await visitor.ws.expect("pong", ref="exact")
    head = '{"type":"ping","ref":"over"'
    over = head + " " * (FRAME_MAX_BYTES + 1 - len(head) - len(tail)) + tail
    assert len(over.encode()) == FRAME_MAX_BYTES + 1
    await visitor.ws.send(over)
    assert_error(await visitor.ws.expect("error", ref="over"), "too_large", None, "over")
    ack = await visitor.say("hallo")
    assert ack["seq"] == 1


async def test_a_frame_over_four_times_frame_max_bytes_is_closed_1009_and_stores_nothing(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    before = await transcript(counsellor, conversation_id)

    with contextlib.suppress(ConnectionClosed):
        await visitor.ws.send(send_frame("a" * (4 * FRAME_MAX_BYTES + 1)))
    assert await visitor.ws.close_code() == 1009

    assert await transcript(counsellor, conversation_id) == before
    welcome = await visitor.connect()
    assert welcome["last_seq"] == before["conversation"]["last_seq"]
    await assert_visitor_goes_on(visitor, counsellor, conversation_id, before)


# -- values the decoder must not let through -------------------------------------------------------


async def test_hello_with_v_true_is_refused_naming_v_and_closed_4400(server: Server) -> None:
    visitor = await Visitor.start(server)
    hello = {"type": "hello", "v": True, "token": visitor.token, "last_seq": 0}
    error, code = await refused_hello(server, "/ws/visitor", hello)
    assert_error(error, "invalid", "v")
    assert code == 4400
    await assert_visitor_can_still_connect(visitor)


async def test_hello_with_v_as_the_float_1_0_is_refused_naming_v_and_closed_4400(
    server: Server,
) -> None:
    visitor = await Visitor.start(server)
    raw = json.dumps({"type": "hello", "v": 1.0, "token": visitor.token, "last_seq": 0})
    error, code = await refused_hello(server, "/ws/visitor", raw)
    assert_error(error, "invalid", "v")
    assert code == 4400
    await assert_visitor_can_still_connect(visitor)


async def test_text_with_an_unpaired_surrogate_gets_invalid_error_and_the_socket_stays_open(
    server: Server,
) -> None:
    raw = '{"type": "send", "client_msg_id": "lone-surrogate", "text": "hallo \\ud800"}'
    assert json.loads(raw)["text"] == "hallo \ud800"
    visitor, counsellor, conversation_id = await in_conversation(server)
    before = await transcript(counsellor, conversation_id)
    await visitor.ws.send(raw)
    error = await visitor.ws.expect("error")
    assert (error["code"], error["ref"]) == ("invalid", None)
    assert error.get("field", "text") == "text"
    await assert_visitor_goes_on(visitor, counsellor, conversation_id, before)


async def test_an_unknown_field_named_by_an_unpaired_surrogate_gets_invalid_error(
    server: Server,
) -> None:
    raw = '{"type": "ping", "\\udc00": 1}'
    visitor, counsellor, conversation_id = await in_conversation(server)
    before = await transcript(counsellor, conversation_id)
    await visitor.ws.send(raw)
    error = await visitor.ws.expect("error")
    assert (error["code"], error["ref"]) == ("invalid", None)
    await assert_visitor_goes_on(visitor, counsellor, conversation_id, before)


# -- frames a visitor may not send -----------------------------------------------------------------


async def test_accept_next_from_a_visitor_is_an_unknown_type_and_takes_nobody_from_the_queue(
    server: Server,
) -> None:
    waiting = await Visitor.start(server)
    await waiting.connect()
    sender = await Visitor.start(server)
    await sender.connect()

    error = await sender.ws.request({"type": "accept_next"})

    assert_error(error, "invalid", "type", error["ref"])
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    assert await counsellor.accept_next() == waiting.conversation_id
    [joined] = await waiting.receive()
    assert joined["seq"] == 1
    assert await counsellor.accept_next() == sender.conversation_id
    await sender.ws.expect("message", seq=1)


async def test_note_from_a_visitor_is_an_unknown_type_and_adds_no_note(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    frame = {
        "type": "note",
        "conversation_id": conversation_id,
        "client_note_id": new_id(),
        "text": "ik schrijf mijn eigen notitie",
    }
    before = await transcript(counsellor, conversation_id)
    error = await visitor.ws.request(frame)
    assert_error(error, "invalid", "type", error["ref"])
    await counsellor.ws.expect_nothing("note")
    assert (await transcript(counsellor, conversation_id))["notes"] == []
    await assert_visitor_goes_on(visitor, counsellor, conversation_id, before)


async def test_transfer_from_a_visitor_is_an_unknown_type_and_changes_nothing(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    frame = {"type": "transfer", "conversation_id": conversation_id, "to_staff_id": new_id()}
    before = await transcript(counsellor, conversation_id)
    error = await visitor.ws.request(frame)
    assert_error(error, "invalid", "type", error["ref"])
    assert await chats_held(counsellor) == 1
    await assert_visitor_goes_on(visitor, counsellor, conversation_id, before)


async def test_send_from_a_visitor_naming_another_conversation_is_refused_and_writes_nothing(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    other = await Visitor.start(server)
    await other.connect()
    before = await transcript(counsellor, conversation_id)

    error = await visitor.ws.request(
        send_frame("in een ander gesprek", conversation_id=other.conversation_id)
    )

    assert_error(error, "invalid", "conversation_id", error["ref"])
    await other.ws.expect_nothing("message")
    assert (await counsellor.accept_next()) == other.conversation_id
    [joined] = await other.receive()
    assert joined["seq"] == 1
    await assert_visitor_goes_on(visitor, counsellor, conversation_id, before)


async def test_profile_with_age_zero_gets_invalid_error_and_keeps_the_profile(
    server: Server,
) -> None:
    await visitor_frame_is_refused(server, {"type": "profile", "age": 0}, "invalid", "age")


async def test_profile_with_an_age_as_text_gets_invalid_error_and_keeps_the_profile(
    server: Server,
) -> None:
    await visitor_frame_is_refused(server, {"type": "profile", "age": "15"}, "invalid", "age")


async def test_profile_with_an_unknown_gender_gets_invalid_error_and_keeps_the_profile(
    server: Server,
) -> None:
    frame = {"type": "profile", "gender": "x"}
    await visitor_frame_is_refused(server, frame, "invalid", "gender")


# -- the hello handshake ---------------------------------------------------------------------------


async def test_first_frame_that_is_not_hello_gets_error_and_close_4400(server: Server) -> None:
    visitor = await Visitor.start(server)
    error, code = await refused_hello(server, "/ws/visitor", send_frame("hallo", ref="first"))
    assert_error(error, "invalid", "type", "first")
    assert code == Close.BAD_HELLO == 4400
    await assert_visitor_can_still_connect(visitor)


async def test_first_frame_that_is_not_json_gets_error_and_close_4400(server: Server) -> None:
    visitor = await Visitor.start(server)
    error, code = await refused_hello(server, "/ws/visitor", "hello?")
    assert_error(error, "invalid")
    assert code == 4400
    await assert_visitor_can_still_connect(visitor)


async def test_first_frame_that_is_binary_gets_error_and_close_4400(server: Server) -> None:
    visitor = await Visitor.start(server)
    hello = {"type": "hello", "v": 1, "token": visitor.token, "last_seq": 0}
    error, code = await refused_hello(server, "/ws/visitor", json.dumps(hello).encode())
    assert_error(error, "invalid")
    assert code == 4400
    await assert_visitor_can_still_connect(visitor)


async def test_first_frame_from_staff_that_is_not_hello_gets_error_and_close_4400(
    server: Server,
) -> None:
    counsellor = await Counsellor.demo(server)
    error, code = await refused_hello(server, "/ws/staff", {"type": "accept_next", "ref": "a1"})
    assert_error(error, "invalid", "type", "a1")
    assert code == 4400
    await counsellor.connect()
    assert (await counsellor.request({"type": "accept_next"}))["code"] == "queue_empty"


async def test_hello_with_a_wrong_version_gets_error_naming_v_and_close_4400(
    server: Server,
) -> None:
    visitor = await Visitor.start(server)
    hello = {"type": "hello", "v": 2, "token": visitor.token, "last_seq": 0, "ref": "h1"}
    error, code = await refused_hello(server, "/ws/visitor", hello)
    assert_error(error, "invalid", "v", "h1")
    assert code == 4400
    await assert_visitor_can_still_connect(visitor)


async def test_hello_with_the_version_as_a_string_gets_error_naming_v_and_close_4400(
    server: Server,
) -> None:
    visitor = await Visitor.start(server)
    hello = {"type": "hello", "v": "1", "token": visitor.token, "last_seq": 0}
    error, code = await refused_hello(server, "/ws/visitor", hello)
    assert_error(error, "invalid", "v")
    assert code == 4400
    await assert_visitor_can_still_connect(visitor)


async def test_hello_without_a_token_gets_error_naming_token_and_close_4400(
    server: Server,
) -> None:
    error, code = await refused_hello(server, "/ws/visitor", {"type": "hello", "v": 1})
    assert_error(error, "invalid", "token")
    assert code == 4400


async def test_hello_with_a_token_over_128_characters_gets_error_and_close_4400(
    server: Server,
) -> None:
    hello = {"type": "hello", "v": 1, "token": "t" * 129, "last_seq": 0}
    error, code = await refused_hello(server, "/ws/visitor", hello)
    assert_error(error, "invalid", "token")
    assert code == 4400


async def test_hello_with_a_negative_last_seq_gets_error_naming_it_and_close_4400(
    server: Server,
) -> None:
    visitor = await Visitor.start(server)
    hello = {"type": "hello", "v": 1, "token": visitor.token, "last_seq": -1}
    error, code = await refused_hello(server, "/ws/visitor", hello)
    assert_error(error, "invalid", "last_seq")
    assert code == 4400
    await assert_visitor_can_still_connect(visitor)


async def test_hello_with_an_unknown_field_gets_error_naming_it_and_close_4400(
    server: Server,
) -> None:
    visitor = await Visitor.start(server)
    hello = {"type": "hello", "v": 1, "token": visitor.token, "last_seq": 0, "device": "iPhone"}
    error, code = await refused_hello(server, "/ws/visitor", hello)
    assert_error(error, "invalid", "device")
    assert code == 4400
    await assert_visitor_can_still_connect(visitor)


async def test_hello_larger_than_frame_max_bytes_gets_too_large_and_close_4400(
    server: Server,
) -> None:
    raw = '{"type":"hello","v":1,"token":"abc"' + " " * FRAME_MAX_BYTES + "}"
    error, code = await refused_hello(server, "/ws/visitor", raw)
    assert_error(error, "too_large")
    assert code == 4400


async def test_staff_hello_with_positions_that_are_not_sequences_gets_close_4400(
    server: Server,
) -> None:
    counsellor = await Counsellor.demo(server)
    hello = {"type": "hello", "v": 1, "token": counsellor.token, "positions": {"abc": "1"}}
    error, code = await refused_hello(server, "/ws/staff", hello)
    assert_error(error, "invalid", "positions")
    assert code == 4400


async def test_staff_hello_with_a_bad_positions_key_gets_close_4400(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    hello = {"type": "hello", "v": 1, "token": counsellor.token, "positions": {"a b!": 1}}
    error, code = await refused_hello(server, "/ws/staff", hello)
    assert_error(error, "invalid", "positions")
    assert code == 4400


async def test_hello_with_an_invalid_resume_token_gets_resume_impossible_and_close_4401(
    server: Server,
) -> None:
    visitor = await Visitor.start(server)
    hello = {"type": "hello", "v": 1, "token": "no-such-token-" + new_id(), "last_seq": 0}
    error, code = await refused_hello(server, "/ws/visitor", {**hello, "ref": "r1"})
    assert_error(error, "resume_impossible", None, "r1")
    assert code == Close.UNAUTHENTICATED == 4401
    await assert_visitor_can_still_connect(visitor)


async def test_a_staff_token_does_not_resume_a_visitor_chat(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    hello = {"type": "hello", "v": 1, "token": counsellor.token, "last_seq": 0}
    error, code = await refused_hello(server, "/ws/visitor", hello)
    assert_error(error, "resume_impossible")
    assert code == 4401


async def test_staff_hello_with_a_bad_token_gets_unauthenticated_and_close_4401(
    server: Server,
) -> None:
    counsellor = await Counsellor.demo(server)
    hello = {"type": "hello", "v": 1, "token": counsellor.token + "x", "ref": "s1"}
    error, code = await refused_hello(server, "/ws/staff", hello)
    assert_error(error, "unauthenticated", None, "s1")
    assert code == 4401
    welcome = await counsellor.connect()
    assert welcome["staff"]["id"] == counsellor.id


async def test_a_visitor_resume_token_does_not_open_the_staff_socket(server: Server) -> None:
    visitor = await Visitor.start(server)
    hello = {"type": "hello", "v": 1, "token": visitor.token}
    error, code = await refused_hello(server, "/ws/staff", hello)
    assert_error(error, "unauthenticated")
    assert code == 4401
    await assert_visitor_can_still_connect(visitor)


async def test_a_second_hello_on_a_live_visitor_connection_is_refused_and_it_keeps_working(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    before = await transcript(counsellor, conversation_id)
    hello = {"type": "hello", "v": 1, "token": visitor.token, "last_seq": 0}
    error = await visitor.ws.request(hello)
    assert_error(error, "invalid", "type", error["ref"])
    await visitor.ws.expect_nothing("welcome")
    await assert_visitor_goes_on(visitor, counsellor, conversation_id, before)


async def test_a_second_hello_on_a_live_staff_connection_is_refused_and_it_keeps_working(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    before = await transcript(counsellor, conversation_id)
    error = await counsellor.request({"type": "hello", "v": 1, "token": counsellor.token})
    assert_error(error, "invalid", "type", error["ref"])
    await counsellor.ws.expect_nothing("welcome")
    await assert_counsellor_goes_on(visitor, counsellor, conversation_id, before)


# -- the origin check ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/ws/visitor", "/ws/staff"])
@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "{ours}.evil.example", "null"],
    ids=["foreign", "lookalike", "null"],
)
async def test_a_websocket_from_an_origin_not_allowed_is_refused_at_the_handshake_with_403(
    server: Server, path: str, origin: str
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await Socket.open(server, path, origin=origin.format(ours=server.origin))
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("path", ["/ws/visitor", "/ws/staff"])
async def test_a_websocket_without_an_origin_is_refused_at_the_handshake_with_403(
    server: Server, path: str
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await connect(f"{server.ws_url}{path}", open_timeout=5)
    assert refused.value.response.status_code == 403


async def test_a_refused_origin_leaves_the_visitor_chat_usable(server: Server) -> None:
    visitor = await Visitor.start(server)
    with pytest.raises(InvalidStatus):
        await Socket.open(server, "/ws/visitor", origin="https://evil.example")
    await assert_visitor_can_still_connect(visitor)


# -- the rate limit --------------------------------------------------------------------------------


async def test_bursting_past_frame_burst_gets_rate_limited_and_works_again_after_waiting(
    limited: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(limited)
    before = await transcript(counsellor, conversation_id)

    replies = await visitor.ws.burst([send_frame(f"snel {number}") for number in range(BURST + 2)])

    assert [reply["type"] for reply in replies] == ["ack"] * BURST + ["error"] * 2
    assert [reply["seq"] for reply in replies[:BURST]] == [2, 3, 4]
    for reply in replies[BURST:]:
        assert_error(reply, "rate_limited", None, reply["ref"])
    after = await transcript(counsellor, conversation_id)
    assert [m["seq"] for m in after["messages"]] == [1, 2, 3, 4]
    assert [m["text"] for m in after["messages"][1:]] == ["snel 0", "snel 1", "snel 2"]
    assert after["messages"][0] == before["messages"][0]

    await asyncio.sleep(1.2 / RATE)
    ack = await visitor.say("na even wachten")
    assert ack["seq"] == 5
    await counsellor.ws.expect("message", seq=5, text="na even wachten")


async def test_a_rate_limited_frame_is_answered_and_the_socket_stays_open(
    limited: Server,
) -> None:
    counsellor = await Counsellor.demo(limited)
    await counsellor.connect()
    replies = await counsellor.ws.burst([PING] * (BURST + 1))
    assert [reply["type"] for reply in replies] == ["pong"] * BURST + ["error"]
    assert_error(replies[-1], "rate_limited", None, replies[-1]["ref"])

    await asyncio.sleep(1.2 / RATE)
    assert (await counsellor.request({"type": "ping"}))["type"] == "pong"


async def test_a_client_that_keeps_flooding_past_the_limit_is_closed_with_1008(
    limited: Server,
) -> None:
    visitor = await Visitor.start(limited)
    await visitor.connect()

    # A burst, then MAX_RATE_VIOLATIONS frames past it: each answered, the socket stays open.
    replies = await visitor.ws.burst([PING] * (BURST + MAX_RATE_VIOLATIONS))
    assert [reply["type"] for reply in replies[:BURST]] == ["pong"] * BURST
    for reply in replies[BURST:]:
        assert_error(reply, "rate_limited", None, reply["ref"])

    # One more at once is one violation too many.
    with contextlib.suppress(ConnectionClosed):
        await visitor.ws.send({"type": "ping", "ref": "one-too-many"})
    assert await visitor.ws.close_code() == Close.POLICY == 1008
    await assert_visitor_can_still_connect(visitor)


async def test_a_client_that_pauses_after_rate_limited_frames_is_not_closed_later(
    limited: Server,
) -> None:
    visitor = await Visitor.start(limited)
    await visitor.connect()
    replies = await visitor.ws.burst([PING] * (BURST + MAX_RATE_VIOLATIONS))
    assert [reply["type"] for reply in replies].count("error") == MAX_RATE_VIOLATIONS

    # A frame within budget ends the run of violations: the next refusal starts a new count.
    await asyncio.sleep(1.2 / RATE)
    assert (await visitor.ws.request({"type": "ping"}))["type"] == "pong"
    refused = await visitor.ws.request({"type": "ping"})
    assert_error(refused, "rate_limited", None, refused["ref"])
    await asyncio.sleep(1.2 / RATE)
    assert (await visitor.say("rustig aan"))["seq"] == 1


# -- counsellor frames the chat state refuses ------------------------------------------------------


async def test_counsellor_sending_to_a_chat_held_by_a_colleague_is_forbidden_and_changes_nothing(
    server: Server,
) -> None:
    chat = await ColleaguesChat.start(server)

    await chat.supervisor_is_forbidden(
        {"type": "send", "client_msg_id": new_id(), "text": "Ik meng me erin."}
    )

    await chat.visitor.ws.expect_nothing("message")
    await chat.goes_on()


async def test_counsellor_sending_to_a_waiting_chat_is_forbidden_and_takes_no_seq(
    server: Server,
) -> None:
    visitor = await Visitor.start(server)
    await visitor.connect()
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()

    error = await counsellor.request(
        send_frame("Nog niet aangenomen.", conversation_id=visitor.conversation_id)
    )

    assert_error(error, "forbidden", None, error["ref"])
    await visitor.ws.expect_nothing("message")
    assert await counsellor.accept_next() == visitor.conversation_id
    [joined] = await visitor.receive()
    assert (joined["seq"], joined["text"]) == (1, "counsellor_joined")


async def test_counsellor_sending_to_an_unknown_conversation_gets_not_found(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    frame = {
        "type": "send",
        "conversation_id": new_id(),
        "client_msg_id": new_id(),
        "text": "Hallo?",
    }
    await counsellor_is_refused(visitor, counsellor, conversation_id, frame, "not_found")


async def test_staff_send_without_conversation_id_gets_invalid_error_naming_it(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    frame = {"type": "send", "client_msg_id": new_id(), "text": "Aan wie?"}
    await counsellor_is_refused(
        visitor, counsellor, conversation_id, frame, "invalid", "conversation_id"
    )


async def test_staff_send_with_a_bad_conversation_id_gets_invalid_error_naming_it(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    frame = {
        "type": "send",
        "conversation_id": "../../etc/passwd",
        "client_msg_id": new_id(),
        "text": "Hallo",
    }
    await counsellor_is_refused(
        visitor, counsellor, conversation_id, frame, "invalid", "conversation_id"
    )


async def test_staff_sync_without_conversation_id_gets_invalid_error_naming_it(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    frame = {"type": "sync", "last_seq": 0}
    await counsellor_is_refused(
        visitor, counsellor, conversation_id, frame, "invalid", "conversation_id"
    )


async def test_staff_send_with_empty_text_gets_invalid_error_naming_text(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    frame = send_frame("   ", conversation_id=conversation_id)
    await counsellor_is_refused(visitor, counsellor, conversation_id, frame, "invalid", "text")


async def test_staff_send_longer_than_message_max_chars_gets_too_large(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    frame = {
        "type": "send",
        "conversation_id": conversation_id,
        "client_msg_id": new_id(),
        "text": "a" * (MESSAGE_MAX_CHARS + 1),
    }
    await counsellor_is_refused(visitor, counsellor, conversation_id, frame, "too_large", "text")


async def test_staff_typing_whose_active_is_not_a_bool_gets_invalid_error_naming_it(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    frame = {"type": "typing", "conversation_id": conversation_id, "active": "yes"}
    await counsellor_is_refused(visitor, counsellor, conversation_id, frame, "invalid", "active")
    await visitor.ws.expect_nothing("typing")


async def test_counsellor_sending_after_ending_the_chat_gets_conversation_ended(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    ended = await counsellor.request({"type": "end", "conversation_id": conversation_id})
    assert ended["type"] == "ended"
    await visitor.ws.expect("message", seq=2)
    before = await transcript(counsellor, conversation_id)

    error = await counsellor.request(send_frame("Nog één ding.", conversation_id=conversation_id))

    assert_error(error, "conversation_ended", None, error["ref"])
    await visitor.ws.expect_nothing("message")
    assert await transcript(counsellor, conversation_id) == before


async def test_visitor_sending_after_the_counsellor_ended_the_chat_gets_conversation_ended(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    ended = await counsellor.request({"type": "end", "conversation_id": conversation_id})
    assert ended["type"] == "ended"
    closing = await visitor.ws.expect("message", seq=2)
    assert closing["text"] == "ended_by_counsellor"
    before = await transcript(counsellor, conversation_id)

    error = await visitor.ws.request(send_frame("Ben je er nog?"))

    assert_error(error, "conversation_ended", None, error["ref"])
    await counsellor.ws.expect_nothing("message", conversation_id=conversation_id, seq=3)
    after = await transcript(counsellor, conversation_id)
    assert after == before
    assert after["conversation"]["status"] == "ended"
    assert after["conversation"]["last_seq"] == 2


async def test_visitor_sending_after_ending_the_chat_themselves_gets_conversation_ended(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    ended = await visitor.ws.request({"type": "end"})
    assert ended["type"] == "ended"
    await counsellor.ws.expect("message", conversation_id=conversation_id, seq=2)
    before = await transcript(counsellor, conversation_id)

    error = await visitor.ws.request(send_frame("Toch nog iets"))

    assert_error(error, "conversation_ended", None, error["ref"])
    assert await transcript(counsellor, conversation_id) == before


async def test_note_on_a_chat_held_by_a_colleague_is_forbidden_and_adds_no_note(
    server: Server,
) -> None:
    chat = await ColleaguesChat.start(server)

    await chat.supervisor_is_forbidden(
        {"type": "note", "client_note_id": new_id(), "text": "Mijn notitie bij andermans gesprek"}
    )

    await chat.holder.ws.expect_nothing("note")
    await chat.goes_on()


async def test_note_with_empty_text_gets_invalid_error_and_adds_no_note(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    frame = {
        "type": "note",
        "conversation_id": conversation_id,
        "client_note_id": new_id(),
        "text": " \n ",
    }
    await counsellor_is_refused(visitor, counsellor, conversation_id, frame, "invalid", "text")
    await counsellor.ws.expect_nothing("note")
    assert (await transcript(counsellor, conversation_id))["notes"] == []


async def test_note_longer_than_note_max_chars_gets_too_large_and_adds_no_note(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    before = await transcript(counsellor, conversation_id)
    error = await counsellor.request(
        {
            "type": "note",
            "conversation_id": conversation_id,
            "client_note_id": new_id(),
            "text": "n" * (NOTE_MAX_CHARS + 1),
        }
    )
    assert_error(error, "too_large", "text", error["ref"])
    await assert_counsellor_goes_on(visitor, counsellor, conversation_id, before)
    assert (await transcript(counsellor, conversation_id))["notes"] == []


async def test_accept_next_with_an_empty_queue_gets_queue_empty_and_changes_nothing(
    server: Server,
) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()

    error = await counsellor.request({"type": "accept_next"})

    assert_error(error, "queue_empty", None, error["ref"])
    assert await chats_held(counsellor) == 0
    await counsellor.ws.expect_nothing("assigned")
    visitor = await Visitor.start(server)
    await visitor.connect()
    assert await counsellor.accept_next() == visitor.conversation_id
    [joined] = await visitor.receive()
    assert joined["seq"] == 1


async def test_transfer_to_unknown_staff_gets_not_found_and_changes_nothing(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    frame = {"type": "transfer", "conversation_id": conversation_id, "to_staff_id": new_id()}
    await counsellor_is_refused(visitor, counsellor, conversation_id, frame, "not_found")
    assert await chats_held(counsellor) == 1


async def test_transfer_to_oneself_gets_conflict_and_changes_nothing(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    frame = {"type": "transfer", "conversation_id": conversation_id, "to_staff_id": counsellor.id}
    await counsellor_is_refused(visitor, counsellor, conversation_id, frame, "conflict")
    await counsellor.ws.expect_nothing("unassigned")
    assert await chats_held(counsellor) == 1


async def test_transfer_to_a_researcher_gets_not_found_and_changes_nothing(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    supervisor = await Counsellor.demo(server, "supervisor")
    researcher = await Counsellor.create(server, supervisor, "rita", role="researcher")
    frame = {"type": "transfer", "conversation_id": conversation_id, "to_staff_id": researcher.id}
    await counsellor_is_refused(visitor, counsellor, conversation_id, frame, "not_found")
    assert await chats_held(counsellor) == 1


async def test_transfer_of_a_chat_held_by_a_colleague_is_forbidden_and_changes_nothing(
    server: Server,
) -> None:
    chat = await ColleaguesChat.start(server)
    colleague = await Counsellor.create(server, chat.supervisor, "carla")

    await chat.supervisor_is_forbidden({"type": "transfer", "to_staff_id": colleague.id})

    assert await chats_held(chat.holder) == 1
    assert await chats_held(colleague) == 0
    await chat.goes_on()


async def test_a_colleague_transferring_a_chat_they_do_not_hold_to_themselves_is_forbidden(
    server: Server,
) -> None:
    """Not "you already hold this chat": they do not hold it, and must not be told they do."""
    chat = await ColleaguesChat.start(server)

    await chat.supervisor_is_forbidden({"type": "transfer", "to_staff_id": chat.supervisor.id})

    assert await chats_held(chat.holder) == 1
    assert await chats_held(chat.supervisor) == 0
    await chat.goes_on()


async def test_ending_a_chat_held_by_a_colleague_is_forbidden_and_the_chat_goes_on(
    server: Server,
) -> None:
    chat = await ColleaguesChat.start(server)

    await chat.supervisor_is_forbidden({"type": "end"})

    status = (await transcript(chat.holder, chat.conversation_id))["conversation"]["status"]
    assert status == "active"
    await chat.goes_on()


async def test_a_researchers_staff_hello_is_refused_with_forbidden_and_4403_before_any_queue(
    server: Server,
) -> None:
    visitor = await Visitor.start(server)
    await visitor.connect()
    supervisor = await Counsellor.demo(server, "supervisor")
    researcher = await Counsellor.create(server, supervisor, "rita", role="researcher")
    socket = await Socket.open(server, "/ws/staff")

    error = await socket.request({"type": "hello", "v": 1, "token": researcher.token})

    assert_error(error, "forbidden", None, error["ref"])
    assert await socket.close_code() == Close.FORBIDDEN == 4403
    assert socket.pending == [], "no welcome, no queue: no pseudonym or waiting time"
    assert visitor.pseudonym not in json.dumps(error)
