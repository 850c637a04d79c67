"""Triage: codebook tagging, duplicate-person linking, review and audit, with roles enforced."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import httpx

from tests.support.pilots import Counsellor, Visitor, new_id
from tests.support.server import Server


async def chat_with(server: Server, counsellor: Counsellor) -> Visitor:
    """A visitor whose chat ``counsellor`` (already connected) has taken."""
    visitor = await Visitor.start(server)
    await visitor.connect()
    await counsellor.accept_next()
    await visitor.receive()
    return visitor


async def triage(staff: Counsellor, conversation_id: str) -> dict[str, Any]:
    response = await staff.http("GET", f"/api/triage/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def code(
    staff: Counsellor, conversation_id: str, values: dict[str, Any], **body: Any
) -> httpx.Response:
    return await staff.http(
        "PATCH",
        f"/api/triage/conversations/{conversation_id}/coding",
        json={"values": values, **body},
    )


async def test_counsellor_marks_a_trafficking_help_question(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    visitor = await chat_with(server, counsellor)
    response = await counsellor.http(
        "PUT",
        f"/api/triage/conversations/{visitor.conversation_id}/help-question",
        json={"help_question": True},
    )
    assert response.status_code == 200
    assert response.json()["help_question"] is True


async def test_a_misspelt_body_field_is_refused_naming_it_and_saves_nothing(
    server: Server,
) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    cid = (await chat_with(server, counsellor)).conversation_id
    response = await code(counsellor, cid, {"age": 16}, edtion="ckm-2022")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "edtion"
    assert (await triage(counsellor, cid))["values"] == {}


async def test_a_partial_coding_is_saved_and_completed_later(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    cid = (await chat_with(server, counsellor)).conversation_id
    first = await code(counsellor, cid, {"chatter_background": "victim"})
    assert first.status_code == 200, first.text
    second = await code(counsellor, cid, {"age": 16, "exploitation_form": ["sexual"]})
    values = second.json()["values"]
    assert values == {"chatter_background": "victim", "age": 16, "exploitation_form": ["sexual"]}
    assert second.json()["completeness"]["filled"] == 3


async def test_null_clears_a_field(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    cid = (await chat_with(server, counsellor)).conversation_id
    await code(counsellor, cid, {"age": 16, "gender": "female"})
    cleared = await code(counsellor, cid, {"age": None})
    assert cleared.json()["values"] == {"gender": "female"}


async def test_unknown_is_stored_distinctly_from_no_and_from_not_mentioned(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    cid = (await chat_with(server, counsellor)).conversation_id
    saved = await code(
        counsellor,
        cid,
        {
            "acutely_unsafe": "unknown",
            "first_disclosure": "no",
            "chatter_background": "victim",
            "multiple_perpetrators": "not_mentioned",
            "other_victims_known": "unknown",
        },
    )
    assert saved.status_code == 200, saved.text
    values = (await triage(counsellor, cid))["values"]
    assert values["acutely_unsafe"] == "unknown"
    assert values["first_disclosure"] == "no"
    assert values["multiple_perpetrators"] == "not_mentioned"
    assert values["other_victims_known"] == "unknown"


async def test_age_starts_empty(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    cid = (await chat_with(server, counsellor)).conversation_id
    view = await triage(counsellor, cid)
    assert "age" not in view["values"]
    assert "age" in view["completeness"]["missing"]


async def test_an_invalid_save_names_every_field_and_changes_nothing(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    cid = (await chat_with(server, counsellor)).conversation_id
    await code(counsellor, cid, {"gender": "male"})
    before = await triage(counsellor, cid)
    response = await code(
        counsellor, cid, {"gender": "female", "age": 200, "exploitation_form": ["sexual", "sexual"]}
    )
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["error"]["errors"]}
    assert fields == {"age", "exploitation_form"}
    assert await triage(counsellor, cid) == before


async def test_first_disclosure_is_refused_for_a_chatter_who_is_not_the_victim(
    server: Server,
) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    cid = (await chat_with(server, counsellor)).conversation_id
    response = await code(
        counsellor, cid, {"chatter_background": "family", "first_disclosure": "yes"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "first_disclosure"


async def test_meeting_channel_is_refused_when_the_perpetrator_is_family(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    cid = (await chat_with(server, counsellor)).conversation_id
    response = await code(
        counsellor, cid, {"perpetrator_relation": ["family"], "meeting_channel": "online"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "meeting_channel"


async def test_an_old_conversation_can_be_recoded_under_another_edition(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    cid = (await chat_with(server, counsellor)).conversation_id
    old = await code(counsellor, cid, {"chatter_background": "partner"}, edition="ckm-2020")
    assert old.status_code == 200, old.text
    new = await code(counsellor, cid, {"chatter_background": "ex_partner"})
    assert new.json()["other_editions"] == ["ckm-2020"]
    refused = await code(counsellor, cid, {"chatter_background": "partner"})
    assert refused.status_code == 400


async def test_a_counsellor_cannot_code_a_chat_they_took_no_part_in(server: Server) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    other = await Counsellor.create(server, supervisor, "anna")
    holder = await Counsellor.demo(server)
    await holder.connect()
    cid = (await chat_with(server, holder)).conversation_id
    response = await code(other, cid, {"age": 15})
    assert response.status_code == 403
    assert (await triage(holder, cid))["values"] == {}


async def test_a_counsellor_who_was_transferred_the_chat_may_code_it(server: Server) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    anna = await Counsellor.create(server, supervisor, "anna")
    holder = await Counsellor.demo(server)
    await holder.connect()
    cid = (await chat_with(server, holder)).conversation_id
    reply = await holder.request(
        {"type": "transfer", "conversation_id": cid, "to_staff_id": anna.id}
    )
    assert reply["type"] == "transferred"
    assert (await code(anna, cid, {"age": 15})).status_code == 200


async def test_researchers_review_codings_but_never_see_transcripts(server: Server) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    researcher = await Counsellor.create(server, supervisor, "rita", role="researcher")
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    cid = (await chat_with(server, counsellor)).conversation_id
    await counsellor.say(cid, "Mijn naam is Geheim")
    view = await researcher.http("GET", f"/api/triage/conversations/{cid}")
    assert view.status_code == 200
    assert "Geheim" not in view.text
    transcript = await researcher.http("GET", f"/api/staff/conversations/{cid}")
    assert transcript.status_code == 403


async def test_review_excludes_a_conversation_with_a_codebook_reason(server: Server) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    cid = (await chat_with(server, counsellor)).conversation_id
    path = f"/api/triage/conversations/{cid}/exclusion"
    assert (await counsellor.http("PUT", path, json={"reason": "other"})).status_code == 403
    bad = await supervisor.http("PUT", path, json={"reason": "boredom"})
    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "reason")
    excluded = await supervisor.http(
        "PUT", path, json={"reason": "sextortion_without_exploitation", "note": "geen uitbuiting"}
    )
    assert excluded.json()["excluded_reason"] == "sextortion_without_exploitation"
    included = await supervisor.http("DELETE", path)
    assert included.json()["excluded_reason"] is None


async def test_an_exclusion_reason_that_is_not_text_is_refused_naming_it(server: Server) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    cid = (await chat_with(server, counsellor)).conversation_id
    for reason in ({}, ["other"], 1):
        bad = await supervisor.http(
            "PUT", f"/api/triage/conversations/{cid}/exclusion", json={"reason": reason}
        )
        assert (bad.status_code, bad.json()["error"]["field"]) == (400, "reason")


async def test_review_lists_help_questions_with_their_completeness(server: Server) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    cid = (await chat_with(server, counsellor)).conversation_id
    await counsellor.http(
        "PUT", f"/api/triage/conversations/{cid}/help-question", json={"help_question": True}
    )
    await code(counsellor, cid, {"age": 17})
    assert (await counsellor.http("GET", "/api/triage/review")).status_code == 403
    listed = (await supervisor.http("GET", "/api/triage/review")).json()["conversations"]
    assert [(c["conversation_id"], c["completeness"]["filled"]) for c in listed] == [(cid, 1)]


async def test_linked_conversations_form_one_person_and_can_be_unlinked(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    first = (await chat_with(server, counsellor)).conversation_id
    second = (await chat_with(server, counsellor)).conversation_id
    linked = await counsellor.http(
        "POST", "/api/triage/links", json={"conversation_ids": [first, second]}
    )
    assert linked.status_code == 201
    person_id = linked.json()["person_id"]
    person = await counsellor.http("GET", f"/api/triage/persons/{person_id}")
    assert {c["conversation_id"] for c in person.json()["conversations"]} == {first, second}

    assert (await counsellor.http("DELETE", f"/api/triage/links/{first}")).status_code == 204
    assert (await triage(counsellor, second))["person_id"] is None
    gone = await counsellor.http("GET", f"/api/triage/persons/{person_id}")
    assert gone.status_code == 404


async def test_linking_two_persons_merges_them(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    ids = [(await chat_with(server, counsellor)).conversation_id for _ in range(3)]
    for pair in (ids[:2], ids[1:]):
        response = await counsellor.http(
            "POST", "/api/triage/links", json={"conversation_ids": pair}
        )
        assert response.status_code == 201
    people = {(await triage(counsellor, cid))["person_id"] for cid in ids}
    assert len(people) == 1


async def test_a_return_code_links_the_next_chat_without_identifying_data(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    earlier = await chat_with(server, counsellor)
    async with httpx.AsyncClient() as client:
        issued = await client.post(
            f"{server.base_url}/api/visitor/return-code",
            headers={"Authorization": f"Bearer {earlier.token}"},
        )
    assert issued.status_code == 201
    code_text = issued.json()["code"]
    later = (await chat_with(server, counsellor)).conversation_id
    redeemed = await counsellor.http(
        "POST", f"/api/triage/conversations/{later}/return-code", json={"code": code_text.lower()}
    )
    assert redeemed.status_code == 200
    assert (await triage(counsellor, earlier.conversation_id))["person_id"] == redeemed.json()[
        "person_id"
    ]
    wrong = await counsellor.http(
        "POST", f"/api/triage/conversations/{later}/return-code", json={"code": "ZZZZZZZZ"}
    )
    assert wrong.status_code == 400


async def test_asking_for_a_return_code_with_an_unknown_body_field_is_refused(
    server: Server,
) -> None:
    visitor = await Visitor.start(server)
    async with httpx.AsyncClient() as client:
        refused = await client.post(
            f"{server.base_url}/api/visitor/return-code",
            headers={"Authorization": f"Bearer {visitor.token}"},
            json={"name": "Anna"},
        )
    assert (refused.status_code, refused.json()["error"]["field"]) == (400, "name")


async def test_every_change_is_in_the_audit_log_for_supervisors_only(server: Server) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    cid = (await chat_with(server, counsellor)).conversation_id
    await code(counsellor, cid, {"age": 16})
    await code(counsellor, cid, {"age": 17})
    await supervisor.http(
        "PUT", f"/api/triage/conversations/{cid}/exclusion", json={"reason": "other"}
    )
    assert (await counsellor.http("GET", "/api/triage/audit")).status_code == 403
    entries = (
        await supervisor.http("GET", "/api/triage/audit", params={"conversation_id": cid})
    ).json()["entries"]
    assert [e["action"] for e in entries] == ["excluded", "coding", "coding"]
    assert entries[1]["details"]["changes"] == {"age": [16, 17]}
    assert entries[1]["staff_id"] == counsellor.id


async def test_an_invalid_save_leaves_no_audit_entry(server: Server) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    cid = (await chat_with(server, counsellor)).conversation_id
    assert (await code(counsellor, cid, {"age": -1})).status_code == 400
    entries = (await supervisor.http("GET", "/api/triage/audit")).json()["entries"]
    assert entries == []


async def test_visitors_have_no_access_to_triage(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    visitor = await chat_with(server, counsellor)
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"{server.base_url}/api/triage/conversations/{visitor.conversation_id}",
            headers={"Authorization": f"Bearer {visitor.token}"},
        )
    assert response.status_code == 401


async def test_the_codebook_is_served_with_dutch_and_english_labels(server: Server) -> None:
    counsellor = await Counsellor.demo(server)
    body = (await counsellor.http("GET", "/api/triage/codebook")).json()
    current = body["editions"][body["current"]]
    age = next(v for v in current["variables"] if v["name"] == "age")
    assert age["label_nl"]
    assert age["label_en"]
    assert "default" not in age


# -- what researchers may know ---------------------------------------------------------------------

MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


async def researcher_views(server: Server) -> tuple[Visitor, list[dict[str, Any]]]:
    """A linked help question as a researcher reads it: alone, in the review and as a person."""
    supervisor = await Counsellor.demo(server, "supervisor")
    researcher = await Counsellor.create(
        server, supervisor, f"rita{new_id()[:8]}", role="researcher"
    )
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    visitor = await chat_with(server, counsellor)
    cid = visitor.conversation_id
    other = (await chat_with(server, counsellor)).conversation_id
    await counsellor.http(
        "PUT", f"/api/triage/conversations/{cid}/help-question", json={"help_question": True}
    )
    linked = await counsellor.http(
        "POST", "/api/triage/links", json={"conversation_ids": [cid, other]}
    )
    alone = await researcher.http("GET", f"/api/triage/conversations/{cid}")
    review = await researcher.http("GET", "/api/triage/review")
    person = await researcher.http("GET", f"/api/triage/persons/{linked.json()['person_id']}")
    assert [alone.status_code, review.status_code, person.status_code] == [200, 200, 200]
    return visitor, [
        alone.json(),
        *[c for c in review.json()["conversations"] if c["conversation_id"] == cid],
        *person.json()["conversations"],
    ]


async def test_researchers_triage_views_carry_no_pseudonym(server: Server) -> None:
    visitor, views = await researcher_views(server)
    assert len(views) == 4
    for view in views:
        assert view["pseudonym"] is None
        assert visitor.pseudonym not in json.dumps(view)


async def test_researchers_triage_views_carry_no_time_finer_than_the_month(
    server: Server,
) -> None:
    _, views = await researcher_views(server)
    for view in views:
        assert view["started_at"] is None
        assert MONTH.fullmatch(view["started_month"]), view["started_month"]
        assert not re.search(r"T[0-9]{2}:|[0-9]{4}-[0-9]{2}-[0-9]{2}", json.dumps(view)), view


async def test_counsellors_and_supervisors_still_see_the_pseudonym_and_the_start_time(
    server: Server,
) -> None:
    supervisor = await Counsellor.demo(server, "supervisor")
    counsellor = await Counsellor.demo(server)
    await counsellor.connect()
    visitor = await chat_with(server, counsellor)
    for staff in (counsellor, supervisor):
        view = await triage(staff, visitor.conversation_id)
        assert view["pseudonym"] == visitor.pseudonym
        started = datetime.fromisoformat(view["started_at"])
        assert view["started_month"] == started.strftime("%Y-%m")
