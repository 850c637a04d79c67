"""The written contract holds: real frames of the real server match docs/protocol.schema.json.

Every frame both pilots receive during a whole chat is recorded raw, off the wire, and
validated against the schema group of its endpoint. The examples in docs/protocol.md are
checked against the schema and, for client frames, against the server's own decoder.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from websockets.exceptions import ConnectionClosed

from chatserver.errors import ChatError
from chatserver.protocol import decode_staff_frame, decode_visitor_frame
from tests.support.pilots import Counsellor, Socket, Visitor, new_id
from tests.support.server import Server

DOCS = Path(__file__).resolve().parents[1] / "docs"
SCHEMA: dict[str, Any] = json.loads((DOCS / "protocol.schema.json").read_text())
PROTOCOL_MD = (DOCS / "protocol.md").read_text()
FRAME_MAX_BYTES = 16 * 1024
#: ```json <Name> blocks in protocol.md: every JSON example names the $defs entry it shows.
EXAMPLE = re.compile(r"^```json[ \t]+(\w+)[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def validator(name: str) -> Draft202012Validator:
    """A validator for one ``$defs`` entry, resolving references inside the whole schema."""
    root = {key: value for key, value in SCHEMA.items() if key != "anyOf"}
    return Draft202012Validator(
        {**root, "$ref": f"#/$defs/{name}"}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def variants(group: str) -> list[str]:
    """The ``$defs`` names a group (``oneOf`` of references) is made of."""
    return [item["$ref"].rsplit("/", 1)[1] for item in SCHEMA["$defs"][group]["oneOf"]]


def variant_of(frame: dict[str, Any], group: str) -> str:
    """The one variant of ``group`` that ``frame`` matches; fails with the schema's reasons."""
    errors = sorted(validator(group).iter_errors(frame), key=lambda e: e.path)
    reasons = [error.message[:300] for error in errors]
    assert not errors, f"{json.dumps(frame)[:300]} does not match {group}: {reasons}"
    [name] = [name for name in variants(group) if validator(name).is_valid(frame)]
    return name


# -- recording what crosses the wire --------------------------------------------------------------


@dataclass
class Wire:
    """Raw text frames per endpoint, in both directions."""

    received: dict[str, list[str]] = field(default_factory=lambda: {"visitor": [], "staff": []})
    sent: dict[str, list[str]] = field(default_factory=lambda: {"visitor": [], "staff": []})


class _Recording:
    """Wraps a client connection; keeps every text frame that passes, then behaves as before."""

    def __init__(self, inner: Any, received: list[str], sent: list[str]) -> None:
        self.inner = inner
        self._received = received
        self._sent = sent

    async def recv(self) -> str:
        raw = await self.inner.recv()
        self._received.append(raw)
        return str(raw)

    async def send(self, message: str | bytes) -> None:
        self._sent.append(message if isinstance(message, str) else message.decode())
        await self.inner.send(message)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> Wire:
    """Every Socket the pilots open from here on records its frames."""
    recorded = Wire()
    original = Socket.open

    async def open_recording(server: Server, path: str, *, origin: str | None = None) -> Socket:
        socket = await original(server, path, origin=origin)
        role = "visitor" if path == "/ws/visitor" else "staff"
        socket.connection = _Recording(  # type: ignore[assignment]
            socket.connection, recorded.received[role], recorded.sent[role]
        )
        return socket

    monkeypatch.setattr(Socket, "open", staticmethod(open_recording))
    return recorded


async def send_unrecorded(socket: Socket, raw: str) -> None:
    """A deliberately malformed frame: sent past the recorder, so it is not taken for a client's."""
    connection = socket.connection
    await (connection.inner if isinstance(connection, _Recording) else connection).send(raw)


async def drain(*sockets: Socket, within: float = 0.3) -> None:
    """Read whatever is still on its way, so trailing frames are recorded too."""
    for socket in sockets:
        try:
            async with asyncio.timeout(within):
                while True:
                    socket.pending.append(json.loads(await socket.connection.recv()))
        except (TimeoutError, ConnectionClosed):
            pass


async def whole_chat(server: Server) -> None:
    """Queue, accept, typing both ways, messages, a note, profile, sync, ping, refused frames,
    transfer, end by the counsellor, and a second visitor who ends the chat herself."""
    first = await Visitor.start(server, age=17, gender="female")
    await first.connect()
    await first.ws.expect("queue", position=1)
    second = await Visitor.start(server)
    await second.connect()
    await second.ws.expect("queue", position=2)
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    await counsellor.ws.expect("queue", length=2)
    supervisor = await Counsellor.demo(server, "supervisor")
    await supervisor.connect()

    conversation_id = await counsellor.accept_next()
    await counsellor.ws.expect("assigned")
    await first.ws.expect("message", text="counsellor_joined")
    await second.ws.expect("queue", position=1)

    await first.ws.send({"type": "typing", "active": True})
    await counsellor.ws.expect("typing", who="visitor", active=True)
    await counsellor.ws.send({"type": "typing", "conversation_id": conversation_id, "active": True})
    await first.ws.expect("typing", who="counsellor", active=True)

    await first.say("Hallo, ik wil iets vertellen")
    await first.ws.expect("message", seq=2)  # the sender's own copy, besides the ack
    await counsellor.ws.expect("message", seq=2)
    await counsellor.say(conversation_id, "Fijn dat je er bent.")
    await first.ws.expect("message", seq=3)
    note = {"type": "note", "conversation_id": conversation_id, "client_note_id": new_id()}
    assert (await counsellor.request({**note, "text": "Eerste contact."}))["type"] == "note_saved"
    await counsellor.ws.expect("note")

    await first.ws.send({"type": "profile", "age": 18, "gender": None, "ref": "profile-1"})
    await first.ws.expect("profile_saved", ref="profile-1")
    await first.ws.send({"type": "sync", "last_seq": 0})
    assert [m["seq"] for m in await first.ws.messages(3)] == [1, 2, 3]
    await first.ws.send({"type": "ping", "ref": "ping-1"})
    await first.ws.expect("pong", ref="ping-1")
    await counsellor.ws.send({"type": "ping"})
    await counsellor.ws.expect("pong")

    await send_unrecorded(first.ws, '{"type": "ping", "colour": "blue", "ref": "bad-1"}')
    assert (await first.ws.expect("error", ref="bad-1"))["field"] == "colour"
    await send_unrecorded(first.ws, '{"type": "send", "text": ')
    await first.ws.expect("error", code="invalid", ref=None)
    too_long = {"type": "send", "client_msg_id": new_id(), "text": "x" * 4001}
    await send_unrecorded(first.ws, json.dumps(too_long))
    await first.ws.expect("error", code="too_large")
    forbidden = {"type": "send", "conversation_id": second.conversation_id, "text": "hoi"}
    refused = await counsellor.request({**forbidden, "client_msg_id": new_id()})
    assert refused["code"] == "forbidden"

    transfer = {"type": "transfer", "conversation_id": conversation_id}
    reply = await counsellor.request({**transfer, "to_staff_id": supervisor.id})
    assert reply["type"] == "transferred"
    await counsellor.ws.expect("unassigned", conversation_id=conversation_id)
    await supervisor.ws.expect("assigned")
    await supervisor.ws.expect("message", text="transferred")
    await first.ws.expect("message", text="transferred")
    ended = await supervisor.request({"type": "end", "conversation_id": conversation_id})
    assert ended["type"] == "ended"
    await first.ws.expect("message", text="ended_by_counsellor")

    second_id = await counsellor.accept_next()
    await second.ws.expect("message", text="counsellor_joined")
    await second.ws.send({"type": "end", "ref": "end-1"})
    await second.ws.expect("ended", ref="end-1")
    await counsellor.ws.expect("message", conversation_id=second_id, text="ended_by_visitor")
    empty = await counsellor.request({"type": "accept_next"})
    assert empty["code"] == "queue_empty"

    await drain(first.ws, second.ws, counsellor.ws, supervisor.ws)
    for socket in (first.ws, second.ws, counsellor.ws, supervisor.ws):
        await socket.close()


# -- live frames -----------------------------------------------------------------------------------


async def test_every_frame_of_a_full_chat_matches_the_schema(server: Server, wire: Wire) -> None:
    await whole_chat(server)

    seen: set[str] = set()
    for role, group in (("visitor", "VisitorServerFrame"), ("staff", "StaffServerFrame")):
        assert wire.received[role], f"no frames recorded on the {role} socket"
        for raw in wire.received[role]:
            seen.add(variant_of(json.loads(raw), group))

    assert seen == set(variants("ServerFrame")), "a documented frame never appeared"


async def test_every_frame_the_pilots_send_in_a_full_chat_matches_the_schema(
    server: Server, wire: Wire
) -> None:
    await whole_chat(server)

    for role, group in (("visitor", "VisitorClientFrame"), ("staff", "StaffClientFrame")):
        assert wire.sent[role]
        for raw in wire.sent[role]:
            variant_of(json.loads(raw), group)


async def test_refused_hellos_get_an_error_frame_matching_the_schema_and_close_4400_or_4401(
    server: Server,
) -> None:
    visitor = await Visitor.start(server)
    cases = [
        ({"type": "hello", "v": 2, "token": visitor.token, "ref": "h1"}, "invalid", 4400),
        ({"type": "ping", "ref": "h2"}, "invalid", 4400),
        (
            {"type": "hello", "v": 1, "token": "no-such-token", "ref": "h3"},
            "resume_impossible",
            4401,
        ),
    ]
    for hello, code, close_code in cases:
        socket = await Socket.open(server, "/ws/visitor")
        await socket.send(hello)
        error = await socket.expect("error")
        assert variant_of(error, "VisitorServerFrame") == "ErrorFrame"
        assert (error["code"], error["ref"]) == (code, hello["ref"])
        assert await socket.close_code() == close_code


async def test_http_bodies_match_the_schema(server: Server) -> None:
    bodies: list[tuple[str, Any]] = []
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        start = await client.post("/api/visitor/chats", json={"age": 16, "gender": "female"})
        bodies.append(("VisitorStartResponse", start.json()))
        refused = await client.post("/api/visitor/chats", json={"age": 0})
        assert refused.status_code == 400
        bodies.append(("HttpError", refused.json()))
        bodies.append(("HealthResponse", (await client.get("/healthz")).json()))
        bodies.append(("VisitorStatusResponse", (await client.get("/api/visitor/status")).json()))

    visitor = Visitor(server, start.json())
    await visitor.connect()
    counsellor = await Counsellor.demo(server)
    supervisor = await Counsellor.demo(server, "supervisor")
    await counsellor.connect()
    conversation_id = await counsellor.accept_next()
    await visitor.say("hallo")
    await counsellor.request(
        {"type": "note", "conversation_id": conversation_id, "client_note_id": "n1", "text": "x"}
    )
    for name, who, path in [
        ("StaffMeResponse", counsellor, "/api/staff/me"),
        ("ColleaguesResponse", counsellor, "/api/staff/colleagues"),
        ("AccountsResponse", supervisor, "/api/staff/accounts"),
        ("ConversationDetailResponse", counsellor, f"/api/staff/conversations/{conversation_id}"),
        ("HttpError", supervisor, f"/api/staff/conversations/{conversation_id}"),
        ("HttpError", counsellor, "/api/staff/accounts"),
    ]:
        bodies.append((name, (await who.http("GET", path)).json()))
    created = await supervisor.http(
        "POST",
        "/api/staff/accounts",
        json={
            "username": "sanne",
            "display_name": "Sanne",
            "role": "counsellor",
            "password": "p" * 12,
        },
    )
    assert created.status_code == 201
    bodies.append(("AccountResponse", created.json()))
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        login = {"username": "sanne", "password": "p" * 12}
        bodies.append(
            ("StaffLoginResponse", (await client.post("/api/staff/login", json=login)).json())
        )

    for name, body in bodies:
        errors = [error.message for error in validator(name).iter_errors(body)]
        assert not errors, f"{name}: {body}: {errors}"
    await visitor.drop()
    await counsellor.ws.close()


# -- documented examples ---------------------------------------------------------------------------


def documented_examples() -> list[tuple[str, str]]:
    return [(name, text) for name, text in EXAMPLE.findall(PROTOCOL_MD)]


def test_every_json_example_in_the_protocol_document_names_a_schema_definition() -> None:
    fences = re.findall(r"^```json(.*)$", PROTOCOL_MD, re.MULTILINE)
    assert fences, "protocol.md has no JSON examples"
    assert len(fences) == len(documented_examples())
    for info in fences:
        assert info.strip() in SCHEMA["$defs"], f"```json{info}: no such $defs entry"


@pytest.mark.parametrize(("name", "text"), documented_examples())
def test_documented_examples_match_the_schema(name: str, text: str) -> None:
    example = json.loads(text)
    errors = [error.message for error in validator(name).iter_errors(example)]
    assert not errors, f"{name}: {errors}"


def _client_examples(group: str) -> list[str]:
    names = {group, *variants(group)}
    return [text for name, text in documented_examples() if name in names]


@pytest.mark.parametrize("text", _client_examples("VisitorClientFrame"))
def test_documented_visitor_frame_examples_are_accepted_by_the_server_decoder(text: str) -> None:
    validator("VisitorClientFrame").validate(json.loads(text))
    decode_visitor_frame(text, max_bytes=FRAME_MAX_BYTES)


@pytest.mark.parametrize("text", _client_examples("StaffClientFrame"))
def test_documented_staff_frame_examples_are_accepted_by_the_server_decoder(text: str) -> None:
    validator("StaffClientFrame").validate(json.loads(text))
    decode_staff_frame(text, max_bytes=FRAME_MAX_BYTES)


def test_every_client_frame_type_has_a_documented_example() -> None:
    documented = {name for name, _ in documented_examples()}
    for group in ("VisitorClientFrame", "StaffClientFrame"):
        missing = set(variants(group)) - documented
        assert not missing, f"{group}: no example for {sorted(missing)}"


# -- the schema is as strict as the server ---------------------------------------------------------

REFUSED_BY_BOTH = [
    ("visitor", {"type": "send", "client_msg_id": "m1", "text": "x", "colour": "blue"}),
    ("visitor", {"type": "send", "text": "x"}),
    ("visitor", {"type": "send", "client_msg_id": "bad id", "text": "x"}),
    ("visitor", {"type": "send", "conversation_id": "c1", "client_msg_id": "m1", "text": "x"}),
    ("visitor", {"type": "typing", "active": "yes"}),
    ("visitor", {"type": "sync", "last_seq": -1}),
    ("visitor", {"type": "sync", "last_seq": True}),
    ("visitor", {"type": "accept_next"}),
    ("visitor", {"type": "note", "client_note_id": "n1", "text": "x"}),
    ("visitor", {"type": "hello", "v": 2, "token": "t"}),
    ("visitor", {"type": "hello", "v": 1, "token": ""}),
    ("visitor", {"type": "hello", "v": 1, "token": "t", "positions": {}}),
    ("visitor", {"type": "profile", "age": "16"}),
    ("visitor", {"type": "ping", "ref": 7}),
    ("visitor", {"type": "ping", "ref": "x" * 65}),
    ("visitor", {"type": "nonsense"}),
    ("staff", {"type": "send", "client_msg_id": "m1", "text": "x"}),
    ("staff", {"type": "typing", "active": True}),
    ("staff", {"type": "end"}),
    ("staff", {"type": "profile", "age": 16}),
    ("staff", {"type": "hello", "v": 1, "token": "t", "last_seq": 3}),
    ("staff", {"type": "hello", "v": 1, "token": "t", "positions": {"not an id": 1}}),
    ("staff", {"type": "hello", "v": 1, "token": "t", "positions": {"c1": -1}}),
    ("staff", {"type": "transfer", "conversation_id": "c1"}),
    ("staff", {"type": "accept_next", "conversation_id": "c1"}),
]


@pytest.mark.parametrize(("role", "frame"), REFUSED_BY_BOTH)
def test_frames_the_server_refuses_are_refused_by_the_schema(
    role: str, frame: dict[str, Any]
) -> None:
    decode = decode_visitor_frame if role == "visitor" else decode_staff_frame
    with pytest.raises(ChatError):
        decode(json.dumps(frame), max_bytes=FRAME_MAX_BYTES)
    group = "VisitorClientFrame" if role == "visitor" else "StaffClientFrame"
    assert not validator(group).is_valid(frame)
