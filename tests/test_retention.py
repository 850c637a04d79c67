"""Transcripts are deleted after the retention period; what was coded about them stays."""

from __future__ import annotations

import asyncio
import time

from tests.support.database import database_bytes, query
from tests.support.pilots import Counsellor, Visitor, in_conversation, new_id
from tests.support.server import Server, StartServer, ready_timeout

#: About a second and a half, in days.
SHORT_RETENTION = {"TRANSCRIPT_RETENTION_DAYS": "0.00002", "RETENTION_INTERVAL_S": "0.2"}
SECRET = "Mijn oom heet Hendrik en woont aan de Lindelaan"


async def ended_chat_with_coding(server: Server) -> tuple[Counsellor, str]:
    """A chat with a distinctive sentence and a note, coded, then ended by the counsellor."""
    visitor, counsellor, conversation_id = await in_conversation(server)
    await visitor.say(SECRET)
    note = {"type": "note", "conversation_id": conversation_id, "client_note_id": new_id()}
    assert (await counsellor.request({**note, "text": f"Notitie: {SECRET}"}))[
        "type"
    ] == "note_saved"
    coded = await counsellor.http(
        "PATCH",
        f"/api/triage/conversations/{conversation_id}/coding",
        json={"values": {"chatter_background": "victim", "age": 16}},
    )
    assert coded.status_code == 200, coded.text
    ended = await counsellor.request({"type": "end", "conversation_id": conversation_id})
    assert ended["type"] == "ended"
    return counsellor, conversation_id


async def until_gone_from_disk(server: Server, text: bytes, timeout: float = 15) -> None:
    """The sweep scrubs the write-ahead log just after its deletion commits, not with it."""
    deadline = time.monotonic() + ready_timeout(timeout)
    while text in database_bytes(server):
        if time.monotonic() > deadline:
            raise AssertionError("the deleted transcript is still on disk")
        await asyncio.sleep(0.1)


async def until_deleted(server: Server, conversation_id: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [(deleted_at,)] = query(
            server,
            "SELECT transcript_deleted_at FROM conversations WHERE id = ?",
            conversation_id,
        )
        if deleted_at is not None:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the transcript was not deleted in time")


def count(server: Server, table: str, conversation_id: str) -> int:
    [(n,)] = query(
        server,
        f"SELECT count(*) FROM {table} WHERE conversation_id = ?",  # noqa: S608  (our table names)
        conversation_id,
    )
    return int(n)


async def test_an_ended_transcript_is_deleted_after_the_period_and_its_coding_stays(
    start_server: StartServer,
) -> None:
    server = await start_server(**SHORT_RETENTION)
    _, conversation_id = await ended_chat_with_coding(server)

    await until_deleted(server, conversation_id)

    assert count(server, "messages", conversation_id) == 0
    assert count(server, "notes", conversation_id) == 0
    assert count(server, "codings", conversation_id) == 1
    await until_gone_from_disk(server, SECRET.encode())


async def test_a_chat_still_going_keeps_its_transcript(start_server: StartServer) -> None:
    server = await start_server(**SHORT_RETENTION)
    visitor, counsellor, conversation_id = await in_conversation(server)
    await visitor.say("Ik ben er nog")
    _, ended_id = await ended_chat_with_coding(server)

    await until_deleted(server, ended_id)

    assert count(server, "messages", conversation_id) == 2
    assert (await counsellor.say(conversation_id, "Ik ook"))["seq"] == 3


async def test_within_the_period_nothing_is_deleted(server: Server) -> None:
    _, conversation_id = await ended_chat_with_coding(server)
    await asyncio.sleep(0.5)
    assert count(server, "messages", conversation_id) > 0


async def test_a_supervisor_deletes_one_ended_transcript_on_request(server: Server) -> None:
    _, conversation_id = await ended_chat_with_coding(server)
    supervisor = await Counsellor.demo(server, "supervisor")

    response = await supervisor.http(
        "DELETE", f"/api/staff/conversations/{conversation_id}/transcript"
    )

    assert response.status_code == 204, response.text
    assert count(server, "messages", conversation_id) == 0
    assert count(server, "codings", conversation_id) == 1
    assert SECRET.encode() not in database_bytes(server)


async def test_a_counsellor_may_not_delete_a_transcript(server: Server) -> None:
    counsellor, conversation_id = await ended_chat_with_coding(server)
    response = await counsellor.http(
        "DELETE", f"/api/staff/conversations/{conversation_id}/transcript"
    )
    assert response.status_code == 403
    assert count(server, "messages", conversation_id) > 0


async def test_a_chat_still_going_cannot_be_deleted_on_request(server: Server) -> None:
    visitor = await Visitor.start(server)
    supervisor = await Counsellor.demo(server, "supervisor")
    response = await supervisor.http(
        "DELETE", f"/api/staff/conversations/{visitor.conversation_id}/transcript"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"


# -- staff sessions --------------------------------------------------------------------------------


async def test_a_staff_session_that_timed_out_is_purged_even_if_never_used_again(
    start_server: StartServer,
) -> None:
    server = await start_server(STAFF_IDLE_TIMEOUT_S="1", RETENTION_INTERVAL_S="0.2")
    await Counsellor.demo(server)  # logs in, then walks away

    deadline = time.monotonic() + 15
    while '"staff sessions purged"' not in server.logs():
        assert time.monotonic() < deadline, "the retention job did not purge the session"
        await asyncio.sleep(0.1)

    assert query(server, "SELECT count(*) FROM staff_sessions") == [(0,)]


async def test_the_retention_job_keeps_staff_sessions_that_are_still_live(
    start_server: StartServer,
) -> None:
    server = await start_server(**SHORT_RETENTION)
    counsellor, conversation_id = await ended_chat_with_coding(server)

    await until_deleted(server, conversation_id)  # a whole round of the job has run

    response = await counsellor.http("GET", "/api/staff/me")
    assert response.status_code == 200, response.text
