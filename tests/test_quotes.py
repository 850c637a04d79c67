"""Research quotes: a counsellor keeps a message, only de-identified; researchers export them.

The tests share one server per module: each server process loads deduce on its first quote
(seconds from the cache, and about a gigabyte of memory), so one load serves them all.
Every test makes its own chat, so none depends on another.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.database import database_bytes, query
from tests.support.openapi import assert_documented
from tests.support.pilots import Counsellor, Visitor, in_conversation, new_id
from tests.support.server import (
    DEDUCE_CACHE,
    NO_SOURCE_LIMITS,
    QUICK_HASHING,
    Server,
    StartServer,
    sqlite_server,
)
from triage.research.deidentify.engine import ensure_cache

#: The server's first quote waits for deduce (a minute or two if the cache was never built).
pytestmark = pytest.mark.timeout(600)
LOAD_TIMEOUT = 300.0
SECRET = "Ik ben Sanne Jansen, 15 jaar, uit Rotterdam. Bel me op 06-12345678"
SECRET_PARTS = ("Sanne", "Jansen", "Rotterdam", "12345678")


@pytest.fixture(scope="module")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Server]:
    """One server for the module, once deduce's tables are built (once per machine)."""
    await asyncio.to_thread(ensure_cache, DEDUCE_CACHE)
    started = sqlite_server(
        tmp_path_factory.mktemp("quotes"),
        **QUICK_HASHING,
        **NO_SOURCE_LIMITS,
        MAX_CHATS_PER_COUNSELLOR="100",
    )
    await asyncio.to_thread(started.start)
    yield started
    await asyncio.to_thread(started.stop)


def quotes_path(conversation_id: str) -> str:
    return f"/api/triage/conversations/{conversation_id}/quotes"


async def select(
    staff: Counsellor, conversation_id: str, seq: object, **body: Any
) -> httpx.Response:
    return await staff.http(
        "POST", quotes_path(conversation_id), json={"seq": seq, **body}, timeout=LOAD_TIMEOUT
    )


async def chat_with_secret(
    server: Server, secret: str = SECRET
) -> tuple[Visitor, Counsellor, str, int]:
    """A chat in which the visitor said ``secret``; its seq."""
    visitor, counsellor, conversation_id = await in_conversation(server)
    ack = await visitor.say(secret)
    return visitor, counsellor, conversation_id, int(ack["seq"])


async def colleague(server: Server, role: str = "counsellor") -> Counsellor:
    """A new account of ``role``, made by the demo supervisor."""
    supervisor = await Counsellor.demo(server, "supervisor")
    return await Counsellor.create(server, supervisor, f"{role}{new_id()[:8]}", role=role)


async def export(staff: Counsellor, **params: Any) -> httpx.Response:
    return await staff.http("GET", "/api/research/quotes", params=params)


async def test_a_counsellor_keeps_a_message_as_a_de_identified_quote(server: Server) -> None:
    _, counsellor, conversation_id, seq = await chat_with_secret(server)

    response = await select(counsellor, conversation_id, seq, variable="age")

    assert response.status_code == 201, response.text
    quote = response.json()
    assert quote["text"] == (
        "Ik ben [NAAM], [LEEFTIJD] jaar, uit [LOCATIE]. Bel me op [TELEFOONNUMMER]"
    )
    assert quote["month"] == datetime.now(UTC).strftime("%Y-%m")
    assert (quote["speaker"], quote["variable"]) == ("visitor", "age")
    assert quote["selected_by"] == counsellor.id
    listed = await counsellor.http("GET", quotes_path(conversation_id))
    assert listed.json()["quotes"] == [quote]


async def test_the_original_text_reaches_neither_the_quote_table_nor_the_log(
    server: Server,
) -> None:
    _, counsellor, conversation_id, seq = await chat_with_secret(server)

    assert (await select(counsellor, conversation_id, seq)).status_code == 201

    stored = " ".join(map(str, query(server, "SELECT * FROM research_quotes")))
    audited = " ".join(map(str, query(server, "SELECT * FROM audit_log")))
    for part in SECRET_PARTS:
        assert part not in stored
        assert part not in audited
        assert part not in server.logs()


async def test_a_quote_outlives_the_transcript_and_the_original_is_gone(server: Server) -> None:
    secret = "Ik ben Fleur Bakker uit Zwolle, mijn nummer is 06-87654321"
    _, counsellor, conversation_id, seq = await chat_with_secret(server, secret)
    quote = (await select(counsellor, conversation_id, seq)).json()
    ended = await counsellor.request({"type": "end", "conversation_id": conversation_id})
    assert ended["type"] == "ended"
    supervisor = await Counsellor.demo(server, "supervisor")

    deleted = await supervisor.http(
        "DELETE", f"/api/staff/conversations/{conversation_id}/transcript"
    )

    assert deleted.status_code == 204, deleted.text
    kept = (await supervisor.http("GET", quotes_path(conversation_id))).json()["quotes"]
    assert [q["text"] for q in kept] == [quote["text"]]
    data = database_bytes(server)
    assert all(part.encode() not in data for part in ("Fleur", "Bakker", "Zwolle", "87654321"))


async def test_a_message_is_quoted_only_once(server: Server) -> None:
    _, counsellor, conversation_id, seq = await chat_with_secret(server)
    assert (await select(counsellor, conversation_id, seq)).status_code == 201
    again = await select(counsellor, conversation_id, seq)
    assert again.status_code == 409


async def test_a_counsellor_who_took_no_part_may_not_select_or_read_quotes(
    server: Server,
) -> None:
    _, _, conversation_id, seq = await chat_with_secret(server)
    other = await colleague(server)

    assert (await select(other, conversation_id, seq)).status_code == 403
    assert (await other.http("GET", quotes_path(conversation_id))).status_code == 403


async def test_researchers_cannot_pick_messages_but_read_the_years_quotes(
    server: Server,
) -> None:
    _, counsellor, conversation_id, seq = await chat_with_secret(server)
    quote = (await select(counsellor, conversation_id, seq)).json()
    rita = await colleague(server, "researcher")

    assert (await select(rita, conversation_id, seq + 1)).status_code == 403
    response = await export(rita, year=quote["month"][:4])

    assert response.status_code == 200, response.text
    [row] = [q for q in response.json()["quotes"] if q["quote_id"] == quote["id"]]
    assert row == {
        "quote_id": quote["id"],
        "month": quote["month"],
        "speaker": "visitor",
        "edition": quote["edition"],
        "variable": None,
        "text": quote["text"],
    }


async def test_the_export_is_also_csv_whose_cells_cannot_run_as_formulas(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    seq = (await visitor.say("=ALS(iets) zei Sanne"))["seq"]
    quote = (await select(counsellor, conversation_id, seq)).json()
    rita = await colleague(server, "researcher")

    response = await export(rita, year=quote["month"][:4], format="csv")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = {row["quote_id"]: row for row in csv.DictReader(io.StringIO(response.text))}
    assert rows[quote["id"]]["text"] == "'=ALS(iets) zei [NAAM]"
    assert "conversation_id" not in rows[quote["id"]]


async def test_only_researchers_and_supervisors_export_quotes(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    supervisor = await Counsellor.demo(server, "supervisor")
    assert (await export(counsellor, year=2026)).status_code == 403
    assert (await export(supervisor, year=2026)).status_code == 200


async def test_visitors_have_no_access_to_quotes(server: Server) -> None:
    visitor, _, conversation_id, seq = await chat_with_secret(server)
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{server.base_url}{quotes_path(conversation_id)}",
            json={"seq": seq},
            headers={"Authorization": f"Bearer {visitor.token}"},
        )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"seq": "2"}, 400, "seq"),
        ({"seq": 0}, 400, "seq"),
        ({"seq": True}, 400, "seq"),
        ({"seq": 2**31}, 400, "seq"),  # beyond a 32-bit integer column
        ({"seq": 2**63}, 400, "seq"),
        ({"seq": 2, "variable": "shoe_size"}, 400, "variable"),
        ({"seq": 2, "variable": {}}, 400, "variable"),
        ({"seq": 2, "variable": ["age"]}, 400, "variable"),
        ({"seq": 2, "txt": "Sanne"}, 400, "txt"),
        ({"seq": 1}, 400, "seq"),  # "counsellor joined": an event, not typed text
        ({"seq": 99}, 404, None),
    ],
)
async def test_a_wrong_selection_is_refused_and_stores_nothing(
    server: Server, body: dict[str, Any], status: int, field: str | None
) -> None:
    _, counsellor, conversation_id, _ = await chat_with_secret(server)

    response = await counsellor.http("POST", quotes_path(conversation_id), json=body)

    assert response.status_code == status, response.text
    assert response.json()["error"].get("field") == field
    listed = await counsellor.http("GET", quotes_path(conversation_id))
    assert listed.json()["quotes"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "year"),
        ({"year": "x"}, "year"),
        ({"year": "2_026"}, "year"),
        ({"year": " 2026"}, "year"),
        ({"year": "\u0662\u0660\u0662\u0666"}, "year"),  # 2026 in Arabic-Indic digits
        ({"year": 2026, "format": "sav"}, "format"),
    ],
)
async def test_a_wrong_export_request_names_the_field(
    server: Server, params: dict[str, Any], field: str
) -> None:
    rita = await colleague(server, "researcher")
    response = await export(rita, **params)
    assert (response.status_code, response.json()["error"]["field"]) == (400, field)


async def test_selecting_and_removing_a_quote_is_audited_without_its_text(
    server: Server,
) -> None:
    _, counsellor, conversation_id, seq = await chat_with_secret(server)
    quote = (await select(counsellor, conversation_id, seq)).json()
    supervisor = await Counsellor.demo(server, "supervisor")

    removed = await counsellor.http("DELETE", f"/api/triage/quotes/{quote['id']}")

    assert removed.status_code == 204
    assert (await counsellor.http("GET", quotes_path(conversation_id))).json()["quotes"] == []
    entries = (
        await supervisor.http(
            "GET", "/api/triage/audit", params={"conversation_id": conversation_id}
        )
    ).json()["entries"]
    assert [(e["action"], e["details"]) for e in entries] == [
        ("quote_deleted", {"quote_id": quote["id"]}),
        ("quote_selected", {"quote_id": quote["id"], "seq": seq}),
    ]
    assert entries[1]["staff_id"] == counsellor.id


async def test_a_counsellor_who_took_no_part_may_not_remove_a_quote(server: Server) -> None:
    _, counsellor, conversation_id, seq = await chat_with_secret(server)
    quote = (await select(counsellor, conversation_id, seq)).json()
    other = await colleague(server)

    refused = await other.http("DELETE", f"/api/triage/quotes/{quote['id']}")

    assert refused.status_code == 403
    assert len((await counsellor.http("GET", quotes_path(conversation_id))).json()["quotes"]) == 1


async def test_without_de_identification_nothing_is_kept(start_server: StartServer) -> None:
    unusable = Path("/dev/null/deduce-cache")  # under a file: no directory can be made there
    server = await start_server(DEDUCE_CACHE_DIR=str(unusable), DEIDENTIFY_SOCKET="")
    _, counsellor, conversation_id, seq = await chat_with_secret(server)

    response = await select(counsellor, conversation_id, seq)

    assert response.status_code == 503
    assert query(server, "SELECT count(*) FROM research_quotes") == [(0,)]


async def test_without_the_nodes_de_identification_service_nothing_is_kept(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = await start_server(DEIDENTIFY_SOCKET=str(tmp_path / "no-service"))
    _, counsellor, conversation_id, seq = await chat_with_secret(server)

    response = await select(counsellor, conversation_id, seq)

    assert response.status_code == 503
    assert query(server, "SELECT count(*) FROM research_quotes") == [(0,)]


async def test_quotes_are_answered_as_the_api_document_describes(server: Server) -> None:
    _, counsellor, conversation_id, seq = await chat_with_secret(server)
    rita = await colleague(server, "researcher")
    kept = await select(counsellor, conversation_id, seq, variable="age")
    year = kept.json()["month"][:4]
    answers = [
        kept,
        await select(counsellor, conversation_id, seq),
        await counsellor.http("GET", quotes_path(conversation_id)),
        await export(rita, year=year),
        await export(rita, year=year, format="csv"),
        await counsellor.http("DELETE", f"/api/triage/quotes/{kept.json()['id']}"),
    ]
    assert [answer.status_code for answer in answers] == [201, 409, 200, 200, 200, 204]
    for answer in answers:
        assert_documented(answer)


async def test_a_counsellor_previews_the_quote_before_anything_is_stored(server: Server) -> None:
    _, counsellor, conversation_id, seq = await chat_with_secret(server)

    response = await counsellor.http(
        "POST", f"{quotes_path(conversation_id)}/preview", json={"seq": seq}, timeout=LOAD_TIMEOUT
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "seq": seq,
        "text": "Ik ben [NAAM], [LEEFTIJD] jaar, uit [LOCATIE]. Bel me op [TELEFOONNUMMER]",
    }
    listed = await counsellor.http("GET", quotes_path(conversation_id))
    assert listed.json()["quotes"] == []


async def test_words_the_counsellor_marks_are_removed_on_top_of_de_identification(
    server: Server,
) -> None:
    _, counsellor, conversation_id, seq = await chat_with_secret(server)
    shown = "Ik ben [NAAM], [LEEFTIJD] jaar, [ANONIEM] [LOCATIE]. Bel me op [TELEFOONNUMMER]"

    response = await select(counsellor, conversation_id, seq, remove=["uit"], text=shown)

    assert response.status_code == 201, response.text
    assert response.json()["text"] == shown


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"text": "Ik ben Sanne, [LEEFTIJD] jaar, uit [LOCATIE]. Bel me op [TELEFOONNUMMER]"},
            "text",
        ),
        ({"remove": ["Sanne"]}, "remove"),  # already removed: not in the de-identified text
        ({"remove": ["[NAAM]"]}, "remove"),
        ({"remove": "uit"}, "remove"),
        ({"remove": [""]}, "remove"),
    ],
)
async def test_a_quote_that_would_add_anything_back_is_refused_and_nothing_stored(
    server: Server, body: dict[str, Any], field: str
) -> None:
    _, counsellor, conversation_id, seq = await chat_with_secret(server)

    response = await select(counsellor, conversation_id, seq, **body)

    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
    listed = await counsellor.http("GET", quotes_path(conversation_id))
    assert listed.json()["quotes"] == []


async def test_quotes_shown_to_researchers_carry_no_conversation_id_or_seq(
    server: Server,
) -> None:
    _, counsellor, conversation_id, seq = await chat_with_secret(server)
    quote = (await select(counsellor, conversation_id, seq)).json()
    rita = await colleague(server, "researcher")

    response = await rita.http("GET", quotes_path(conversation_id))

    assert response.status_code == 200, response.text
    [shown] = response.json()["quotes"]
    assert (shown["id"], shown["text"]) == (quote["id"], quote["text"])
    assert (shown["conversation_id"], shown["seq"]) == (None, None)
    assert (shown["selected_by"], shown["selected_at"]) == (None, None)
    assert conversation_id not in response.text
    assert_documented(response)


async def test_the_counsellor_still_sees_which_message_a_quote_came_from(server: Server) -> None:
    _, counsellor, conversation_id, seq = await chat_with_secret(server)
    await select(counsellor, conversation_id, seq)

    response = await counsellor.http("GET", quotes_path(conversation_id))

    [shown] = response.json()["quotes"]
    assert (shown["conversation_id"], shown["seq"]) == (conversation_id, seq)
    assert shown["selected_by"] == counsellor.id
