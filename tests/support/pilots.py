"""Pilots: a visitor and a counsellor, each a real WebSocket client of the real server."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.support.server import Server, ready_timeout

TEST_USER_AGENT = "PrivacyProbe/9.9 (test-user-agent-7f3a)"
RECEIVE_TIMEOUT = 5.0


def request_timeout() -> float:
    """httpx's 5 s, scaled like the readiness waits: a loaded machine is slow, not wrong."""
    return ready_timeout(5.0)


class Socket:
    """A WebSocket that keeps frames it was not asked for, so tests can expect in any order."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.pending: list[dict[str, Any]] = []

    @classmethod
    async def open(cls, server: Server, path: str, *, origin: str | None = None) -> Socket:
        connection = await connect(
            f"{server.ws_url}{path}",
            origin=origin or server.origin,  # type: ignore[arg-type]
            user_agent_header=TEST_USER_AGENT,
            open_timeout=5,
        )
        return cls(connection)

    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        await self.connection.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    async def expect(
        self, frame_type: str, timeout: float = RECEIVE_TIMEOUT, **match: Any
    ) -> dict[str, Any]:
        """The first frame of ``frame_type`` whose fields equal ``match``; others are kept."""
        for index, frame in enumerate(self.pending):
            if _matches(frame, frame_type, match):
                return self.pending.pop(index)
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.connection.recv())
                if _matches(frame, frame_type, match):
                    return frame
                self.pending.append(frame)

    async def expect_nothing(self, frame_type: str, within: float = 0.5, **match: Any) -> None:
        try:
            frame = await self.expect(frame_type, timeout=within, **match)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected frame {frame}")

    async def messages(
        self, count: int, conversation_id: str | None = None
    ) -> list[dict[str, Any]]:
        match = {} if conversation_id is None else {"conversation_id": conversation_id}
        return [await self.expect("message", **match) for _ in range(count)]

    async def reply_to(self, ref: str) -> dict[str, Any]:
        """The frame that answers ``ref``, whatever its type; other frames stay pending."""
        async with asyncio.timeout(RECEIVE_TIMEOUT):
            while True:
                for index, frame in enumerate(self.pending):
                    if frame.get("ref") == ref:
                        return self.pending.pop(index)
                self.pending.append(json.loads(await self.connection.recv()))

    async def request(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Send a frame with a fresh ``ref`` and return the reply or error that names it."""
        ref = new_id()
        await self.send({**frame, "ref": ref})
        return await self.reply_to(ref)

    async def burst(self, frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send frames back to back, each with a fresh ``ref``; then the reply to each, in order."""
        refs = [new_id() for _ in frames]
        for frame, ref in zip(frames, refs, strict=True):
            await self.send({**frame, "ref": ref})
        return [await self.reply_to(ref) for ref in refs]

    async def close_code(self, timeout: float = RECEIVE_TIMEOUT) -> int | None:
        """Wait until the server closes the socket; its close code."""
        async with asyncio.timeout(timeout):
            with contextlib.suppress(ConnectionClosed):
                while True:
                    self.pending.append(json.loads(await self.connection.recv()))
        return self.connection.close_code

    async def close(self) -> None:
        await self.connection.close()


def _matches(frame: dict[str, Any], frame_type: str, match: dict[str, Any]) -> bool:
    return frame.get("type") == frame_type and all(frame.get(k) == v for k, v in match.items())


def new_id() -> str:
    return uuid.uuid4().hex


class Visitor:
    def __init__(self, server: Server, start: dict[str, Any]) -> None:
        self.server = server
        self.conversation_id: str = start["conversation_id"]
        self.pseudonym: str = start["pseudonym"]
        self.token: str = start["resume_token"]
        self.socket: Socket | None = None
        self.last_seq = 0

    @classmethod
    async def start(cls, server: Server, **profile: Any) -> Visitor:
        async with httpx.AsyncClient(
            headers={"User-Agent": TEST_USER_AGENT}, timeout=request_timeout()
        ) as client:
            response = await client.post(f"{server.base_url}/api/visitor/chats", json=profile)
        assert response.status_code == 201, response.text
        return cls(server, response.json())

    async def connect(self, last_seq: int | None = None) -> dict[str, Any]:
        self.socket = await Socket.open(self.server, "/ws/visitor")
        seq = self.last_seq if last_seq is None else last_seq
        await self.socket.send({"type": "hello", "v": 1, "token": self.token, "last_seq": seq})
        return await self.socket.expect("welcome")

    async def connect_expecting_refusal(self) -> dict[str, Any]:
        """Connect with a token that no longer works: the error, then close 4401."""
        self.socket = await Socket.open(self.server, "/ws/visitor")
        await self.socket.send({"type": "hello", "v": 1, "token": self.token, "last_seq": 0})
        error = await self.socket.expect("error")
        assert error["code"] == "resume_impossible"
        assert await self.socket.close_code() == 4401
        return error

    @property
    def ws(self) -> Socket:
        assert self.socket is not None, "connect() first"
        return self.socket

    async def say(self, text: str, client_msg_id: str | None = None) -> dict[str, Any]:
        msg_id = client_msg_id or new_id()
        await self.ws.send({"type": "send", "client_msg_id": msg_id, "text": text})
        return await self.ws.expect("ack", client_msg_id=msg_id)

    async def receive(self, count: int = 1) -> list[dict[str, Any]]:
        frames = await self.ws.messages(count)
        self.last_seq = max([self.last_seq, *(frame["seq"] for frame in frames)])
        return frames

    async def drop(self) -> None:
        await self.ws.close()
        self.socket = None


async def login_attempt(
    server: Server, username: str, password: str, **body: Any
) -> httpx.Response:
    """``POST /api/staff/login`` as it comes back; ``headers`` go with the request."""
    headers = body.pop("headers", {})
    async with httpx.AsyncClient(timeout=request_timeout()) as client:
        return await client.post(
            f"{server.base_url}/api/staff/login",
            json={"username": username, "password": password, **body},
            headers=headers,
        )


class Counsellor:
    def __init__(self, server: Server, token: str, staff: dict[str, Any]) -> None:
        self.server = server
        self.token = token
        self.staff = staff
        self.socket: Socket | None = None

    @property
    def id(self) -> str:
        return str(self.staff["id"])

    @classmethod
    async def login(cls, server: Server, username: str, password: str, **body: Any) -> Counsellor:
        response = await login_attempt(server, username, password, **body)
        assert response.status_code == 200, response.text
        body = response.json()
        return cls(server, body["token"], body["staff"])

    @classmethod
    async def demo(cls, server: Server, role: str = "counsellor") -> Counsellor:
        username, password = server.demo_passwords[role]
        return await cls.login(server, username, password)

    @classmethod
    async def create(
        cls, server: Server, supervisor: Counsellor, username: str, role: str = "counsellor"
    ) -> Counsellor:
        password = f"{username}-long-password-1"
        response = await supervisor.http(
            "POST",
            "/api/staff/accounts",
            json={
                "username": username,
                "display_name": username.title(),
                "role": role,
                "password": password,
            },
        )
        assert response.status_code == 201, response.text
        return await cls.login(server, username, password)

    async def http(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async with httpx.AsyncClient(timeout=request_timeout()) as client:
            return await client.request(
                method,
                f"{self.server.base_url}{path}",
                headers={"Authorization": f"Bearer {self.token}"},
                **kwargs,
            )

    async def connect(self, positions: dict[str, int] | None = None) -> dict[str, Any]:
        self.socket = await Socket.open(self.server, "/ws/staff")
        await self.socket.send(
            {"type": "hello", "v": 1, "token": self.token, "positions": positions or {}}
        )
        return await self.socket.expect("welcome")

    @property
    def ws(self) -> Socket:
        assert self.socket is not None, "connect() first"
        return self.socket

    async def accept_next(self) -> str:
        ref = new_id()
        await self.ws.send({"type": "accept_next", "ref": ref})
        accepted = await self.ws.expect("accepted", ref=ref)
        return str(accepted["conversation_id"])

    async def say(self, conversation_id: str, text: str) -> dict[str, Any]:
        msg_id = new_id()
        await self.ws.send(
            {
                "type": "send",
                "conversation_id": conversation_id,
                "client_msg_id": msg_id,
                "text": text,
            }
        )
        return await self.ws.expect("ack", client_msg_id=msg_id)

    async def request(self, frame: dict[str, Any]) -> dict[str, Any]:
        return await self.ws.request(frame)


async def waiting_visitors(server: Server, count: int) -> list[Visitor]:
    """``count`` visitors who start one after the other and connect, in that order."""
    visitors = []
    for _ in range(count):
        visitor = await Visitor.start(server)
        await visitor.connect()
        visitors.append(visitor)
    return visitors


async def in_conversation(server: Server) -> tuple[Visitor, Counsellor, str]:
    """A visitor and the demo counsellor in a chat; both have seen "joined" (seq 1)."""
    visitor = await Visitor.start(server)
    await visitor.connect()
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    conversation_id = await counsellor.accept_next()
    [joined] = await visitor.receive()
    assert joined["seq"] == 1
    await counsellor.ws.expect("message", conversation_id=conversation_id, seq=1)
    return visitor, counsellor, conversation_id
