"""Random sessions of visitors and staff over real sockets: the server keeps its promises.

A Hypothesis state machine drives several visitors and staff members, each over real
WebSockets against one real server, mixing valid frames with malformed ones. Every frame a
client receives is checked as it arrives; after every run the store is read back. The
promises (docs/protocol.md, sections 2 and 6):

- the server never fails: no ``internal`` error, no 1011 or abnormal close, no exception in
  its log, and ``/healthz`` stays ok;
- nobody sees another conversation: a visitor only its own, a staff socket only what it
  follows, and a staff member only what was assigned to them;
- nothing acknowledged is lost: every ack is in the history once, at its ``seq``; the
  history is 1..n without gaps; each socket gets it in order without skipping, also after
  a reconnect that resumes from a position.

The run is bounded by ``SETTINGS``. On failure the seed is in the report: run again with
``--hypothesis-seed=N``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import seed as fix_seed
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from websockets.exceptions import ConnectionClosed

from chatserver.domain.text import clean_text
from chatserver.errors import ChatError, TooLarge
from chatserver.protocol import Hello, decode_staff_frame, decode_visitor_frame
from chatserver.protocol.frames import read_ref
from chatserver.settings import Settings
from tests.support.database import query
from tests.support.pilots import Counsellor, Socket, Visitor, new_id
from tests.support.server import NO_SOURCE_LIMITS, QUICK_HASHING, Server, running, sqlite_server

T = TypeVar("T")

SETTINGS = settings(
    max_examples=20,
    stateful_step_count=50,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
#: Rate limits are tested elsewhere; here they would only make valid frames bounce.
SERVER_ENV = {
    **QUICK_HASHING,
    **NO_SOURCE_LIMITS,
    "FRAMES_PER_SECOND": "10000",
    "FRAME_BURST": "10000",
}
DEFAULTS = Settings()
FRAME_MAX_BYTES = DEFAULTS.frame_max_bytes
CAP = DEFAULTS.max_chats_per_counsellor
REPLY_TIMEOUT = 15.0
#: Chats one run may start, and how many may be open (not ended) at once.
MAX_CHATS = 6
MAX_OPEN_CHATS = 3
MAX_SOCKETS_PER_MEMBER = 2
#: Closes that say the server failed: an unexpected error, or no close frame at all.
ABNORMAL_CLOSES = {1006, 1011}

VISITOR_TYPES = ("welcome", "message", "ack", "error", "typing", "queue", "profile_saved")
VISITOR_TYPES += ("ended", "pong")
#: Frames about one conversation that a staff socket may only get while it follows it.
FOLLOWED_ONLY = ("message", "typing", "note")


class LoopThread:
    """An event loop in a thread of its own: the rules are plain functions, and sockets
    keep answering pings and reading frames while Hypothesis thinks between steps."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, work: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


# -- the model ------------------------------------------------------------------------------------


@dataclass
class Chat:
    """What the test knows about one conversation."""

    id: str
    token: str
    visitor: Client | None = None
    resumable: bool = True
    status: str = "waiting"
    holder: Member | None = None
    #: (author as stored, client_msg_id) -> seq, from acks.
    acks: dict[tuple[str, str], int] = field(default_factory=dict)
    #: (author as stored, client_msg_id) -> every text sent with that id.
    sent: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    #: Visitor messages whose fate the client does not know: resent after the next welcome.
    unsure: set[str] = field(default_factory=set)
    #: seq -> the first message frame anyone received with it.
    seen: dict[int, dict[str, Any]] = field(default_factory=dict)
    visitor_seen: int = 0


@dataclass
class Member:
    """A staff member with a session; may have several sockets (tabs)."""

    id: str
    token: str
    sockets: list[Client] = field(default_factory=list)
    assigned: set[str] = field(default_factory=set)

    @property
    def author(self) -> str:
        return f"staff:{self.id}"

    def open_sockets(self) -> list[Client]:
        return [client for client in self.sockets if client.is_open]


class Client:
    """One real socket. A reader task checks every frame the moment it arrives."""

    def __init__(self, run: Run, socket: Socket, *, chat: Chat | None, member: Member | None):
        self.run = run
        self.socket = socket
        self.chat = chat
        self.member = member
        self.frames: list[dict[str, Any]] = []
        self.replies: dict[str, dict[str, Any]] = {}
        self.hello_positions: dict[str, int] = {}
        self.positions: dict[str, int] = {}
        #: Every conversation this socket was told it follows, by welcome or assigned.
        self.followed: set[str] = set()
        self.close_code: int | None = None
        self.closing_expected: set[int] = set()
        self.changed = asyncio.Event()
        self.closed = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    @property
    def name(self) -> str:
        if self.chat is not None:
            return f"visitor {self.chat.id[:6]}"
        return f"staff {self.member.id[:6]}" if self.member is not None else "a new socket"

    @property
    def is_open(self) -> bool:
        return not self.closed.is_set()

    async def _read(self) -> None:
        try:
            async for raw in self.socket.connection:
                frame = json.loads(raw)
                self.frames.append(frame)
                self._observe(frame)
                if isinstance(frame.get("ref"), str):
                    self.replies[frame["ref"]] = frame
                self.changed.set()
        except ConnectionClosed:
            pass
        finally:
            self.close_code = self.socket.connection.close_code
            if self.close_code in ABNORMAL_CLOSES or (
                self.close_code not in self.closing_expected and self.close_code != 1000
            ):
                self.run.fail(f"{self.name} closed with {self.close_code}")
            self.closed.set()
            self.changed.set()

    # -- checks on every frame ------------------------------------------------------------------

    def _observe(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "error" and frame.get("code") == "internal":
            self.run.fail(f"{self.name} got an internal error: {frame}")
        if self.chat is not None:
            self._observe_as_visitor(frame, self.chat)
        elif self.member is not None:
            self._observe_as_staff(frame)
        if kind == "message":
            self._check_sequence(frame)
            self.run.record_message(frame)

    def _observe_as_visitor(self, frame: dict[str, Any], chat: Chat) -> None:
        kind = frame.get("type")
        if kind not in VISITOR_TYPES:
            self.run.fail(f"a visitor got a {kind} frame: {frame}")
        if "conversation_id" in frame and frame["conversation_id"] != chat.id:
            self.run.fail(f"{self.name} got another conversation's frame: {frame}")
        if kind == "typing" and frame.get("who") != "counsellor":
            self.run.fail(f"a visitor was told that a visitor types: {frame}")
        if kind == "welcome":
            self.follow(chat.id, min(self.hello_positions[chat.id], frame["last_seq"]))
        if kind == "message":
            chat.visitor_seen = max(chat.visitor_seen, frame["seq"])

    def _observe_as_staff(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "welcome":
            for summary in frame["conversations"]:
                position = self.hello_positions.get(summary["id"], 0)
                self.follow(summary["id"], min(position, summary["last_seq"]))
        elif kind == "assigned":
            self.follow(frame["conversation"]["id"], 0)
        elif kind == "unassigned":
            self.positions.pop(frame["conversation_id"], None)
        elif kind in FOLLOWED_ONLY and frame.get("conversation_id") not in self.followed:
            self.run.fail(f"{self.name} got a frame of a conversation it never followed: {frame}")

    def follow(self, conversation_id: str, position: int) -> None:
        self.followed.add(conversation_id)
        self.positions[conversation_id] = position

    def _check_sequence(self, frame: dict[str, Any]) -> None:
        """Per socket, in order and never skipping ahead (repeats after a sync are fine)."""
        position = self.positions.get(frame["conversation_id"])
        if position is None:
            return  # a frame queued before an unassign; the conversation was followed
        if frame["seq"] > position + 1:
            self.run.fail(f"{self.name} skipped from seq {position} to {frame['seq']}")
        self.positions[frame["conversation_id"]] = max(position, frame["seq"])

    # -- talking --------------------------------------------------------------------------------

    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        with contextlib.suppress(ConnectionClosed):
            await self.socket.send(frame)

    async def reply_to(self, ref: str) -> dict[str, Any]:
        """The frame that names ``ref``; the server must answer before it closes."""
        async with asyncio.timeout(REPLY_TIMEOUT):
            while ref not in self.replies:
                if self.closed.is_set():
                    raise AssertionError(f"{self.name} closed ({self.close_code}) unanswered")
                self.changed.clear()
                await self.changed.wait()
        return self.replies.pop(ref)

    async def request(self, frame: dict[str, Any]) -> dict[str, Any]:
        ref = new_id()
        await self.send({**frame, "ref": ref})
        return await self.reply_to(ref)

    async def send_and_settle(self, frame: dict[str, Any] | str | bytes) -> list[dict[str, Any]]:
        """Send, then ping: the server handles one socket's frames in order, so whatever it
        answered to ``frame`` is among the frames that came before the pong."""
        start = len(self.frames)
        await self.send(frame)
        await self.settle()
        return self.frames[start:]

    async def settle(self) -> None:
        """Wait until the server has handled every frame sent so far."""
        pong = await self.request({"type": "ping"})
        if pong["type"] != "pong":
            self.run.fail(f"{self.name} answered a ping with {pong}")

    async def close(self) -> None:
        self.closing_expected.add(1000)
        await self.socket.close()
        await self.closed.wait()


# -- one run of the machine -----------------------------------------------------------------------


class Run:
    """The server's side of the bargain, as seen by every client of one run."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.chats: dict[str, Chat] = {}

    def fail(self, reason: str) -> None:
        self.failures.append(reason)

    def record_message(self, frame: dict[str, Any]) -> None:
        chat = self.chats.get(frame["conversation_id"])
        if chat is None:
            self.fail(f"a message of a conversation this run never started: {frame}")
            return
        first = chat.seen.setdefault(frame["seq"], frame)
        if _content(first) != _content(frame):
            self.fail(f"two different messages with one seq: {first} and {frame}")

    def record_ack(self, chat: Chat, author: str, ack: dict[str, Any]) -> None:
        key = (author, ack["client_msg_id"])
        if ack["conversation_id"] != chat.id:
            self.fail(f"an ack for another conversation: {ack}")
        earlier = chat.acks.setdefault(key, ack["seq"])
        if earlier != ack["seq"]:
            self.fail(f"one client_msg_id acknowledged as seq {earlier} and {ack['seq']}")


def _content(frame: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(frame.get(name) for name in ("kind", "author", "client_msg_id", "text"))


# -- input ----------------------------------------------------------------------------------------

#: Mostly ordinary sentences; sometimes text the server must clean or refuse.
texts = st.sampled_from(
    ["Hallo", "Ik wil iets vertellen.", "Ben je er nog?", " e\u0301 "]
) | st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs", "Cc", "So"]), max_size=40)
bursts = st.lists(texts, min_size=1, max_size=3)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=6,
)
FIELDS = ("type", "ref", "v", "token", "last_seq", "positions", "client_msg_id", "text")
FIELDS += ("active", "age", "gender", "conversation_id", "client_note_id", "to_staff_id")
FIELDS += ("colour",)
TYPES = ("hello", "send", "typing", "profile", "sync", "end", "ping", "note", "accept_next")
TYPES += ("transfer", "welcome", "Send", "")


@st.composite
def mutated_frames(draw: st.DrawFn) -> str:
    """A frame of a known shape with one field removed, replaced or added."""
    frame: dict[str, Any] = {
        "type": draw(st.sampled_from(TYPES)),
        "ref": new_id(),
        "client_msg_id": new_id(),
        "conversation_id": new_id(),
        "text": "hallo",
        "last_seq": 0,
        "active": True,
    }
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(FIELDS))
        if draw(st.booleans()):
            frame.pop(name, None)
        else:
            frame[name] = draw(json_values)
    return json.dumps(frame)


junk_frames = st.one_of(
    mutated_frames(),
    st.binary(max_size=40),
    st.text(max_size=40),
    json_values.map(json.dumps),
    st.sampled_from(
        [
            '{"type":"send","client_msg_id":"x","text":"hoi \\ud800"}',
            '{"type":"ping","ref":"r\\n"}',
            '{"type":"sync","last_seq":1.0}',
            '{"type":"sync","last_seq":9007199254740992}',
            '{"type":"typing","active":1}',
            '{"type":"ping","type":"hello"}',
            "[" * 4000 + "]" * 4000,
            '{"type":"ping"} trailing',
            "NaN",
        ]
    ),
)


def refused(raw: str | bytes, staff: bool) -> ChatError | None:
    """What the server's own decoder says about a frame: the error, or ``None`` if valid."""
    decode = decode_staff_frame if staff else decode_visitor_frame
    try:
        decode(raw, max_bytes=FRAME_MAX_BYTES)
    except ChatError as error:
        return error
    return None


def text_error(text: str, limit: int) -> str | None:
    try:
        clean_text(text, max_chars=limit)
    except ChatError as error:
        return error.code
    return None


# -- the machine ----------------------------------------------------------------------------------


class ChatProtocol(RuleBasedStateMachine):
    """Visitors start chats, staff accept, write, transfer and end them; everyone also
    drops and resumes sockets and sends malformed frames now and then."""

    server: Server
    loop: LoopThread
    staff: tuple[tuple[str, str], ...]

    def __init__(self) -> None:
        super().__init__()
        self.run = Run()
        self.earlier_log_failures = len(self.server.log_failures())
        self.members: list[Member] = []
        self.clients: list[Client] = []

    def go(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run(work)

    @property
    def chats(self) -> list[Chat]:
        return list(self.run.chats.values())

    @property
    def visitors(self) -> list[tuple[Chat, Client]]:
        return [(c, c.visitor) for c in self.chats if c.visitor is not None and c.visitor.is_open]

    @property
    def staff_sockets(self) -> list[tuple[Member, Client]]:
        return [(member, client) for member in self.members for client in member.open_sockets()]

    def has_visitors(self) -> bool:
        return bool(self.visitors)

    def has_staff_and_chats(self) -> bool:
        return bool(self.staff_sockets and self.chats)

    def load(self, member: Member) -> int:
        return sum(1 for chat in self.chats if chat.holder is member and chat.status == "active")

    # -- set-up ---------------------------------------------------------------------------------

    @initialize()
    def start_with_staff_online_and_two_visitors(self) -> None:
        for username, password in self.staff:
            counsellor = self.go(Counsellor.login(self.server, username, password))
            member = Member(counsellor.id, counsellor.token)
            self.members.append(member)
            self.go(self._connect_staff(member, positions={}))
        self.visitor_starts_a_chat(age=None)
        self.visitor_starts_a_chat(age=16)

    async def _open(self, path: str, *, chat: Chat | None, member: Member | None) -> Client:
        client = Client(self.run, await Socket.open(self.server, path), chat=chat, member=member)
        self.clients.append(client)
        return client

    async def _connect_staff(self, member: Member, positions: dict[str, int]) -> None:
        client = await self._open("/ws/staff", chat=None, member=member)
        member.sockets.append(client)
        client.hello_positions = positions
        welcome = await client.request(
            {"type": "hello", "v": 1, "token": member.token, "positions": positions}
        )
        assert welcome["type"] == "welcome", welcome
        held = {chat.id for chat in self.chats if chat.holder is member and chat.status == "active"}
        assert {c["id"] for c in welcome["conversations"]} == held, "welcome lists other chats"

    async def _connect_visitor(self, chat: Chat, last_seq: int) -> None:
        if chat.visitor is not None and chat.visitor.is_open:
            await chat.visitor.close()
        client = await self._open("/ws/visitor", chat=chat, member=None)
        client.hello_positions = {chat.id: last_seq}
        if not chat.resumable:
            client.closing_expected.add(4401)
        reply = await client.request(
            {"type": "hello", "v": 1, "token": chat.token, "last_seq": last_seq}
        )
        if not chat.resumable:
            assert reply.get("code") == "resume_impossible", reply
            await client.closed.wait()
            assert client.close_code == 4401
            return
        assert reply["type"] == "welcome", reply
        assert (reply["conversation_id"], reply["status"]) == (chat.id, chat.status), reply
        chat.visitor = client
        for message_id in sorted(chat.unsure):
            text = chat.sent[("visitor", message_id)][-1]
            await self._send(client, chat, "visitor", message_id, text, {})

    # -- visitors -------------------------------------------------------------------------------

    @precondition(
        lambda self: (
            len(self.run.chats) < MAX_CHATS
            and sum(chat.status != "ended" for chat in self.run.chats.values()) < MAX_OPEN_CHATS
        )
    )
    @rule(age=st.none() | st.integers(1, 120))
    def visitor_starts_a_chat(self, age: int | None) -> None:
        visitor = self.go(Visitor.start(self.server, **({} if age is None else {"age": age})))
        chat = Chat(visitor.conversation_id, visitor.token)
        self.run.chats[chat.id] = chat
        self.go(self._connect_visitor(chat, 0))

    @rule(pick=st.integers(0, MAX_CHATS), offset=st.integers(-3, 3))
    def visitor_reconnects(self, pick: int, offset: int) -> None:
        chat = self.chats[pick % len(self.chats)]
        self.go(self._connect_visitor(chat, max(0, chat.visitor_seen + offset)))

    def _visitor(self, pick: int) -> tuple[Chat, Client]:
        return self.visitors[pick % len(self.visitors)]

    @precondition(has_visitors)
    @rule(pick=st.integers(0, MAX_CHATS), burst=bursts)
    def visitor_writes(self, pick: int, burst: list[str]) -> None:
        chat, client = self._visitor(pick)
        self.go(self._send_all(client, chat, "visitor", burst, {}))

    async def _send_all(
        self, client: Client, chat: Chat, author: str, burst: list[str], extra: dict[str, Any]
    ) -> None:
        """Several sends back to back, without waiting for each ack."""
        await asyncio.gather(
            *(self._send(client, chat, author, new_id(), text, extra) for text in burst)
        )

    @precondition(has_visitors)
    @rule(pick=st.integers(0, MAX_CHATS), text=texts)
    def visitor_writes_and_loses_the_connection(self, pick: int, text: str) -> None:
        """The ack may or may not have been sent: the client must resend after resuming."""
        chat, client = self._visitor(pick)
        message_id = new_id()
        chat.sent.setdefault(("visitor", message_id), []).append(text)
        chat.unsure.add(message_id)
        self.go(client.send({"type": "send", "client_msg_id": message_id, "text": text}))
        self.go(client.close())

    @precondition(lambda self: any(chat.sent for chat in self.run.chats.values()))
    @rule(pick=st.integers(0, 50), text=texts)
    def someone_resends_with_the_same_id(self, pick: int, text: str) -> None:
        sent = [(chat, key) for chat in self.chats for key in chat.sent]
        chat, (author, message_id) = sent[pick % len(sent)]
        if author == "visitor":
            client = chat.visitor if chat.visitor is not None and chat.visitor.is_open else None
            extra: dict[str, Any] = {}
        else:
            [member] = [m for m in self.members if m.author == author]
            client = next(iter(member.open_sockets()), None)
            extra = {"conversation_id": chat.id}
        if client is not None:
            self.go(self._send(client, chat, author, message_id, text, extra))

    async def _send(
        self,
        client: Client,
        chat: Chat,
        author: str,
        message_id: str,
        text: str,
        extra: dict[str, Any],
    ) -> None:
        key = (author, message_id)
        stored_before = key in chat.acks
        chat.sent.setdefault(key, []).append(text)
        frame = {"type": "send", "client_msg_id": message_id, "text": text, **extra}
        reply = await client.request(frame)
        chat.unsure.discard(message_id)
        if reply["type"] == "ack":
            self.run.record_ack(chat, author, reply)
            return
        code = reply.get("code")
        if problem := text_error(text, DEFAULTS.message_max_chars):
            assert code == problem, reply  # a resend must be a valid frame too
        elif stored_before:
            self.run.fail(f"a resend of a stored message was refused: {reply}")
        elif author == "visitor":
            assert (code, chat.status) == ("conversation_ended", "ended"), reply
        else:
            holds = chat.holder is not None and chat.holder.author == author
            assert not holds or chat.status != "active", reply
            assert code in ("forbidden", "conversation_ended"), reply

    @precondition(has_visitors)
    @rule(pick=st.integers(0, MAX_CHATS), active=st.booleans())
    def visitor_types(self, pick: int, active: bool) -> None:
        self.go(self._silent(self._visitor(pick)[1], {"type": "typing", "active": active}))

    @precondition(has_visitors)
    @rule(pick=st.integers(0, MAX_CHATS), back=st.integers(0, 5))
    def visitor_asks_for_a_resync(self, pick: int, back: int) -> None:
        chat, client = self._visitor(pick)
        last_seq = max(0, chat.visitor_seen - back)
        self.go(self._silent(client, {"type": "sync", "last_seq": last_seq}))

    async def _silent(self, client: Client, frame: dict[str, Any]) -> None:
        """A frame without a reply: nothing but a pong may answer it."""
        errors = [f for f in await client.send_and_settle(frame) if f["type"] == "error"]
        if errors:
            self.run.fail(f"{frame['type']} was refused: {errors}")

    @precondition(has_visitors)
    @rule(
        pick=st.integers(0, MAX_CHATS),
        age=st.none() | st.integers(-2, 125),
        gender=st.sampled_from([None, "female", "male", "neutral", "x"]),
    )
    def visitor_gives_a_profile(self, pick: int, age: int | None, gender: str | None) -> None:
        client = self._visitor(pick)[1]
        reply = self.go(client.request({"type": "profile", "age": age, "gender": gender}))
        valid = (age is None or 1 <= age <= 120) and gender != "x"
        assert reply["type"] == ("profile_saved" if valid else "error"), reply

    @precondition(has_visitors)
    @rule(pick=st.integers(0, MAX_CHATS))
    def visitor_ends_the_chat(self, pick: int) -> None:
        chat, client = self._visitor(pick)
        reply = self.go(client.request({"type": "end"}))
        assert reply["type"] == "ended", reply
        chat.status, chat.resumable = "ended", False

    @rule(pick=st.integers(0, MAX_CHATS))
    def visitor_leaves_by_quick_exit(self, pick: int) -> None:
        chat = self.chats[pick % len(self.chats)]
        status = self.go(self._quick_exit(chat))
        assert status == (204 if chat.resumable else 401), status
        chat.status, chat.resumable = "ended", False

    async def _quick_exit(self, chat: Chat) -> int:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{self.server.base_url}/api/visitor/exit",
                headers={"Authorization": f"Bearer {chat.token}"},
            )
        return response.status_code

    # -- staff ----------------------------------------------------------------------------------

    @rule(pick=st.integers(0, 2), resume=st.booleans())
    def staff_member_opens_a_socket(self, pick: int, resume: bool) -> None:
        member = self.members[pick % len(self.members)]
        if len(member.open_sockets()) >= MAX_SOCKETS_PER_MEMBER:
            self.go(member.open_sockets()[0].close())
        positions: dict[str, int] = {}
        if resume:
            for client in member.sockets:
                for conversation_id, seq in client.positions.items():
                    positions[conversation_id] = max(seq, positions.get(conversation_id, 0))
        self.go(self._connect_staff(member, positions))

    def _staff(self, pick: int, chat_pick: int) -> tuple[Member, Client, Chat]:
        """A staff socket and a chat, the member's own active chats first."""
        member, client = self.staff_sockets[pick % len(self.staff_sockets)]
        chats = sorted(self.chats, key=lambda c: not (c.holder is member and c.status == "active"))
        return member, client, chats[chat_pick % len(chats)]

    @precondition(lambda self: self.staff_sockets)
    @rule(pick=st.integers(0, 5))
    def staff_socket_drops(self, pick: int) -> None:
        self.go(self.staff_sockets[pick % len(self.staff_sockets)][1].close())

    @precondition(lambda self: self.staff_sockets)
    @rule(pick=st.integers(0, 5))
    def staff_accepts_the_next_visitor(self, pick: int) -> None:
        member, client = self.staff_sockets[pick % len(self.staff_sockets)]
        waiting = [chat.id for chat in self.chats if chat.status == "waiting"]
        holding = self.load(member)
        reply = self.go(client.request({"type": "accept_next"}))
        if holding >= CAP:
            assert reply.get("code") == "at_capacity", reply
        elif not waiting:
            assert reply.get("code") == "queue_empty", reply
        else:
            assert reply["type"] == "accepted", reply
            assert reply["conversation_id"] in waiting, reply
            self._assign(self.run.chats[reply["conversation_id"]], member)

    def _assign(self, chat: Chat, member: Member) -> None:
        chat.holder, chat.status = member, "active"
        member.assigned.add(chat.id)

    @precondition(has_staff_and_chats)
    @rule(pick=st.integers(0, 5), chat_pick=st.integers(0, MAX_CHATS), burst=bursts)
    def staff_writes(self, pick: int, chat_pick: int, burst: list[str]) -> None:
        member, client, chat = self._staff(pick, chat_pick)
        extra = {"conversation_id": chat.id}
        self.go(self._send_all(client, chat, member.author, burst, extra))

    @precondition(has_staff_and_chats)
    @rule(pick=st.integers(0, 5), chat_pick=st.integers(0, MAX_CHATS), text=texts)
    def staff_writes_a_note(self, pick: int, chat_pick: int, text: str) -> None:
        member, client, chat = self._staff(pick, chat_pick)
        frame = {"type": "note", "conversation_id": chat.id, "client_note_id": new_id()}
        reply = self.go(client.request({**frame, "text": text}))
        if chat.holder is member and not text_error(text, DEFAULTS.note_max_chars):
            assert reply["type"] == "note_saved", reply
        else:
            assert reply["type"] == "error", reply

    @precondition(has_staff_and_chats)
    @rule(pick=st.integers(0, 5), chat_pick=st.integers(0, MAX_CHATS), active=st.booleans())
    def staff_types(self, pick: int, chat_pick: int, active: bool) -> None:
        _, client, chat = self._staff(pick, chat_pick)
        frame = {"type": "typing", "conversation_id": chat.id, "active": active}
        self.go(self._silent(client, frame))

    @precondition(has_staff_and_chats)
    @rule(pick=st.integers(0, 5), chat_pick=st.integers(0, MAX_CHATS), back=st.integers(0, 5))
    def staff_asks_for_a_resync(self, pick: int, chat_pick: int, back: int) -> None:
        _, client, chat = self._staff(pick, chat_pick)
        last_seq = max(0, client.positions.get(chat.id, 0) - back)
        frame = {"type": "sync", "conversation_id": chat.id, "last_seq": last_seq}
        self.go(self._silent(client, frame))

    @precondition(has_staff_and_chats)
    @rule(pick=st.integers(0, 5), chat_pick=st.integers(0, MAX_CHATS), to=st.integers(0, 2))
    def staff_transfers_a_chat(self, pick: int, chat_pick: int, to: int) -> None:
        member, client, chat = self._staff(pick, chat_pick)
        target = self.members[to % len(self.members)]
        frame = {"type": "transfer", "conversation_id": chat.id, "to_staff_id": target.id}
        possible = chat.holder is member and chat.status == "active"
        possible = possible and target is not member and self.load(target) < CAP
        reply = self.go(client.request(frame))
        if possible:
            assert reply["type"] == "transferred", reply
            self._assign(chat, target)
        else:
            assert reply["type"] == "error", reply

    @precondition(has_staff_and_chats)
    @rule(pick=st.integers(0, 5), chat_pick=st.integers(0, MAX_CHATS))
    def staff_ends_a_chat(self, pick: int, chat_pick: int) -> None:
        member, client, chat = self._staff(pick, chat_pick)
        reply = self.go(client.request({"type": "end", "conversation_id": chat.id}))
        if chat.holder is member and chat.status == "active":
            assert reply["type"] == "ended", reply
            # A staff end kills the visitor's resume token (docs/privacy.md).
            chat.status, chat.resumable = "ended", False
        else:
            assert reply["type"] == "error", reply

    # -- malformed input ------------------------------------------------------------------------

    def _any_client(self, pick: int) -> Client:
        open_clients = [client for client in self.clients if client.is_open]
        return open_clients[pick % len(open_clients)]

    def has_sockets(self) -> bool:
        return any(client.is_open for client in self.clients)

    @precondition(has_sockets)
    @rule(pick=st.integers(0, 10), raw=junk_frames)
    def someone_sends_a_malformed_frame(self, pick: int, raw: str | bytes) -> None:
        client = self._any_client(pick)
        if (error := refused(raw, staff=client.member is not None)) is None:
            return
        answers = self.go(client.send_and_settle(raw))
        errors = [frame for frame in answers if frame["type"] == "error"]
        codes = [(frame["code"], frame["ref"]) for frame in errors]
        assert codes == [(error.code, read_ref(raw))], f"{raw!r} was answered with {errors}"

    @precondition(has_sockets)
    @rule(pick=st.integers(0, 10), fits=st.booleans())
    def someone_sends_an_oversized_frame(self, pick: int, fits: bool) -> None:
        """Over the frame limit: refused; over the WebSocket limit too: the socket closes."""
        client = self._any_client(pick)
        size = FRAME_MAX_BYTES + 10 if fits else 4 * FRAME_MAX_BYTES + 10
        raw = json.dumps({"type": "ping", "ref": "big", "pad": "x" * size})
        if not fits:
            client.closing_expected.add(1009)
        self.go(client.send(raw))
        if fits:
            reply = self.go(client.reply_to("big"))
            assert reply.get("code") == TooLarge.code, reply
        else:
            self.go(client.closed.wait())

    @rule(staff=st.booleans(), raw=junk_frames | st.builds(lambda: json.dumps(_hello())))
    def someone_opens_a_socket_with_a_bad_hello(self, staff: bool, raw: str | bytes) -> None:
        """One error frame, then the close code of section 2.5."""
        expected = _hello_refusal(raw, staff)
        path = "/ws/staff" if staff else "/ws/visitor"
        client = self.go(self._open(path, chat=None, member=None))
        client.closing_expected.add(expected[1])
        self.go(client.send(raw))
        self.go(client.closed.wait())
        errors = [(frame["code"], client.close_code) for frame in client.frames]
        assert errors == [expected], f"{raw!r} was answered with {client.frames}"

    # -- what must hold after every step --------------------------------------------------------

    @invariant()
    def no_failure_was_seen(self) -> None:
        assert not self.run.failures, self.run.failures

    @invariant()
    def staff_sockets_follow_only_what_was_assigned(self) -> None:
        for member in self.members:
            for client in member.sockets:
                assert client.followed <= member.assigned, (client.followed, member.assigned)

    def teardown(self) -> None:
        try:
            self.go(self._settle_everyone())
            for chat in self.chats:
                self._check_history(chat)
                if chat.resumable:
                    self.go(self._check_resume(chat))
            self.no_failure_was_seen()
            self._check_server()
        finally:
            self.go(self._clean_up())

    async def _settle_everyone(self) -> None:
        await asyncio.gather(*(client.settle() for client in self.clients if client.is_open))

    def _check_history(self, chat: Chat) -> None:
        """The store holds 1..n, each acked message once at its seq, as everyone saw it."""
        rows = query(
            self.server,
            "SELECT seq, author, client_msg_id, kind, body FROM messages"
            " WHERE conversation_id = ? ORDER BY seq",
            chat.id,
        )
        [(last_seq,)] = query(
            self.server, "SELECT last_seq FROM conversations WHERE id = ?", chat.id
        )
        assert [row[0] for row in rows] == list(range(1, last_seq + 1)), "gap in the sequence"
        by_seq = {
            seq: (author, client_msg_id, kind, body)
            for seq, author, client_msg_id, kind, body in rows
        }
        ids = [(author, cid) for author, cid, _, _ in by_seq.values() if cid is not None]
        assert len(ids) == len(set(ids)), "one client_msg_id stored twice"
        for (author, message_id), seq in chat.acks.items():
            stored_author, stored_id, _, body = by_seq[seq]
            assert (stored_author, stored_id) == (author, message_id), f"ack {seq} lost"
            sent = {
                clean_text(t, max_chars=10**6)
                for t in chat.sent[(author, message_id)]
                if not text_error(t, 10**6)
            }
            assert body in sent, f"seq {seq} holds a text that was never sent with its id"
        for seq, frame in chat.seen.items():
            _, stored_id, kind, _ = by_seq[seq]
            assert (frame["client_msg_id"], frame["kind"]) == (stored_id, kind), frame

    async def _check_resume(self, chat: Chat) -> None:
        """Resuming from 0 on a fresh socket gives the whole history, in order."""
        client = await self._open("/ws/visitor", chat=chat, member=None)
        client.hello_positions = {chat.id: 0}
        welcome = await client.request(
            {"type": "hello", "v": 1, "token": chat.token, "last_seq": 0}
        )
        assert welcome["type"] == "welcome", welcome
        async with asyncio.timeout(REPLY_TIMEOUT):
            while client.positions[chat.id] < welcome["last_seq"]:
                client.changed.clear()
                await client.changed.wait()
        seqs = [frame["seq"] for frame in client.frames if frame["type"] == "message"]
        assert seqs == list(range(1, welcome["last_seq"] + 1)), seqs

    def _check_server(self) -> None:
        response = httpx.get(f"{self.server.base_url}/healthz", timeout=REPLY_TIMEOUT)
        assert response.json() == {"status": "ok"}, response.text
        failures = self.server.log_failures()[self.earlier_log_failures :]
        assert failures == [], failures

    async def _clean_up(self) -> None:
        """End every chat so the next run starts with an empty queue and free counsellors."""
        for chat in self.chats:
            if chat.resumable:
                await self._quick_exit(chat)
        for client in self.clients:
            if client.is_open:
                await client.close()
            client.reader.cancel()


def _hello() -> dict[str, Any]:
    return {"type": "hello", "v": 1, "token": new_id()}


def _hello_refusal(raw: str | bytes, staff: bool) -> tuple[str, int]:
    """The error code and close code a first frame that cannot open a session gets."""
    decode = decode_staff_frame if staff else decode_visitor_frame
    try:
        frame = decode(raw, max_bytes=FRAME_MAX_BYTES)
    except ChatError as error:
        return error.code, 4400
    if not isinstance(frame, Hello):
        return "invalid", 4400
    return ("unauthenticated" if staff else "resume_impossible"), 4401


# -- the test -------------------------------------------------------------------------------------


@pytest.fixture
def fuzz_server(tmp_path: Path) -> Iterator[Server]:
    with running(sqlite_server(tmp_path, **SERVER_ENV)) as server:
        yield server


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    loop = LoopThread()
    try:
        yield loop
    finally:
        loop.close()


@pytest.mark.timeout(600)  # a passing run takes seconds; shrinking a failure takes longer
def test_random_sessions_never_crash_the_server_leak_a_chat_or_lose_an_ack(
    fuzz_server: Server, loop_thread: LoopThread, request: pytest.FixtureRequest
) -> None:
    supervisor = loop_thread.run(Counsellor.demo(fuzz_server, "supervisor"))
    loop_thread.run(Counsellor.create(fuzz_server, supervisor, "tweede"))
    run_seed = int(request.config.getoption("hypothesis_seed") or random.getrandbits(32))

    class Machine(ChatProtocol):
        server = fuzz_server
        loop = loop_thread
        staff = (
            fuzz_server.demo_passwords["counsellor"],
            fuzz_server.demo_passwords["supervisor"],
            ("tweede", "tweede-long-password-1"),
        )

    try:
        run_state_machine_as_test(fix_seed(run_seed)(Machine), settings=SETTINGS)
    except BaseException as failure:
        failure.add_note(f"Run again with: pytest {__file__} --hypothesis-seed={run_seed}")
        raise
