"""Anonymity: nothing about a visitor's device reaches the database or the log, nor their words.

A whole session runs on SQLite and on PostgreSQL: start, chat, notes, coding, a referral to a
unit that does not answer, a transfer, a dropped connection and its resume, the end, and a
resume after the end. Then the database, the log and the metrics are searched.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.database import database_bytes, postgres_contents, query
from tests.support.intake import Intake
from tests.support.metrics import WITH_METRICS, scrape, until_metric
from tests.support.pilots import TEST_USER_AGENT, Counsellor, Visitor, new_id
from tests.support.referrals import REFERRAL_SETTINGS, SECRET, consents, proposed, send
from tests.support.server import (
    QUICK_HASHING,
    Server,
    free_port,
    postgres_server,
    sqlite_server,
)
from tests.support.services import fresh_postgres_database

IPV4 = re.compile(rb"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9])")
FORWARDED_FOR = "203.0.113.7"
PSEUDONYM = re.compile(r"^[A-Z][a-z]+[A-Z][a-z]+[1-9][0-9]{2}$")
LOG_FIELDS = frozenset(
    {"time", "level", "logger", "event", "exception", "stack"}
    | {"topic_kind", "error", "conversation_id", "staff_id", "code", "count", "node"}
    | {"referral_id", "attempts"}
)


# -- where it runs ---------------------------------------------------------------------------------


@dataclass
class Deployment:
    """A server, and every byte its database holds (read after the server stopped)."""

    server: Server
    stored: Callable[[], Awaitable[bytes]]


@pytest.fixture(params=["sqlite", "postgresql"])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    """A server whose one referral unit never answers, with metrics switched on."""
    unit = Intake(port=free_port(), secret=SECRET, data_dir=tmp_path / "unit")  # never started
    units_file = tmp_path / "referral-units.json"
    units_file.write_text(json.dumps({"units": {"oost-brabant": unit.entry()}}))
    env = {
        **QUICK_HASHING,
        **REFERRAL_SETTINGS,
        **WITH_METRICS,
        "REFERRAL_UNITS_FILE": str(units_file),
    }
    if request.param == "sqlite":
        server = sqlite_server(tmp_path, **env)

        async def file_bytes() -> bytes:
            return database_bytes(server)

        yield Deployment(server.start(), file_bytes)
        server.stop()
        return
    with fresh_postgres_database() as url:
        server = postgres_server(tmp_path, url, **env)
        yield Deployment(server.start(), lambda: postgres_contents(url))
        server.stop()


# -- helpers ---------------------------------------------------------------------------------------


@dataclass
class Chat:
    """What was typed and handed out during a whole chat: none of it may be logged."""

    typed: list[str]
    resume_token: str
    staff_tokens: list[str]
    #: Ids and names: allowed in the log (ids) and the database, never in metrics.
    names: list[str]


async def _start(server: Server, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Start a chat from a browser behind a proxy: a user agent and a forwarded address."""
    headers = {"User-Agent": TEST_USER_AGENT, "X-Forwarded-For": FORWARDED_FOR}
    async with httpx.AsyncClient(headers=headers) as client:
        response = await client.post(f"{server.base_url}/api/visitor/chats", json=body or {})
    assert response.status_code == 201, response.text
    start: dict[str, Any] = response.json()
    return start


async def _quick_exit(server: Server, token: str) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.base_url}/api/visitor/exit", json={"resume_token": token}
        )
    assert response.status_code == 204


def _send_garbage_http(server: Server, marker: str) -> None:
    """A request the HTTP parser rejects: the server warns, and must not quote it."""
    request = (
        f"GET /{marker} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {TEST_USER_AGENT}\r\n"
        f"X-Forwarded-For: {FORWARDED_FOR}\r\nthis line is no header {marker}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(request.encode())
        assert connection.recv(1024).startswith(b"HTTP/1.1 400")


async def _whole_chat(server: Server) -> Chat:
    """The session in the module's docstring, plus a few refused inputs."""
    marker = new_id()[:8]
    typed = {
        "visitor": f"visitor-says-{marker}",
        "counsellor": f"counsellor-says-{marker}",
        "missed": f"said-while-away-{marker}",
        "colleague": f"colleague-says-{marker}",
        "note": f"note-reads-{marker}",
        "too_long": f"too-long-{marker}",
        "bad_frame": f"bad-frame-{marker}",
        "http": f"garbage-http-{marker}",
    }
    visitor = Visitor(server, await _start(server, {"age": 17, "gender": "female"}))
    await visitor.connect()
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    conversation_id = await counsellor.accept_next()
    assert conversation_id == visitor.conversation_id

    await visitor.say(typed["visitor"])
    await counsellor.ws.expect("message", text=typed["visitor"])
    await counsellor.say(conversation_id, typed["counsellor"])
    await visitor.ws.expect("message", text=typed["counsellor"])
    saved = await counsellor.request(
        {
            "type": "note",
            "conversation_id": conversation_id,
            "client_note_id": new_id(),
            "text": typed["note"],
        }
    )
    assert saved["type"] == "note_saved"
    coded = await counsellor.http(
        "PATCH",
        f"/api/triage/conversations/{conversation_id}/coding",
        json={"values": {"chatter_background": "victim", "age": 17}},
    )
    assert coded.status_code == 200, coded.text
    referral_id = (await proposed(counsellor, conversation_id))["id"]
    await consents(visitor, referral_id)
    assert (await send(counsellor, referral_id)).status_code == 202

    await visitor.ws.send(
        {"type": "send", "client_msg_id": new_id(), "text": typed["too_long"] * 600}
    )
    assert (await visitor.ws.expect("error"))["code"] in {"invalid", "too_large"}
    await visitor.ws.send(f'{{"type": "send", "text": "{typed["bad_frame"]}"')
    await visitor.ws.expect("error")
    _send_garbage_http(server, typed["http"])

    await visitor.drop()
    missed = await counsellor.say(conversation_id, typed["missed"])
    await visitor.connect(last_seq=missed["seq"] - 1)
    await visitor.ws.expect("message", text=typed["missed"])

    supervisor = await Counsellor.demo(server, "supervisor")
    colleague = await Counsellor.create(server, supervisor, f"colleague{marker}")
    await colleague.connect()
    moved = await counsellor.request(
        {"type": "transfer", "conversation_id": conversation_id, "to_staff_id": colleague.id}
    )
    assert moved["type"] == "transferred", moved
    await colleague.ws.expect("assigned")
    await colleague.say(conversation_id, typed["colleague"])
    await visitor.ws.expect("message", text=typed["colleague"])

    # The unit never answers: the relay has tried at least twice before the chat ends.
    await until_metric(
        server,
        lambda found: found.value("referral_delivery_failures_total", reason="unreachable") >= 2,
        "the relay to try the unit",
    )
    ended = await colleague.request({"type": "end", "conversation_id": conversation_id})
    assert ended["type"] == "ended"
    await visitor.ws.expect("message", text="ended_by_counsellor")
    await visitor.drop()
    await visitor.connect_expecting_refusal()  # a staff end kills the resume token
    await visitor.drop()
    for staff in (counsellor, colleague):
        await staff.ws.close()
    return Chat(
        typed=list(typed.values()),
        resume_token=visitor.token,
        staff_tokens=[counsellor.token, colleague.token, supervisor.token],
        names=[
            conversation_id,
            visitor.pseudonym,
            referral_id,
            *(staff.id for staff in (counsellor, colleague, supervisor)),
            *(staff.staff["username"] for staff in (counsellor, colleague, supervisor)),
        ],
    )


# -- the database ----------------------------------------------------------------------------------


async def test_after_a_whole_chat_the_database_holds_no_address_and_no_user_agent(
    deployment: Deployment,
) -> None:
    chat = await _whole_chat(deployment.server)
    await asyncio.to_thread(deployment.server.stop)

    stored = await deployment.stored()

    assert chat.typed[0].encode() in stored, "the scan must see what the database holds"
    assert b"127.0.0.1" not in stored
    assert FORWARDED_FOR.encode() not in stored
    assert IPV4.findall(stored) == []
    assert TEST_USER_AGENT.encode() not in stored
    assert b"test-user-agent-7f3a" not in stored


async def test_the_resume_token_is_stored_only_as_its_sha256(server: Server) -> None:
    visitor = await Visitor.start(server)
    await visitor.connect()
    await visitor.say("hallo")

    stored = query(
        server, "SELECT resume_token_hash FROM conversations WHERE id = ?", visitor.conversation_id
    )

    assert stored == [(hashlib.sha256(visitor.token.encode()).hexdigest(),)]
    assert visitor.token.encode() not in database_bytes(server)


async def test_age_and_gender_are_stored_empty_when_the_visitor_does_not_give_them(
    server: Server,
) -> None:
    silent = await _start(server)
    explicit_nulls = await _start(server, {"age": None, "gender": None})
    told = await _start(server, {"age": 16, "gender": "male"})

    profile = {
        conversation_id: (age, gender)
        for conversation_id, age, gender in query(
            server, "SELECT id, visitor_age, visitor_gender FROM conversations"
        )
    }

    assert profile[silent["conversation_id"]] == (None, None)
    assert profile[explicit_nulls["conversation_id"]] == (None, None)
    assert profile[told["conversation_id"]] == (16, "male")


# -- the log ---------------------------------------------------------------------------------------


async def test_after_a_whole_chat_the_log_holds_no_address_user_agent_text_or_token(
    deployment: Deployment,
) -> None:
    server = deployment.server
    chat = await _whole_chat(server)
    await asyncio.to_thread(server.stop)

    log = server.logs()

    assert log.strip(), "the garbage request should have been logged"
    assert "127.0.0.1" not in log  # the unit's address included
    assert FORWARDED_FOR not in log
    assert IPV4.findall(log.encode()) == []
    assert TEST_USER_AGENT not in log
    assert "test-user-agent-7f3a" not in log
    for text in chat.typed:
        assert text not in log
    assert chat.resume_token not in log
    for token in chat.staff_tokens:
        assert token not in log
        assert hashlib.sha256(token.encode()).hexdigest() not in log


async def test_every_log_line_is_json_with_only_allow_listed_fields(
    deployment: Deployment,
) -> None:
    await _whole_chat(deployment.server)
    await asyncio.to_thread(deployment.server.stop)

    lines = deployment.server.logs().splitlines()

    assert lines
    for line in lines:
        entry = json.loads(line)
        assert isinstance(entry, dict), line
        assert set(entry) <= LOG_FIELDS, line
        assert {"time", "level", "logger", "event"} <= set(entry), line


# -- the metrics -----------------------------------------------------------------------------------


async def test_after_a_whole_chat_the_metrics_hold_no_id_name_address_or_text(
    deployment: Deployment,
) -> None:
    chat = await _whole_chat(deployment.server)

    metrics = (await scrape(deployment.server)).text

    assert IPV4.findall(metrics.encode()) == []
    assert "user-agent" not in metrics.lower()
    for secret in [*chat.typed, *chat.names, chat.resume_token, *chat.staff_tokens]:
        assert secret not in metrics


# -- pseudonyms ------------------------------------------------------------------------------------


async def test_pseudonyms_are_drawn_at_random_not_derived_from_the_visitor(
    server: Server,
) -> None:
    pseudonyms = []
    for _ in range(3):
        start = await _start(server, {"age": 30, "gender": "neutral"})
        pseudonyms.append(start["pseudonym"])
        await _quick_exit(server, start["resume_token"])  # the name is free again

    assert len(set(pseudonyms)) == 3, pseudonyms


async def test_a_pseudonym_is_an_adjective_a_noun_and_three_digits(server: Server) -> None:
    for _ in range(5):
        start = await _start(server)
        assert PSEUDONYM.match(start["pseudonym"]), start["pseudonym"]
