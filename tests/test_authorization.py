"""The authorization matrix of docs/security.md, complete and true against a real server.

The table in the document is the one source: this test parses it, checks that every route of
``create_app`` and every WebSocket message type has a row, and walks every cell as its role,
each with a fresh session or chat, so that no cell depends on another.

Quote cells run deduce in the server: it loads once, from the cache the other tests use
(seconds, about a gigabyte), on the first quote of the walk.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from chatserver.app import create_app
from chatserver.protocol.frames import STAFF_FRAME_TYPES, VISITOR_FRAME_TYPES
from chatserver.settings import Settings
from tests.support.metrics import METRICS_TOKEN, WITH_METRICS
from tests.support.pilots import Counsellor, Socket, Visitor, new_id
from tests.support.referrals import PROPOSAL
from tests.support.server import (
    DEDUCE_CACHE,
    NO_SOURCE_LIMITS,
    QUICK_HASHING,
    ROOT,
    Server,
    free_port,
    sqlite_server,
)
from triage.research.deidentify.engine import ensure_cache
from triage.research.export.build import FIRST_YEAR
from triage.research.export.jobs import EXPORTERS

DOCUMENT = ROOT / "docs" / "security.md"
ROLES = ("anonymous", "visitor", "counsellor", "supervisor", "researcher")
VERDICTS = {"yes", "401", "403"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
FRAME_TYPES = {"/ws/visitor": VISITOR_FRAME_TYPES, "/ws/staff": STAFF_FRAME_TYPES}
#: The first quote of the walk waits for the server to load deduce.
LOAD_TIMEOUT = 300.0
pytestmark = pytest.mark.timeout(LOAD_TIMEOUT)
#: Every chat of the walk: "counsellor_joined", then the holder's greeting, a typed message.
GREETING_SEQ = 2

#: Bodies, frames and (for GET) query parameters for the rows whose input must be valid before
#: authorization is checked, or that would not reach it without one. "{name}" is filled in as
#: for a path parameter.
EXAMPLES: dict[str, dict[str, Any]] = {
    "POST /api/research/exports": {"year": FIRST_YEAR, "level": "person", "format": "csv"},
    "POST /api/research/reports": {"year": FIRST_YEAR},
    "GET /api/research/quotes": {"year": datetime.now(UTC).year},
    "POST /api/triage/conversations/{conversation_id}/quotes": {"seq": GREETING_SEQ},
    "POST /api/triage/conversations/{conversation_id}/referrals": PROPOSAL,
    "POST /api/visitor/referrals/{rid}/consent": {"consent": True},
    "PUT /api/staff/work": {"mode": "auto"},
    "WS /ws/visitor send": {"client_msg_id": "{new}", "text": "hallo"},
    "WS /ws/visitor typing": {"active": True},
    "WS /ws/visitor profile": {"age": 16},
    "WS /ws/visitor sync": {"last_seq": 0},
    "WS /ws/staff send": {
        "conversation_id": "{conversation_id}",
        "client_msg_id": "{new}",
        "text": "hallo",
    },
    "WS /ws/staff typing": {"conversation_id": "{conversation_id}", "active": True},
    "WS /ws/staff note": {
        "conversation_id": "{conversation_id}",
        "client_note_id": "{new}",
        "text": "notitie",
    },
    "WS /ws/staff transfer": {"conversation_id": "{conversation_id}", "to_staff_id": "{colleague}"},
    "WS /ws/staff end": {"conversation_id": "{conversation_id}"},
    "WS /ws/staff sync": {"conversation_id": "{conversation_id}", "last_seq": 0},
}


# -- the table ----------------------------------------------------------------------------------


def read_matrix(document: Path = DOCUMENT) -> dict[str, dict[str, str]]:
    """Endpoint -> role -> verdict, from the table between the matrix markers."""
    text = document.read_text()
    table = text.split("<!-- authorization-matrix:start -->")[1]
    table = table.split("<!-- authorization-matrix:end -->")[0]
    matrix: dict[str, dict[str, str]] = {}
    for line in table.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        endpoint = cells[0].strip("`")
        assert endpoint not in matrix, f"two rows for {endpoint}"
        matrix[endpoint] = dict(zip(ROLES, cells[1 : 1 + len(ROLES)], strict=True))
    return matrix


MATRIX = read_matrix()


def app_endpoints() -> set[str]:
    """Every HTTP route (method and path) and WebSocket message type the application serves."""
    return set(_endpoints(create_app(Settings()).routes, ""))


def _endpoints(routes: list[BaseRoute], prefix: str) -> Iterator[str]:
    for route in routes:
        if isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                yield f"{method} {prefix}{route.path}"
        elif isinstance(route, WebSocketRoute):
            path = f"{prefix}{route.path}"
            assert path in FRAME_TYPES, f"tell this test which frames {path} accepts"
            yield from (f"WS {path} {kind}" for kind in FRAME_TYPES[path])
        elif isinstance(route, Mount) and route.routes:
            yield from _endpoints(route.routes, f"{prefix}{route.path}")
        elif isinstance(route, Mount):
            yield f"GET {prefix}{route.path}/"
        else:
            raise AssertionError(f"a route of a kind this test does not know: {route!r}")


def test_every_route_and_websocket_message_type_has_a_row_in_the_matrix() -> None:
    missing = app_endpoints() - MATRIX.keys()
    assert not missing, f"add these rows to the matrix in docs/security.md: {sorted(missing)}"


def test_every_row_of_the_matrix_names_a_route_or_message_type_that_exists() -> None:
    stale = MATRIX.keys() - app_endpoints()
    assert not stale, f"rows in docs/security.md for nothing the app serves: {sorted(stale)}"


def test_every_cell_of_the_matrix_is_yes_401_or_403() -> None:
    odd = {(e, r, v) for e, row in MATRIX.items() for r, v in row.items() if v not in VERDICTS}
    assert not odd, odd


# -- the world the cells are tried in ---------------------------------------------------------


@dataclass
class Actor:
    role: str
    #: The bearer token the role holds: a resume token, a session token, or none.
    token: str | None = None
    staff: Counsellor | None = None
    visitor: Visitor | None = None
    #: Who holds the chats made for this actor: itself if it may hold chats.
    holder: Counsellor | None = None


class World:
    """A server, and a supervisor who makes a fresh account for every staff actor.

    Fresh accounts keep each cell small: a counsellor who held every chat of the walk would
    make each later ``hello`` slower than the one before.
    """

    def __init__(self, server: Server, admin: Counsellor) -> None:
        self.server = server
        self.admin = admin
        self._numbers = itertools.count()

    async def actor(self, role: str) -> Actor:
        if role == "anonymous":
            return Actor(role)
        if role == "visitor":
            visitor = await Visitor.start(self.server)
            holder = await self._account("counsellor")
            await self._accept(holder, visitor.conversation_id)
            return Actor(role, visitor.token, visitor=visitor, holder=holder)
        staff = await self._account(role)
        holder = staff if role in {"counsellor", "supervisor"} else None
        return Actor(role, staff.token, staff=staff, holder=holder)

    async def fill(self, template: str, actor: Actor) -> str:
        """A path or frame value: each ``{name}`` becomes a resource the actor may reach."""
        values = {}
        for name in PLACEHOLDER.findall(template):
            values[name] = await self._resource(name, actor, template)
        return PLACEHOLDER.sub(lambda found: values[found[1]], template)

    async def _resource(self, name: str, actor: Actor, template: str) -> str:
        match name:
            case "new":
                return new_id()
            case "conversation_id":
                return await self._conversation(actor)
            case "colleague" | "staff_id":
                return (await self._account("counsellor")).id
            case "person_id":
                other = Actor(actor.role, holder=actor.holder)  # a visitor has only one chat
                ids = [await self._conversation(actor), await self._conversation(other)]
                linked = await self.admin.http(
                    "POST", "/api/triage/links", json={"conversation_ids": ids}
                )
                assert linked.status_code == 201, linked.text
                return str(linked.json()["person_id"])
            case "rid":
                conversation_id = await self._conversation(actor)
                assert actor.holder is not None
                proposed = await actor.holder.http(
                    "POST", f"/api/triage/conversations/{conversation_id}/referrals", json=PROPOSAL
                )
                assert proposed.status_code == 201, proposed.text
                return str(proposed.json()["id"])
            case "quote_id":
                conversation_id = await self._conversation(actor)
                assert actor.holder is not None
                selected = await actor.holder.http(
                    "POST",
                    f"/api/triage/conversations/{conversation_id}/quotes",
                    json={"seq": GREETING_SEQ},
                    timeout=LOAD_TIMEOUT,
                )
                assert selected.status_code == 201, selected.text
                return str(selected.json()["id"])
            case "id":  # /api/research/<exports or reports>/{id}
                return await self._job(actor, template.split("/")[3])
        raise AssertionError(f"teach World which {{{name}}} an actor may reach")

    async def _conversation(self, actor: Actor) -> str:
        """The visitor's own chat, or a new one held by the actor's holder."""
        if actor.visitor is not None:
            return actor.visitor.conversation_id
        if actor.holder is None:
            actor.holder = await self._account("counsellor")
        visitor = await Visitor.start(self.server)
        await self._accept(actor.holder, visitor.conversation_id)
        return visitor.conversation_id

    async def _job(self, actor: Actor, kind: str) -> str:
        """A finished export or report job: the actor's own if it may ask for one.

        Only the one who asked downloads the file, so a supervisor's cell gets its own job,
        not the admin's.
        """
        owner = actor.staff if actor.staff is not None and actor.role in EXPORTERS else self.admin
        asked = await owner.http(
            "POST", f"/api/research/{kind}", json=EXAMPLES[f"POST /api/research/{kind}"]
        )
        assert asked.status_code == 202, asked.text
        job = asked.json()
        while job["status"] in ("queued", "running"):
            await asyncio.sleep(0.05)
            job = (await owner.http("GET", f"/api/research/{kind}/{job['id']}")).json()
        assert job["status"] == "done", job
        return str(job["id"])

    async def _account(self, role: str) -> Counsellor:
        name = f"{role}-{next(self._numbers)}"
        return await Counsellor.create(self.server, self.admin, name, role=role)

    @staticmethod
    async def _accept(staff: Counsellor, conversation_id: str) -> None:
        """``staff`` takes chats from the queue up to this one (other cells leave chats).

        Then greets, so that every chat has a typed message to quote, at ``GREETING_SEQ``.
        """
        await staff.connect()
        while await staff.accept_next() != conversation_id:
            pass
        greeting = await staff.say(conversation_id, "Hoi, waar wil je over praten?")
        assert greeting["seq"] == GREETING_SEQ, greeting
        await staff.ws.close()

    # -- trying one cell ------------------------------------------------------------------------

    async def verdict(self, endpoint: str, role: str) -> str:
        actor = await self.actor(role)
        method, path, *kind = endpoint.split()
        if method == "WS":
            return await self._socket_verdict(path, kind[0], actor)
        return await self._http_verdict(endpoint, method, path, actor)

    async def _http_verdict(self, endpoint: str, method: str, path: str, actor: Actor) -> str:
        headers = {} if actor.token is None else {"Authorization": f"Bearer {actor.token}"}
        example = EXAMPLES.get(endpoint)
        filled = None if example is None else await self.fill(json.dumps(example), actor)
        query, content = (None, filled)  # a GET's example is its query
        if method == "GET" and filled is not None:
            query, content = json.loads(filled), None
        async with httpx.AsyncClient(base_url=self.server.base_url, timeout=LOAD_TIMEOUT) as client:
            response = await client.request(
                method,
                await self.fill(path, actor),
                headers=headers,
                params=query,
                content=content,
            )
        return str(response.status_code) if response.status_code in (401, 403) else "yes"

    async def _socket_verdict(self, path: str, kind: str, actor: Actor) -> str:
        fields = await self.fill(json.dumps(EXAMPLES.get(f"WS {path} {kind}", {})), actor)
        socket = await Socket.open(self.server, path)
        try:
            hello = {"type": "hello", "v": 1, "token": actor.token or "no-token-at-all"}
            welcome = await socket.request(hello)
            if welcome["type"] == "error":
                return await _refused_hello(welcome, socket)
            assert welcome["type"] == "welcome", welcome
            if kind == "hello":
                return "yes"
            ref = new_id()
            await socket.send({"type": kind, **json.loads(fields), "ref": ref})
            # Frames are handled in order: any answer to the frame comes before the pong.
            assert (await socket.request({"type": "ping"}))["type"] == "pong"
            errors = [f for f in socket.pending if f.get("ref") == ref and f["type"] == "error"]
            return _frame_verdict(errors[0] if errors else None)
        finally:
            await socket.close()


async def _refused_hello(error: dict[str, Any], socket: Socket) -> str:
    """The socket is closed too, so no other frame can be sent: every row of it is refused."""
    if error["code"] == "forbidden":
        assert await socket.close_code() == 4403
        return "403"
    assert error["code"] in {"unauthenticated", "resume_impossible"}, error
    assert await socket.close_code() == 4401
    return "401"


def _frame_verdict(error: dict[str, Any] | None) -> str:
    """A refusal, or "yes"; an ``invalid`` frame is this test's mistake, not a verdict."""
    if error is None:
        return "yes"
    assert error["code"] != "invalid", f"fix this frame's entry in EXAMPLES: {error}"
    return {"forbidden": "403", "unauthenticated": "401"}.get(error["code"], "yes")


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """One server for the whole matrix; a unit whose intake is never up, so nothing leaves.

    ``/metrics`` is switched on, so that its row is about the token, not a missing route.
    """
    await asyncio.to_thread(ensure_cache, DEDUCE_CACHE)  # built once per machine, then kept
    directory = tmp_path_factory.mktemp("authorization")
    units = directory / "referral-units.json"
    intake = {"url": f"http://127.0.0.1:{free_port()}/intake", "secret": "s" * 40}
    units.write_text(json.dumps({"units": {"oost-brabant": intake}}))
    server = sqlite_server(
        directory,
        **QUICK_HASHING,
        **WITH_METRICS,
        **NO_SOURCE_LIMITS,
        MAX_CHATS_PER_COUNSELLOR="100000",
        REFERRAL_UNITS_FILE=str(units),
    )
    await asyncio.to_thread(server.start)
    try:
        yield World(server, await Counsellor.demo(server, "supervisor"))
    finally:
        await asyncio.to_thread(server.stop)


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
async def test_each_role_gets_exactly_the_access_the_matrix_documents(
    world: World, endpoint: str
) -> None:
    found = {role: await world.verdict(endpoint, role) for role in ROLES}
    assert found == MATRIX[endpoint]


async def test_the_metrics_token_opens_what_no_role_does(world: World) -> None:
    """The other side of the ``GET /metrics`` row: its 401s are the token's, not a broken route."""
    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    async with httpx.AsyncClient(base_url=world.server.base_url) as client:
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
