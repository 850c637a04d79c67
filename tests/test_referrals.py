"""Referral to the regional AVIM unit: consent in the chat, reliable signed delivery, callbacks.

The contract is docs/referrals.md. The unit is a real intake server (tests/support/intake.py)
that checks signatures and idempotency keys on its own and counts every request it receives.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.intake import Intake, callback_body, post_callback, write_units_file
from tests.support.pilots import Counsellor, Visitor, in_conversation
from tests.support.referrals import (
    ORGANISATION,
    PROPOSAL,
    REFERRAL_SETTINGS,
    SECRET,
    answer,
    as_visitor,
    consents,
    propose,
    proposed,
    referral,
    send,
    step,
    withdraw,
)
from tests.support.server import Server, StartServer, free_port

ZEELAND_TEXT = "Het AVIM-team Zeeland-West-Brabant belt je op het moment dat jij kiest."
WRONG_SECRET = "not-the-secret-the-unit-knows-at-all-0b7d22e1"
#: How long asynchronous delivery may take in these tests before we call it a failure.
DEADLINE_S = 15.0

#: What the visitor typed in the chat; it must never travel with the referral.
TRANSCRIPT_SENTENCE = "Mijn baas Karel bewaart mijn paspoort in de kluis achter de garage."
#: What the visitor is shown and the unit receives: the proposal's fields but the unit,
#: with the age band derived from the age.
SHARES: dict[str, Any] = {
    "exploitation_forms": ["sexual", "labour"],
    "sectors": ["escort_hotel"],
    "gender": "female",
    "age": 19,
    "age_band": "18-22",
    "nationality": "PL",
    "contact": {"method": "phone", "detail": "+31 6 1234 5678"},
    "acutely_unsafe": False,
    "summary": "Wil met de politie praten over de uitbuiting; belt liefst na 18:00.",
}
#: Section 5: the section 3 fields, and what the server adds; nothing else.
PAYLOAD_FIELDS = {
    "unit",
    *SHARES,
    "referral_id",
    "reporting_organisation",
    "proposed_at",
    "consent",
}

#: Section 4: what the API shows of a referral (at least these).
REFERRAL_FIELDS = {
    "id",
    "conversation_id",
    "status",
    "unit",
    "shares",
    "consent",
    "trusted_adult",
    "failure",
    "proposed_at",
    "proposed_by",
    "consented_at",
    "refused_at",
    "withdrawn_at",
    "cancelled_at",
    "sending_at",
    "sent_at",
    "failed_at",
    "received_at",
    "closed_at",
    "outcome",
    "delivery",
}
#: Section 4, "In the chat": what the visitor is shown of a referral, exactly.
CHAT_REFERRAL_FIELDS = {"id", "status", "unit", "shares"}

UNIT_CODES = {
    "noord-nederland",
    "oost-nederland",
    "midden-nederland",
    "noord-holland",
    "amsterdam",
    "den-haag",
    "rotterdam",
    "zeeland-west-brabant",
    "oost-brabant",
    "limburg",
}
PROVINCE_UNITS = {
    "groningen": {"noord-nederland"},
    "friesland": {"noord-nederland"},
    "drenthe": {"noord-nederland"},
    "overijssel": {"oost-nederland"},
    "gelderland": {"oost-nederland"},
    "utrecht": {"midden-nederland"},
    "flevoland": {"midden-nederland"},
    "noord-holland": {"noord-holland", "amsterdam", "midden-nederland"},
    "zuid-holland": {"den-haag", "rotterdam"},
    "zeeland": {"zeeland-west-brabant"},
    "noord-brabant": {"zeeland-west-brabant", "oost-brabant"},
    "limburg": {"limburg"},
}


# -- the unit and the server -----------------------------------------------------------------------

StartIntake = Callable[..., Awaitable[Intake]]


@pytest.fixture
async def start_intake(tmp_path: Path) -> AsyncIterator[StartIntake]:
    """Start intake servers (each a police unit's endpoint); all are stopped after the test."""
    started: list[Intake] = []

    async def start(**options: Any) -> Intake:
        intake = Intake(
            port=free_port(),
            secret=SECRET,
            data_dir=tmp_path / f"intake-{len(started)}",
            **options,
        )
        started.append(intake)
        return await asyncio.to_thread(intake.start)

    yield start
    for intake in started:
        await asyncio.to_thread(intake.stop)


@pytest.fixture
async def unit(start_intake: StartIntake) -> Intake:
    """Oost-Brabant's intake endpoint, up."""
    return await start_intake()


async def start_referring_server(
    start_server: StartServer, tmp_path: Path, units: dict[str, dict[str, str]]
) -> Server:
    """A server whose ``REFERRAL_UNITS_FILE`` configures ``units``, with quick retries."""
    units_file = write_units_file(tmp_path, units)
    return await start_server(REFERRAL_UNITS_FILE=str(units_file), **REFERRAL_SETTINGS)


@pytest.fixture
async def server(start_server: StartServer, tmp_path: Path, unit: Intake) -> Server:
    """A fresh server; Oost-Brabant and Zeeland-West-Brabant both deliver to ``unit``."""
    return await start_referring_server(
        start_server,
        tmp_path,
        {
            "oost-brabant": unit.entry(),
            "zeeland-west-brabant": unit.entry(contact_text=ZEELAND_TEXT),
        },
    )


# -- steps -----------------------------------------------------------------------------------------


async def referrals_of(staff: Counsellor, conversation_id: str) -> list[dict[str, Any]]:
    response = await staff.http("GET", f"/api/triage/conversations/{conversation_id}/referrals")
    assert response.status_code == 200, response.text
    return list(response.json()["referrals"])


async def alerts(supervisor: Counsellor) -> set[str]:
    """Ids of the referrals in the supervisor's ``alerts`` (listed by id or as objects)."""
    response = await supervisor.http("GET", "/api/triage/referrals")
    assert response.status_code == 200, response.text
    return {a if isinstance(a, str) else a["id"] for a in response.json()["alerts"]}


async def eventually(
    probe: Callable[[], Awaitable[Any]],
    ready: Callable[[Any], bool],
    what: str,
    timeout: float = DEADLINE_S,
) -> Any:
    """Poll ``probe`` until ``ready`` holds for its result; the result."""
    deadline = time.monotonic() + timeout
    while True:
        found = await probe()
        if ready(found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last seen: {found}")
        await asyncio.sleep(0.1)


async def until_status(
    staff: Counsellor, referral_id: str, status: str, timeout: float = DEADLINE_S
) -> dict[str, Any]:
    view: dict[str, Any] = await eventually(
        lambda: referral(staff, referral_id),
        lambda view: view["status"] == status,
        f"referral {referral_id} to become {status}",
        timeout,
    )
    return view


async def until_attempts(intake: Intake, ready: Callable[[list[dict[str, Any]]], bool]) -> None:
    await eventually(lambda: asyncio.to_thread(intake.attempts), ready, "the unit's requests")


async def consented_referral(server: Server, **changes: Any) -> tuple[Visitor, Counsellor, str]:
    """A chat in which the visitor has consented to a proposed referral; its id."""
    visitor, counsellor, conversation_id = await in_conversation(server)
    referral_id = (await proposed(counsellor, conversation_id, **changes))["id"]
    await consents(visitor, referral_id)
    return visitor, counsellor, referral_id


async def sent_referral(server: Server) -> tuple[Visitor, Counsellor, str]:
    """A referral the unit has received (``sent``)."""
    visitor, counsellor, referral_id = await consented_referral(server)
    assert (await send(counsellor, referral_id)).status_code == 202
    await until_status(counsellor, referral_id, "sent")
    return visitor, counsellor, referral_id


async def only_a_later_referral_reaches(
    unit: Intake, visitor: Visitor, counsellor: Counsellor
) -> None:
    """Barrier: send another referral in the same chat and wait until the unit has it; the relay
    has had its chance with the earlier one, so the unit must hold this one alone."""
    later = (await proposed(counsellor, visitor.conversation_id))["id"]
    await consents(visitor, later)
    assert (await send(counsellor, later)).status_code == 202
    await until_status(counsellor, later, "sent")
    assert [record["body"]["referral_id"] for record in unit.records()] == [later]


def error_of(response: httpx.Response) -> tuple[int, str, str | None]:
    error = response.json()["error"]
    return response.status_code, error["code"], error.get("field")


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- the happy path --------------------------------------------------------------------------------


async def test_the_visitor_is_shown_the_unit_and_exactly_the_fields_that_would_be_shared(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)

    created = await proposed(counsellor, conversation_id)

    assert set(created) >= REFERRAL_FIELDS
    assert created["status"] == "proposed"
    assert created["conversation_id"] == conversation_id
    assert created["proposed_by"] == counsellor.id
    assert created["proposed_at"] is not None
    assert created["consent"] is None
    assert created["shares"] == SHARES
    assert created["delivery"] == {"attempts": 0, "last_error": None, "next_attempt_at": None}
    shown = await visitor.ws.expect("message", kind="referral", text="proposed")
    assert shown["author"] == "system"
    assert set(shown["referral"]) == CHAT_REFERRAL_FIELDS
    assert set(shown["referral"]["unit"]) == {"code", "name", "contact_text"}
    assert shown["referral"]["id"] == created["id"]
    assert shown["referral"]["status"] == "proposed"
    assert shown["referral"]["shares"] == SHARES
    assert shown["referral"]["unit"]["code"] == "oost-brabant"
    assert shown["referral"]["unit"]["name"] == "Oost-Brabant"
    assert "Oost-Brabant" in shown["referral"]["unit"]["contact_text"]
    seen_by_counsellor = await counsellor.ws.expect(
        "message", conversation_id=conversation_id, kind="referral", text="proposed"
    )
    assert seen_by_counsellor["seq"] == shown["seq"]


async def test_a_consented_referral_is_delivered_once_with_exactly_the_documented_fields(
    server: Server, unit: Intake
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    await visitor.say(TRANSCRIPT_SENTENCE)
    rid = (await proposed(counsellor, conversation_id))["id"]
    consented = await consents(visitor, rid)
    assert consented["status"] == "consented"
    assert consented["consent"]["party"] == "victim"
    assert consented["consent"]["method"] == "in_chat"
    await visitor.ws.expect("message", kind="referral", text="consented")

    sending = await send(counsellor, rid)

    assert sending.status_code == 202, sending.text
    assert sending.json()["status"] == "sending"
    sent = await until_status(counsellor, rid, "sent")
    [record] = unit.records()
    payload = record["body"]
    assert set(payload) == PAYLOAD_FIELDS
    assert {name: payload[name] for name in SHARES} == SHARES
    assert payload["unit"] == "oost-brabant"
    assert payload["referral_id"] == rid
    assert payload["reporting_organisation"] == ORGANISATION
    assert moment(payload["proposed_at"]) == moment(sent["proposed_at"])
    assert payload["consent"]["party"] == "victim"
    assert payload["consent"]["method"] == "in_chat"
    assert TRANSCRIPT_SENTENCE not in record["raw"]
    assert "Karel" not in record["raw"]
    assert visitor.pseudonym not in record["raw"]
    assert sent["sent_at"] is not None
    await visitor.ws.expect("message", kind="referral", text="sent")


async def test_the_units_signed_callbacks_mark_it_received_then_closed_and_every_step_is_logged(
    server: Server,
) -> None:
    visitor, counsellor, rid = await sent_referral(server)

    received = await post_callback(
        server.base_url, unit="oost-brabant", secret=SECRET, body=callback_body(rid, "received")
    )
    again = await post_callback(
        server.base_url, unit="oost-brabant", secret=SECRET, body=callback_body(rid, "received")
    )
    assert (received.status_code, received.json()["status"]) == (200, "received")
    assert (again.status_code, again.json()["status"]) == (200, "received")
    assert (await referral(counsellor, rid))["status"] == "received"
    closed = await post_callback(
        server.base_url,
        unit="oost-brabant",
        secret=SECRET,
        body=callback_body(rid, "closed", "Aangifte opgenomen"),
    )

    assert (closed.status_code, closed.json()["status"]) == (200, "closed")
    view = await referral(counsellor, rid)
    assert view["status"] == "closed"
    assert view["outcome"] == "Aangifte opgenomen"
    events = view["events"]
    assert [e["status"] for e in events] == [
        "proposed",
        "consented",
        "sending",
        "sent",
        "received",
        "closed",
    ]
    assert [e["actor"] for e in events] == ["staff", "visitor", "staff", "relay", "unit", "unit"]
    assert [e["staff_id"] for e in events] == [counsellor.id, None, counsellor.id, None, None, None]
    moments = [moment(e["at"]) for e in events]
    assert moments == sorted(moments)
    steps = [moment(view[f"{e['status']}_at"]) for e in events]
    assert steps == sorted(steps)
    assert [view[f"{s}_at"] for s in ("refused", "withdrawn", "cancelled")] == [None, None, None]
    assert all(set(e) == {"at", "status", "actor", "staff_id"} for e in events)
    # The visitor saw the steps meant for them, and not sending, received or closed.
    assert [m["text"] for m in await visitor.receive(3)] == ["proposed", "consented", "sent"]
    await visitor.ws.expect_nothing("message")


async def test_a_supervisor_closes_a_sent_referral_with_an_outcome_and_a_counsellor_may_not(
    server: Server,
) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    _, counsellor, rid = await sent_referral(server)

    refused = await step(counsellor, rid, "close", outcome="Geen aangifte")
    closed = await step(supervisor, rid, "close", outcome="Geen aangifte")

    assert refused.status_code == 403
    assert closed.status_code == 200, closed.text
    view = await referral(supervisor, rid)
    assert (view["status"], view["outcome"]) == ("closed", "Geen aangifte")
    assert view["events"][-1]["actor"] == "staff"
    assert view["events"][-1]["staff_id"] == supervisor.id


# -- consent ---------------------------------------------------------------------------------------


async def test_a_refused_referral_is_never_delivered(server: Server, unit: Intake) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    rid = (await proposed(counsellor, conversation_id))["id"]

    refused = await answer(visitor, rid, consent=False)

    assert refused.status_code == 200, refused.text
    assert refused.json()["status"] == "refused"
    assert refused.json()["refused_at"] is not None
    await visitor.ws.expect("message", kind="referral", text="refused")
    assert error_of(await send(counsellor, rid))[:2] == (409, "conflict")
    assert error_of(await answer(visitor, rid, consent=True))[:2] == (409, "conflict")
    assert (await referral(counsellor, rid))["status"] == "refused"
    await only_a_later_referral_reaches(unit, visitor, counsellor)


async def test_consent_withdrawn_before_sending_stops_the_referral(
    server: Server, unit: Intake
) -> None:
    visitor, counsellor, rid = await consented_referral(server)

    withdrawn = await withdraw(visitor, rid)

    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["withdrawn_at"] is not None
    await visitor.ws.expect("message", kind="referral", text="withdrawn")
    assert error_of(await send(counsellor, rid))[:2] == (409, "conflict")
    assert (await referral(counsellor, rid))["status"] == "withdrawn"
    await only_a_later_referral_reaches(unit, visitor, counsellor)


async def test_consent_cannot_be_withdrawn_once_the_referral_is_sent(
    server: Server, unit: Intake
) -> None:
    visitor, counsellor, rid = await sent_referral(server)

    too_late = await withdraw(visitor, rid)

    assert error_of(too_late)[:2] == (409, "conflict")
    assert (await referral(counsellor, rid))["status"] == "sent"
    assert len(unit.records()) == 1


async def test_a_minors_own_consent_is_enough_to_send_her_referral(
    server: Server, unit: Intake
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    created = await proposed(counsellor, conversation_id, age=15)
    rid = created["id"]
    assert created["shares"]["age_band"] == "minor"

    consented = await consents(visitor, rid)
    sending = await send(counsellor, rid)

    assert consented["status"] == "consented"
    assert sending.status_code == 202, sending.text
    await until_status(counsellor, rid, "sent")
    [record] = unit.records()
    assert record["body"]["consent"] == {
        "party": "victim",
        "method": "in_chat",
        "at": consented["consent"]["at"],
    }
    assert record["body"]["age_band"] == "minor"
    assert "trusted_adult" not in record["body"]


async def test_nobody_else_can_answer_for_the_visitor_and_there_is_no_guardian_step(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    rid = (await proposed(counsellor, conversation_id, age=15))["id"]

    by_a_parent = await answer(visitor, rid, consent=True, party="parent")
    guardian_step = await step(counsellor, rid, "guardian-consent", party="parent", method="phone")

    assert error_of(by_a_parent) == (400, "invalid", "party")
    assert guardian_step.status_code in (404, 405)
    assert (await referral(counsellor, rid))["status"] == "proposed"


async def test_a_trusted_adult_can_be_noted_as_information_and_is_never_sent(
    server: Server, unit: Intake
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    listed = await counsellor.http("GET", f"/api/triage/conversations/{conversation_id}/referrals")
    created = await proposed(counsellor, conversation_id, age=15, trusted_adult=True)

    assert listed.json()["trusted_adult_offered"] is True
    assert created["trusted_adult"] is True
    await consents(visitor, created["id"])
    assert (await send(counsellor, created["id"])).status_code == 202
    await until_status(counsellor, created["id"], "sent")
    assert "trusted_adult" not in unit.records()[0]["body"]


async def test_a_trusted_adult_is_neither_offered_nor_accepted_when_family_is_coded_as_perpetrator(
    server: Server,
) -> None:
    _, counsellor, conversation_id = await in_conversation(server)
    coded = await counsellor.http(
        "PATCH",
        f"/api/triage/conversations/{conversation_id}/coding",
        json={"edition": "ckm-2022", "values": {"perpetrator_relation": ["family"]}},
    )
    assert coded.status_code == 200, coded.text

    listed = await counsellor.http("GET", f"/api/triage/conversations/{conversation_id}/referrals")
    refused = await propose(counsellor, conversation_id, **{**PROPOSAL, "trusted_adult": True})

    assert listed.json()["trusted_adult_offered"] is False
    assert error_of(refused) == (400, "invalid", "trusted_adult")
    assert "family member" in refused.json()["error"]["message"]
    assert await referrals_of(counsellor, conversation_id) == []
    # Without the note the referral goes ahead on her own consent as always.
    assert (await propose(counsellor, conversation_id, **PROPOSAL)).status_code == 201


# -- reliable delivery -----------------------------------------------------------------------------


async def test_an_unreachable_unit_gets_the_referral_exactly_once_when_it_is_back(
    server: Server, unit: Intake
) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    await asyncio.to_thread(unit.stop)
    _, counsellor, rid = await consented_referral(server)

    assert (await send(counsellor, rid)).status_code == 202
    assert rid not in await alerts(supervisor)
    waiting = await eventually(
        lambda: referral(counsellor, rid),
        lambda view: view["delivery"]["attempts"] > 0 and view["delivery"]["last_error"],
        "a failed delivery attempt",
    )
    assert waiting["status"] == "sending"
    await eventually(lambda: alerts(supervisor), lambda ids: rid in ids, "the alert")
    assert (await referral(counsellor, rid))["status"] == "sending"

    await asyncio.to_thread(unit.start)

    await until_status(counsellor, rid, "sent")
    assert [record["body"]["referral_id"] for record in unit.records()] == [rid]
    assert [a["outcome"] for a in unit.attempts()].count("accepted") == 1
    assert rid not in await alerts(supervisor)
    warnings = [
        entry
        for entry in map(json.loads, server.logs().splitlines())
        if entry.get("referral_id") == rid and entry["level"] == "WARNING"
    ]
    assert len(warnings) == 1
    assert set(warnings[0]) <= {"time", "level", "logger", "event", "referral_id", "attempts"}


async def test_a_unit_error_is_retried_with_the_same_key_and_the_same_bytes(
    start_server: StartServer, start_intake: StartIntake, tmp_path: Path
) -> None:
    flaky = await start_intake(fail_first=2)
    server = await start_referring_server(start_server, tmp_path, {"oost-brabant": flaky.entry()})
    _, counsellor, rid = await consented_referral(server)

    assert (await send(counsellor, rid)).status_code == 202

    view = await until_status(counsellor, rid, "sent")
    attempts = flaky.attempts()
    assert [a["outcome"] for a in attempts] == ["failed", "failed", "accepted"]
    assert len({a["idempotency_key"] for a in attempts}) == 1
    assert len({a["body_sha256"] for a in attempts}) == 1
    assert view["delivery"]["attempts"] == 3
    assert len(flaky.records()) == 1


async def test_a_unit_whose_answer_is_lost_gets_the_same_referral_again_and_registers_it_once(
    start_server: StartServer, start_intake: StartIntake, tmp_path: Path
) -> None:
    # The unit registers the referral but answers after the server's 2 s timeout.
    slow = await start_intake(slow_first=1, slow_s=3.5)
    server = await start_referring_server(start_server, tmp_path, {"oost-brabant": slow.entry()})
    _, counsellor, rid = await consented_referral(server)

    assert (await send(counsellor, rid)).status_code == 202

    await until_status(counsellor, rid, "sent")
    attempts = slow.attempts()
    assert [a["outcome"] for a in attempts][:2] == ["accepted", "duplicate"]
    assert len({a["idempotency_key"] for a in attempts}) == 1
    assert len({a["body_sha256"] for a in attempts}) == 1
    assert [record["body"]["referral_id"] for record in slow.records()] == [rid]


async def test_a_pending_referral_is_delivered_once_after_a_server_restart(
    server: Server, unit: Intake
) -> None:
    await asyncio.to_thread(unit.stop)
    _, counsellor, rid = await consented_referral(server)
    assert (await send(counsellor, rid)).status_code == 202
    await eventually(
        lambda: referral(counsellor, rid),
        lambda view: view["delivery"]["attempts"] > 0,
        "a failed delivery attempt",
    )

    await asyncio.to_thread(server.stop)
    await asyncio.to_thread(unit.start)
    await asyncio.to_thread(server.start)

    await until_status(counsellor, rid, "sent", timeout=25)
    assert [record["body"]["referral_id"] for record in unit.records()] == [rid]


# -- failure and urgency -------------------------------------------------------------------------

FALLBACK = "Bel het AVIM-team Oost-Brabant: 0900-8844, vraag naar de rechercheur mensenhandel."


async def test_a_permanent_4xx_stops_retrying_fails_the_referral_and_alerts_supervisors_live(
    start_server: StartServer, start_intake: StartIntake, tmp_path: Path
) -> None:
    refusing = await start_intake(fail_first=1000, fail_status=422)
    server = await start_referring_server(
        start_server, tmp_path, {"oost-brabant": refusing.entry(fallback=FALLBACK)}
    )
    supervisor = await Counsellor.demo(server, "supervisor")
    await supervisor.connect()
    _, counsellor, rid = await consented_referral(server)

    assert (await send(counsellor, rid)).status_code == 202

    live = await supervisor.ws.expect("referral_alert", referral_id=rid, timeout=DEADLINE_S)
    view = await until_status(counsellor, rid, "failed")
    await asyncio.sleep(2.5)  # more than two retry intervals (REFERRAL_RETRY_MAX_S is 1)
    assert len(refusing.attempts()) == 1
    assert (live["reason"], live["failure"], live["status"]) == ("failed", "HTTP 422", "failed")
    assert live["unit"]["fallback"] == FALLBACK
    assert set(live) == {
        "type",
        "referral_id",
        "conversation_id",
        "reason",
        "status",
        "urgent",
        "failure",
        "unit",
    }
    assert view["failure"] == "HTTP 422"
    assert view["failed_at"] is not None
    assert view["sent_at"] is None
    assert view["unit"]["fallback"] == FALLBACK
    assert view["delivery"]["next_attempt_at"] is None
    assert rid in await alerts(supervisor)
    assert (await referral(counsellor, rid))["status"] == "failed"


@pytest.mark.parametrize("status", [408, 409, 425, 429, 503])
async def test_a_transient_answer_is_retried_until_the_unit_takes_it(
    start_server: StartServer, start_intake: StartIntake, tmp_path: Path, status: int
) -> None:
    busy = await start_intake(fail_first=2, fail_status=status)
    server = await start_referring_server(start_server, tmp_path, {"oost-brabant": busy.entry()})
    _, counsellor, rid = await consented_referral(server)

    assert (await send(counsellor, rid)).status_code == 202

    await until_status(counsellor, rid, "sent")
    assert [a["status"] for a in busy.attempts()] == [status, status, 201]


async def test_a_counsellor_sees_no_live_referral_alert_only_supervisors_do(
    start_server: StartServer, start_intake: StartIntake, tmp_path: Path
) -> None:
    refusing = await start_intake(fail_first=1000, fail_status=404)
    server = await start_referring_server(
        start_server, tmp_path, {"oost-brabant": refusing.entry()}
    )
    _, counsellor, rid = await consented_referral(server)

    assert (await send(counsellor, rid)).status_code == 202

    await until_status(counsellor, rid, "failed")
    await counsellor.ws.expect_nothing("referral_alert", within=1.0)


async def test_an_urgent_referral_is_delivered_before_referrals_sent_earlier(
    server: Server, unit: Intake
) -> None:
    await asyncio.to_thread(unit.stop)
    _, counsellor, first = await consented_referral(server)
    _, _, second = await consented_referral(server)
    _, _, urgent = await consented_referral(server, acutely_unsafe=True)
    for rid in (first, second, urgent):
        assert (await send(counsellor, rid)).status_code == 202
    for rid in (first, second, urgent):
        await eventually(
            lambda rid=rid: referral(counsellor, rid),
            lambda view: view["delivery"]["attempts"] > 0,
            "a failed delivery attempt",
        )

    # All three are due when the relay starts again: it takes them in one round.
    await asyncio.to_thread(server.stop)
    await asyncio.to_thread(unit.start)
    await asyncio.sleep(1.2)
    await asyncio.to_thread(server.start)

    for rid in (first, second, urgent):
        await until_status(counsellor, rid, "sent", timeout=25)
    assert unit.records()[0]["body"]["referral_id"] == urgent
    assert unit.records()[0]["body"]["acutely_unsafe"] is True


async def test_an_urgent_referral_the_unit_has_not_received_alerts_supervisors_at_once(
    start_server: StartServer, unit: Intake, tmp_path: Path
) -> None:
    server = await start_server(
        REFERRAL_UNITS_FILE=str(write_units_file(tmp_path, {"oost-brabant": unit.entry()})),
        **{
            **REFERRAL_SETTINGS,
            "REFERRAL_ALERT_AFTER_S": "600",
            "REFERRAL_URGENT_ALERT_AFTER_S": "1",
        },
    )
    supervisor = await Counsellor.demo(server, "supervisor")
    await supervisor.connect()
    _, counsellor, normal = await consented_referral(server)
    _, _, urgent = await consented_referral(server, acutely_unsafe=True)

    for rid in (normal, urgent):
        assert (await send(counsellor, rid)).status_code == 202
    for rid in (normal, urgent):
        await until_status(counsellor, rid, "sent")  # delivered, but no unit said "received"

    live = await supervisor.ws.expect("referral_alert", referral_id=urgent, timeout=DEADLINE_S)
    assert (live["reason"], live["urgent"]) == ("urgent_unreceived", True)
    await supervisor.ws.expect_nothing("referral_alert", within=1.5, referral_id=normal)
    await supervisor.ws.expect_nothing("referral_alert", within=0.5, referral_id=urgent)


# -- signatures ------------------------------------------------------------------------------------


async def test_a_callback_without_the_units_signature_is_refused_and_changes_nothing(
    server: Server,
) -> None:
    _, counsellor, rid = await sent_referral(server)
    before = await referral(counsellor, rid)
    body = callback_body(rid, "received")
    stale = int(time.time()) - 400

    wrong_secret = await post_callback(
        server.base_url, unit="oost-brabant", secret=SECRET, body=body, signed_with=WRONG_SECRET
    )
    too_old = await post_callback(
        server.base_url, unit="oost-brabant", secret=SECRET, body=body, timestamp=stale
    )
    async with httpx.AsyncClient() as client:
        unsigned = await client.post(
            f"{server.base_url}/api/referrals/callback",
            content=body,
            headers={"Content-Type": "application/json", "X-Referral-Unit": "oost-brabant"},
        )

    unknown_unit = await post_callback(server.base_url, unit="atlantis", secret=SECRET, body=body)
    # Zeeland-West-Brabant is configured too, but this referral is not theirs.
    other_unit = await post_callback(
        server.base_url, unit="zeeland-west-brabant", secret=SECRET, body=body
    )

    for response in (wrong_secret, too_old, unsigned, unknown_unit):
        assert error_of(response)[:2] == (401, "unauthenticated")
    assert other_unit.status_code >= 400
    assert await referral(counsellor, rid) == before
    signed = await post_callback(server.base_url, unit="oost-brabant", secret=SECRET, body=body)
    assert (signed.status_code, signed.json()["status"]) == (200, "received")


async def test_a_unit_that_rejects_our_signature_fails_the_referral_without_marking_it_sent(
    start_server: StartServer, unit: Intake, tmp_path: Path
) -> None:
    server = await start_referring_server(
        start_server, tmp_path, {"oost-brabant": unit.entry(secret=WRONG_SECRET)}
    )
    _, counsellor, rid = await consented_referral(server)

    assert (await send(counsellor, rid)).status_code == 202

    view = await until_status(counsellor, rid, "failed")
    assert {a["outcome"] for a in unit.attempts()} == {"bad_signature"}
    assert view["sent_at"] is None
    assert view["failure"] == "HTTP 401"
    assert view["delivery"]["attempts"] == 1
    assert unit.records() == []


# -- who may do what, and what is refused ----------------------------------------------------------


async def test_a_bad_field_in_a_proposal_is_refused_naming_it_and_creates_nothing(
    server: Server,
) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    cases: list[tuple[str, dict[str, Any]]] = [
        ("unit", {"unit": "atlantis"}),
        ("exploitation_forms", {"exploitation_forms": []}),
        ("exploitation_forms", {"exploitation_forms": ["slavery"]}),
        ("sectors", {"sectors": ["moon"]}),
        ("gender", {"gender": "x"}),
        ("age", {"age": 0}),
        ("age", {"age": 121}),
        ("age", {"age": "19"}),
        ("age_band", {"age": 25, "age_band": "18-22"}),
        ("age_band", {"age": None}),
        ("nationality", {"nationality": "pl"}),
        ("nationality", {"nationality": "POL"}),
        ("contact", {"contact": {"method": "phone", "detail": "bel me maar"}}),
        ("contact", {"contact": {"method": "contact_moment", "detail": ""}}),
        ("contact", {"contact": {"method": "email", "detail": "a@b.nl"}}),
        ("contact", {"contact": {"method": "via_organisation", "detail": "x" * 201}}),
        ("acutely_unsafe", {"acutely_unsafe": "yes"}),
        ("summary", {"summary": ""}),
        ("summary", {"summary": "x" * 2001}),
    ]

    for field, change in cases:
        response = await propose(counsellor, conversation_id, **{**PROPOSAL, **change})
        status, code, named = error_of(response)
        assert (status, code) == (400, "invalid"), (change, response.text)
        assert named == field or str(named).startswith(f"{field}."), (change, named)

    assert await referrals_of(counsellor, conversation_id) == []
    await visitor.ws.expect_nothing("message", kind="referral")


async def test_a_unit_without_an_intake_endpoint_cannot_be_proposed(server: Server) -> None:
    _, counsellor, conversation_id = await in_conversation(server)

    response = await propose(counsellor, conversation_id, **{**PROPOSAL, "unit": "limburg"})

    assert error_of(response) == (400, "invalid", "unit")
    assert await referrals_of(counsellor, conversation_id) == []


async def test_a_chat_has_at_most_one_open_referral(server: Server) -> None:
    _, counsellor, conversation_id = await in_conversation(server)
    first = await proposed(counsellor, conversation_id)

    second = await propose(counsellor, conversation_id, **PROPOSAL)

    assert error_of(second)[:2] == (409, "conflict")
    assert (await step(counsellor, first["id"], "cancel")).status_code == 200
    assert (await propose(counsellor, conversation_id, **PROPOSAL)).status_code == 201


async def test_a_colleague_who_does_not_hold_the_chat_cannot_propose(server: Server) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    colleague = await Counsellor.create(server, supervisor, "anna")
    _, holder, conversation_id = await in_conversation(server)

    response = await propose(colleague, conversation_id, **PROPOSAL)

    assert error_of(response)[:2] == (403, "forbidden")
    assert await referrals_of(holder, conversation_id) == []


async def test_a_researcher_can_neither_propose_nor_send(server: Server, unit: Intake) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    researcher = await Counsellor.create(server, supervisor, "rita", role="researcher")
    visitor, counsellor, rid = await consented_referral(server)

    proposing = await propose(researcher, visitor.conversation_id, **PROPOSAL)
    sending = await send(researcher, rid)

    assert proposing.status_code == 403
    assert sending.status_code == 403
    assert (await referral(counsellor, rid))["status"] == "consented"
    assert unit.attempts() == []


async def test_another_visitor_cannot_answer_the_referral(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    rid = (await proposed(counsellor, conversation_id))["id"]
    stranger = await Visitor.start(server)

    consenting = await answer(visitor, rid, token=stranger.token, consent=True)
    withdrawing = await as_visitor(
        visitor, f"/api/visitor/referrals/{rid}/withdraw", {}, token=stranger.token
    )

    assert error_of(consenting)[:2] == (404, "not_found")
    assert error_of(withdrawing)[:2] == (404, "not_found")
    assert (await referral(counsellor, rid))["status"] == "proposed"


async def test_an_unknown_body_field_is_refused_naming_it(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)

    proposing = await propose(counsellor, conversation_id, **PROPOSAL, name="Karel")
    rid = (await proposed(counsellor, conversation_id))["id"]
    consenting = await answer(visitor, rid, consent=True, reason="wil hulp")
    sending = await step(counsellor, rid, "send", force=True)

    assert error_of(proposing) == (400, "invalid", "name")
    assert error_of(consenting) == (400, "invalid", "reason")
    assert error_of(sending) == (400, "invalid", "force")
    assert [r["id"] for r in await referrals_of(counsellor, conversation_id)] == [rid]
    assert (await referral(counsellor, rid))["status"] == "proposed"


# -- the catalogue and the chat --------------------------------------------------------------------


async def test_the_unit_catalogue_lists_the_ten_regional_units_and_twelve_provinces_with_hints(
    server: Server, unit: Intake
) -> None:
    counsellor = await Counsellor.demo(server)

    response = await counsellor.http("GET", "/api/triage/referral-units")

    assert response.status_code == 200, response.text
    body = response.json()
    units = {u["code"]: u for u in body["units"]}
    assert len(body["units"]) == 10
    assert set(units) == UNIT_CODES
    assert {code for code, u in units.items() if u["configured"]} == {
        "oost-brabant",
        "zeeland-west-brabant",
    }
    assert units["zeeland-west-brabant"]["contact_text"] == ZEELAND_TEXT
    assert "Limburg" in units["limburg"]["contact_text"]
    assert "landelijke-eenheid" not in units
    assert body["areas"] == [
        {
            "code": "gooi-en-vechtstreek",
            "name": "Gooi en Vechtstreek",
            "province": "noord-holland",
            "unit": "midden-nederland",
        }
    ]
    provinces = {p["code"]: set(p["units"]) for p in body["provinces"]}
    assert len(body["provinces"]) == 12
    assert provinces == PROVINCE_UNITS
    assert SECRET not in response.text
    assert unit.url not in response.text


async def test_referral_messages_survive_a_visitor_reconnect(server: Server) -> None:
    visitor, counsellor, conversation_id = await in_conversation(server)
    await visitor.drop()
    rid = (await proposed(counsellor, conversation_id))["id"]

    await visitor.connect()
    [shown] = await visitor.receive()
    assert (shown["seq"], shown["kind"], shown["text"]) == (2, "referral", "proposed")
    assert shown["referral"]["id"] == rid
    assert shown["referral"]["shares"] == SHARES
    await consents(visitor, rid)
    [consented] = await visitor.receive()
    assert (consented["seq"], consented["text"]) == (3, "consented")
    await visitor.drop()
    assert (await step(counsellor, rid, "cancel")).status_code == 200

    await visitor.connect()
    [cancelled] = await visitor.receive()
    assert (cancelled["seq"], cancelled["kind"], cancelled["text"]) == (4, "referral", "cancelled")
    await visitor.ws.expect_nothing("message")
    await visitor.drop()
    await visitor.connect(last_seq=0)
    history = await visitor.receive(4)
    assert [(m["seq"], m["kind"], m["text"]) for m in history] == [
        (1, "event", "counsellor_joined"),
        (2, "referral", "proposed"),
        (3, "referral", "consented"),
        (4, "referral", "cancelled"),
    ]
    assert [m["referral"]["status"] for m in history[1:]] == ["proposed", "consented", "cancelled"]
    await visitor.ws.expect_nothing("message")
