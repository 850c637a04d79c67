"""WebSocket endpoints for visitors and staff.

A connection: check Origin, accept, wait (bounded) for ``hello``, authenticate,
follow the conversations it may see from the client's last sequence, then
read frames until the client leaves. Every outgoing frame goes through one
:class:`~chatserver.fanout.Outbound`, so replies and fan-out never interleave
and order is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from chatserver.cancellation import shielded
from chatserver.domain import topics
from chatserver.domain.profile import parse_profile
from chatserver.domain.queue import QueueSnapshot
from chatserver.domain.ratelimit import TokenBucket
from chatserver.domain.records import Conversation, Staff, Status
from chatserver.domain.roles import Role, require_chat_role
from chatserver.domain.sources import Held
from chatserver.domain.tokens import token_digest
from chatserver.errors import (
    ChatError,
    Forbidden,
    InvalidInput,
    RateLimited,
    Unauthenticated,
    Unavailable,
)
from chatserver.fanout import Outbound, Overflow
from chatserver.metrics import (
    CONNECTED_SOCKETS,
    DELIVERY_FAILURES,
    GAP_READS,
    MESSAGE_LATENCY,
    SOCKETS_REFUSED,
    Failure,
    GapCause,
)
from chatserver.protocol import frames as f
from chatserver.protocol import server as s
from chatserver.runtime import Runtime
from chatserver.transport.sources import client_source

logger = logging.getLogger("chatserver.ws")

#: Re-check a staff session at least this often while its socket is open.
SESSION_RECHECK_S = 30.0
#: A client that keeps sending past its rate limit this many times in a row is disconnected.
MAX_RATE_VIOLATIONS = 50
#: ``hello`` frames answered ``unavailable`` on one socket before it is closed with 1013.
MAX_HELLO_ATTEMPTS = 5


class Close:
    """Close codes (4000-4999 are ours; see docs/protocol.md)."""

    BAD_HELLO = 4400
    UNAUTHENTICATED = 4401
    FORBIDDEN = 4403
    HELLO_TIMEOUT = 4408
    #: This address has too many sockets open or not yet past ``hello``.
    TOO_MANY_FROM_SOURCE = 4429
    POLICY = 1008
    SERVER_ERROR = 1011
    TRY_AGAIN = 1013


class _Closing(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


class Connection:
    """What visitor and staff sockets share; subclasses handle their own frames."""

    decode = staticmethod(f.decode_visitor_frame)
    #: Who is on this socket, and whose messages it receives (the ``author`` of a frame).
    role = "visitor"
    counterpart = "counsellor"

    def __init__(self, websocket: WebSocket, runtime: Runtime) -> None:
        self.websocket = websocket
        self.runtime = runtime
        self.settings = runtime.settings
        self.outbound = Outbound(
            self._send,
            self._fetch_after,
            max_queue=self.settings.outbound_queue_size,
            delivered=self._delivered,
        )
        self._bucket = TokenBucket(
            self.settings.frames_per_second, self.settings.frame_burst, time.monotonic()
        )
        self._rate_violations = 0
        self._topics: set[str] = set()
        self._following: set[str] = set()
        self._detached = False
        #: A ping's position check is under way: pings never stack up store reads.
        self._checking = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    # -- lifecycle --------------------------------------------------------------------------------

    async def serve(self) -> None:
        origin = self.websocket.headers.get("origin", "").rstrip("/")
        if origin not in self.settings.origins:
            await self.websocket.close(code=Close.POLICY)  # before accept: HTTP 403
            return
        places = self._take_places()
        await self.websocket.accept()
        if isinstance(places, str):
            SOCKETS_REFUSED.labels(places).inc()
            full = Close.TRY_AGAIN if places == "node" else Close.TOO_MANY_FROM_SOURCE
            await self._close(full)
            return
        writer = asyncio.create_task(self.outbound.run())
        sockets = CONNECTED_SOCKETS.labels(self.role)
        sockets.inc()
        try:
            await self._handshake()
            self._release(places[:1])  # past hello: no longer counts as idle
            reader = asyncio.create_task(self._read_frames())
            waiters: set[asyncio.Future[Any]] = {reader, writer, self._closing}
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            reader.cancel()
            code = self._close_code(done, writer)
            if code is not None:
                await self._close(code)
        except _Closing as closing:
            await self._close(closing.code)
        except WebSocketDisconnect:
            pass
        finally:
            self._release(places)
            sockets.dec()
            writer.cancel()
            for task in self._tasks:
                task.cancel()
            await self._detach()

    def _take_places(self) -> list[Held] | str:
        """Places under this socket's limits, or the name of the limit that is full."""
        source = client_source(self.websocket, self.settings)
        if source is None:
            return []
        limits = self.runtime.sources
        now = time.monotonic()
        if self.role == "staff":
            held = limits.staff_prehello.take(source, now)
            return "staff_prehello" if held is None else [held]
        if limits.visitor_sockets.total() >= self.settings.visitor_sockets_max:
            return "node"
        prehello = limits.visitor_prehello.take(source, now)
        if prehello is None:
            return "visitor_prehello"
        socket = limits.visitor_sockets.take(source, now)
        if socket is None:
            prehello.release()
            return "visitor_sockets"
        return [prehello, socket]

    @staticmethod
    def _release(places: list[Held]) -> None:
        for held in places:
            held.release()

    def _close_code(self, done: set[asyncio.Future[Any]], writer: asyncio.Task[None]) -> int | None:
        if self._closing in done:
            return self._closing.result()
        if writer in done and not writer.cancelled() and writer.exception() is not None:
            error = writer.exception()
            if not isinstance(error, WebSocketDisconnect | RuntimeError):
                DELIVERY_FAILURES.labels(Failure.SOCKET_ERROR).inc()
                logger.warning("outbound stream failed", exc_info=error)
                return Close.TRY_AGAIN
        return None

    def close_soon(self, code: int) -> None:
        if not self._closing.done():
            self._closing.set_result(code)

    async def _close(self, code: int) -> None:
        with contextlib.suppress(Exception):
            await self.websocket.close(code=code)

    async def _handshake(self) -> None:
        """Until a ``hello`` is accepted. One refused as ``unavailable`` (the store is
        overloaded or away) leaves the socket open: the client sends it again after a pause."""
        for _ in range(MAX_HELLO_ATTEMPTS):
            try:
                raw = await asyncio.wait_for(self._receive_raw(), self.settings.hello_timeout_s)
            except TimeoutError:
                raise _Closing(Close.HELLO_TIMEOUT) from None
            if raw is None:
                raise WebSocketDisconnect()
            try:
                hello = self.decode(raw, max_bytes=self.settings.frame_max_bytes)
                if not isinstance(hello, f.Hello):
                    raise InvalidInput("the first frame must be 'hello'", field="type")
                await self.on_hello(hello)
                return
            except Unavailable as error:
                await self._send(s.error_frame(error, f.read_ref(raw)))
            except ChatError as error:
                await self._send(s.error_frame(error, f.read_ref(raw)))
                raise _Closing(_hello_close_code(error)) from None
            except Exception as error:
                logger.error("hello handling failed", exc_info=error)
                await self._send(s.error_frame(ChatError(), f.read_ref(raw)))
                raise _Closing(Close.SERVER_ERROR) from None
        raise _Closing(Close.TRY_AGAIN)

    async def _read_frames(self) -> None:
        while (raw := await self._receive_raw()) is not None:
            # A client that leaves cancels this task; a frame half handled would be cut
            # in the middle of its transaction.
            if not await shielded(self._handle(raw)):
                return

    async def _handle(self, raw: str | bytes) -> bool:
        """Handle one frame; ``False`` once the socket must stop reading."""
        try:
            self._check_rate()
            frame = self.decode(raw, max_bytes=self.settings.frame_max_bytes)
            if isinstance(frame, f.Hello):
                raise InvalidInput("already said hello", field="type")
            if isinstance(frame, f.Ping):
                # The keepalive doubles as a position check: no hint can stay lost.
                self._check_positions()
                self.reply(s.pong_frame(frame.ref))
            else:
                await self.on_frame(frame)
        except ChatError as error:
            self.reply(s.error_frame(error, f.read_ref(raw)))
        except Overflow:
            self.close_soon(Close.TRY_AGAIN)
        except Exception as error:
            # A bug, not bad input: say so, close, and let the client resume. The log
            # keeps the type and stack only, never the frame or the exception's text.
            logger.error("frame handling failed", exc_info=error)
            self.reply(s.error_frame(ChatError(), f.read_ref(raw)))
            self.close_soon(Close.SERVER_ERROR)
            return False
        return True

    async def _receive_raw(self) -> str | bytes | None:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            return None
        text: str | None = message.get("text")
        return text if text is not None else bytes(message.get("bytes") or b"")

    def _check_rate(self) -> None:
        if self._bucket.take(time.monotonic()):
            self._rate_violations = 0
            return
        self._rate_violations += 1
        if self._rate_violations > MAX_RATE_VIOLATIONS:
            self.close_soon(Close.POLICY)
        raise RateLimited()

    # -- outbound ---------------------------------------------------------------------------------

    async def _send(self, frame: dict[str, Any]) -> None:
        await self.websocket.send_text(f.encode(frame))

    def _delivered(self, frame: dict[str, Any]) -> None:
        """The other side's message reached this socket: how long since it was stored."""
        if frame.get("author") == self.counterpart:
            stored = datetime.fromisoformat(frame["sent_at"])
            latency = (datetime.now(UTC) - stored).total_seconds()
            MESSAGE_LATENCY.labels(self.role).observe(max(0.0, latency))

    async def _fetch_after(self, conversation_id: str, after: int) -> list[dict[str, Any]]:
        messages = await self.runtime.repository.messages_after(conversation_id, after)
        return [s.message_frame(message) for message in messages]

    def reply(self, frame: dict[str, Any]) -> None:
        try:
            self.outbound.frame(frame)
        except Overflow:
            self.close_soon(Close.TRY_AGAIN)

    def on_event(self, topic: str, event: dict[str, Any]) -> None:
        """A broker event for a topic this socket follows."""
        try:
            if event.get("kind") == "message":
                frame = event["frame"]
                self.outbound.message(frame["conversation_id"], int(event["seq"]), frame)
            elif event.get("kind") == "frame":
                self.outbound.frame(event["frame"])
            else:
                self.on_control(event)
        except Overflow:
            self.close_soon(Close.TRY_AGAIN)

    def on_gap(self, newest: Mapping[str, int]) -> None:
        try:
            self.outbound.recheck(newest)
        except Overflow:
            self.close_soon(Close.TRY_AGAIN)

    def _check_positions(self) -> None:
        if self._following and not self._checking:
            self._checking = True
            self.spawn(self._read_positions())

    async def _read_positions(self) -> None:
        """One read of the followed conversations' newest sequences; only those behind are
        re-read. A store briefly away is asked again at the next ping."""
        GAP_READS.labels(GapCause.CHECK).inc()
        try:
            newest = await shielded(self.runtime.repository.newest_seqs(tuple(self._following)))
        except Unavailable:
            return
        finally:
            self._checking = False
        self.on_gap(newest)

    def on_control(self, event: dict[str, Any]) -> None:
        """Events other than messages and plain frames; staff sockets have some."""

    async def follow(
        self,
        conversation_id: str,
        last_seq: int,
        topic_names: tuple[str, ...],
        announce: dict[str, Any] | None = None,
    ) -> None:
        """Subscribe, then fetch what is missing: nothing published in between is lost.

        ``announce`` is sent first, once, however many paths ask to follow. A frame whose
        handling outlived the socket follows nothing: the socket has left the hub.
        """
        if conversation_id in self._following or self._detached:
            return
        self._following.add(conversation_id)
        if announce is not None:
            self.reply(announce)
        for topic in topic_names:
            self._topics.add(topic)
            await self.runtime.hub.join(topic, self)
        self.outbound.follow(conversation_id, last_seq)

    async def unfollow(self, conversation_id: str, topic_names: tuple[str, ...]) -> None:
        self._following.discard(conversation_id)
        for topic in topic_names:
            self._topics.discard(topic)
            await self.runtime.hub.leave(topic, self)
        self.outbound.unfollow(conversation_id)

    async def _detach(self) -> None:
        self._detached = True
        for topic in tuple(self._topics):
            await self.runtime.hub.leave(topic, self)
        await self.runtime.queue_feed.unwatch(self)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            logger.warning("background work for a socket failed", exc_info=error)

    # -- to be provided by subclasses -------------------------------------------------------------

    async def on_hello(self, hello: f.Hello) -> None:
        raise NotImplementedError

    async def on_frame(self, frame: f.ClientFrame) -> None:
        raise NotImplementedError

    def on_queue(self, snapshot: QueueSnapshot) -> None:
        raise NotImplementedError


class VisitorConnection(Connection):
    conversation: Conversation
    _present = False

    async def on_hello(self, hello: f.Hello) -> None:
        self.conversation = await self.runtime.chat.resume_visitor(hello.token)
        self.reply(s.visitor_welcome(self.conversation, hello.ref))
        await self.follow(
            self.conversation.id,
            min(hello.positions.get("", 0), self.conversation.last_seq),
            (topics.conversation(self.conversation.id),),
        )
        if self.conversation.status is Status.WAITING:
            await self.runtime.queue_feed.watch(self)
        if self.conversation.status is not Status.ENDED:
            await self.runtime.presence.arrived(self.conversation.id)
            self._present = True

    async def _detach(self) -> None:
        await super()._detach()
        if self._present:
            self._present = False
            with contextlib.suppress(ChatError):
                await shielded(self.runtime.presence.left(self.conversation.id))

    def on_queue(self, snapshot: QueueSnapshot) -> None:
        status = snapshot.status_of(self.conversation.id)
        if status is None:
            self.spawn(self.runtime.queue_feed.unwatch(self))
            return
        self.reply(
            s.queue_position_frame(self.conversation.id, status.position, status.estimated_wait_s)
        )

    async def on_frame(self, frame: f.ClientFrame) -> None:
        chat = self.runtime.chat
        conversation_id = self.conversation.id
        match frame:
            case f.Send():
                message = await chat.visitor_send(
                    self.conversation, frame.client_msg_id, frame.text
                )
                self.reply(s.ack_frame(message, frame.ref))
            case f.Typing():
                await chat.visitor_typing(conversation_id, frame.active)
            case f.Profile():
                profile = parse_profile({"age": frame.age, "gender": frame.gender})
                await chat.set_profile(conversation_id, profile)
                self.reply({"type": "profile_saved", "ref": frame.ref})
            case f.Sync():
                self.outbound.resync(conversation_id, frame.last_seq)
            case f.End():
                await chat.end_by_visitor(conversation_id, quick_exit=frame.quick_exit)
                self.reply({"type": "ended", "conversation_id": conversation_id, "ref": frame.ref})


class StaffConnection(Connection):
    decode = staticmethod(f.decode_staff_frame)
    role = "staff"
    counterpart = "visitor"
    staff: Staff
    _token: str
    _touched_at: float

    async def on_hello(self, hello: f.Hello) -> None:
        self.staff = await self.runtime.accounts.authenticate(hello.token)
        # The socket carries the queue and the chats: researchers see neither.
        require_chat_role(self.staff.role)
        self._token = hello.token
        self._touched_at = time.monotonic()
        self.spawn(self._watch_session())
        conversations = await self.runtime.repository.conversations_of(self.staff.id)
        alerts = {
            "escalate_after_s": self.settings.queue_escalate_after_s,
            "away_close_offer_s": self.settings.visitor_away_close_offer_s,
        }
        self.reply(s.staff_welcome(self.staff, conversations, hello.ref, alerts))
        await self.runtime.hub.join(topics.staff(self.staff.id), self)
        self._topics.add(topics.staff(self.staff.id))
        if self.staff.role is Role.SUPERVISOR:
            await self.runtime.hub.join(topics.SUPERVISORS, self)
            self._topics.add(topics.SUPERVISORS)
        for conversation in conversations:
            await self.follow(
                conversation.id,
                min(hello.positions.get(conversation.id, 0), conversation.last_seq),
                _staff_topics(conversation.id),
            )
        await self.runtime.queue_feed.watch(self)

    def on_queue(self, snapshot: QueueSnapshot) -> None:
        self.reply(s.staff_queue_frame(snapshot.waiting))

    def on_control(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "revoked":
            session = event.get("session")
            if session is None or session == token_digest(self._token):
                self.close_soon(Close.UNAUTHENTICATED)
        elif kind == "assigned":
            self.spawn(self._take(event["conversation"]))
        elif kind == "unassigned":
            self.spawn(self._unassigned(str(event["conversation_id"])))

    async def _take(self, summary: dict[str, Any]) -> None:
        conversation_id = str(summary["id"])
        await self.follow(
            conversation_id, 0, _staff_topics(conversation_id), announce=s.assigned_frame(summary)
        )

    async def _unassigned(self, conversation_id: str) -> None:
        await self.unfollow(conversation_id, _staff_topics(conversation_id))
        self.reply(s.unassigned_frame(conversation_id))

    def _session_check_interval(self) -> float:
        return min(SESSION_RECHECK_S, self.settings.staff_idle_timeout_s / 2)

    async def _watch_session(self) -> None:
        """Close the socket once the session times out, even if the console only pings."""
        while True:
            await asyncio.sleep(self._session_check_interval())
            try:
                self.staff = await shielded(
                    self.runtime.accounts.authenticate(self._token, touch=False)
                )
            except Unauthenticated:
                self.close_soon(Close.UNAUTHENTICATED)
                return
            except Unavailable:
                continue  # the store is briefly away; judge the session next time

    async def _mark_activity(self) -> None:
        """A frame from the counsellor is activity: it keeps the session from idling out."""
        if time.monotonic() - self._touched_at < self._session_check_interval() / 2:
            return
        try:
            self.staff = await self.runtime.accounts.authenticate(self._token)
        except Unauthenticated:
            self.close_soon(Close.UNAUTHENTICATED)
            raise
        self._touched_at = time.monotonic()

    async def on_frame(self, frame: f.ClientFrame) -> None:
        await self._mark_activity()
        chat = self.runtime.chat
        match frame:
            case f.Send():
                message = await chat.staff_send(
                    self.staff, frame.conversation_id, frame.client_msg_id, frame.text
                )
                self.reply(s.ack_frame(message, frame.ref))
            case f.Typing():
                await chat.staff_typing(self.staff, frame.conversation_id, frame.active)
            case f.Note():
                note = await chat.add_note(
                    self.staff, frame.conversation_id, frame.client_note_id, frame.text
                )
                self.reply({"type": "note_saved", "note_id": note.id, "ref": frame.ref})
            case f.Accept():
                conversation = await chat.accept_next(self.staff)
                self.reply(
                    {"type": "accepted", "conversation_id": conversation.id, "ref": frame.ref}
                )
                await self._take(s.conversation_summary(conversation))
            case f.Transfer():
                await chat.transfer(self.staff, frame.conversation_id, frame.to_staff_id)
                self.reply(
                    {
                        "type": "transferred",
                        "conversation_id": frame.conversation_id,
                        "ref": frame.ref,
                    }
                )
            case f.End():
                await chat.end_by_staff(self.staff, frame.conversation_id)
                self.reply(
                    {"type": "ended", "conversation_id": frame.conversation_id, "ref": frame.ref}
                )
            case f.Sync():
                self.outbound.resync(frame.conversation_id, frame.last_seq)


def _hello_close_code(error: ChatError) -> int:
    """Unauthenticated: start over; forbidden: not for this role (unavailable: see above)."""
    if isinstance(error, Unauthenticated):
        return Close.UNAUTHENTICATED
    if isinstance(error, Forbidden):
        return Close.FORBIDDEN
    return Close.BAD_HELLO


def _staff_topics(conversation_id: str) -> tuple[str, ...]:
    return (topics.conversation(conversation_id), topics.staff_only(conversation_id))


async def visitor_endpoint(websocket: WebSocket) -> None:
    await VisitorConnection(websocket, websocket.app.state.runtime).serve()


async def staff_endpoint(websocket: WebSocket) -> None:
    await StaffConnection(websocket, websocket.app.state.runtime).serve()
