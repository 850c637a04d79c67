"""Triage HTTP routes: coding, linking, return codes, review and audit. Mounted by the app."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatserver.domain.records import Staff
from chatserver.protocol.server import timestamp
from chatserver.transport.http import bearer_token, current_staff, ok, read_json, runtime_of
from triage.codebook import current_edition, load_editions
from triage.service import Triage, summary

Change = Callable[[Triage, Staff, str, dict[str, Any]], Awaitable[object]]


def triage_of(request: Request) -> Triage:
    triage: Triage = request.app.state.triage
    return triage


async def codebook(request: Request) -> Response:
    await current_staff(request)
    return ok(
        {
            "current": current_edition().id,
            "editions": {key: dataclasses.asdict(e) for key, e in load_editions().items()},
        }
    )


async def conversation(request: Request) -> Response:
    staff = await current_staff(request)
    view, edition = await triage_of(request).view(staff, request.path_params["conversation_id"])
    return ok(summary(view, edition, staff.role))


async def _change(request: Request, fields: Collection[str], change: Change) -> Response:
    """Read the body, apply one change to the conversation, answer with its new state."""
    body = await read_json(request, fields)
    staff = await current_staff(request)
    await change(triage_of(request), staff, request.path_params["conversation_id"], body)
    return await conversation(request)


async def help_question(request: Request) -> Response:
    return await _change(
        request,
        ("help_question",),
        lambda triage, staff, cid, body: triage.set_help_question(
            staff, cid, body.get("help_question")
        ),
    )


async def coding(request: Request) -> Response:
    return await _change(
        request,
        ("edition", "values"),
        lambda triage, staff, cid, body: triage.code(
            staff, cid, body.get("edition"), body.get("values")
        ),
    )


async def exclude(request: Request) -> Response:
    return await _change(
        request,
        ("reason", "note"),
        lambda triage, staff, cid, body: triage.exclude(
            staff, cid, body.get("reason"), body.get("note")
        ),
    )


async def include(request: Request) -> Response:
    return await _change(request, (), lambda triage, staff, cid, body: triage.include(staff, cid))


async def link(request: Request) -> Response:
    body = await read_json(request, ("conversation_ids",))
    staff = await current_staff(request)
    person_id = await triage_of(request).link(staff, body.get("conversation_ids"))
    return ok({"person_id": person_id}, status=201)


async def unlink(request: Request) -> Response:
    staff = await current_staff(request)
    await triage_of(request).unlink(staff, request.path_params["conversation_id"])
    return Response(status_code=204)


async def person(request: Request) -> Response:
    staff = await current_staff(request)
    views = await triage_of(request).person(staff, request.path_params["person_id"])
    edition = current_edition()
    return ok(
        {
            "person_id": request.path_params["person_id"],
            "conversations": [summary(view, edition, staff.role) for view in views],
        }
    )


async def redeem_return_code(request: Request) -> Response:
    body = await read_json(request, ("code",))
    staff = await current_staff(request)
    person_id = await triage_of(request).redeem_return_code(
        staff, body.get("code"), request.path_params["conversation_id"]
    )
    return ok({"person_id": person_id})


async def review(request: Request) -> Response:
    staff = await current_staff(request)
    views = await triage_of(request).review(staff)
    edition = current_edition()
    return ok({"conversations": [summary(view, edition, staff.role) for view in views]})


async def audit(request: Request) -> Response:
    entries = await triage_of(request).audit(
        await current_staff(request), request.query_params.get("conversation_id")
    )
    return ok(
        {"entries": [{**dataclasses.asdict(entry), "at": timestamp(entry.at)} for entry in entries]}
    )


async def visitor_return_code(request: Request) -> Response:
    """A short code the visitor may give next time, so the chats can be linked anonymously."""
    await read_json(request, ())
    conversation = await runtime_of(request).chat.resume_visitor(bearer_token(request))
    code = await triage_of(request).new_return_code(conversation.id)
    return ok({"code": code}, status=201)


routes = [
    Route("/api/triage/codebook", codebook, methods=["GET"]),
    Route("/api/triage/conversations/{conversation_id}", conversation, methods=["GET"]),
    Route(
        "/api/triage/conversations/{conversation_id}/help-question", help_question, methods=["PUT"]
    ),
    Route("/api/triage/conversations/{conversation_id}/coding", coding, methods=["PATCH"]),
    Route("/api/triage/conversations/{conversation_id}/exclusion", exclude, methods=["PUT"]),
    Route("/api/triage/conversations/{conversation_id}/exclusion", include, methods=["DELETE"]),
    Route(
        "/api/triage/conversations/{conversation_id}/return-code",
        redeem_return_code,
        methods=["POST"],
    ),
    Route("/api/triage/links", link, methods=["POST"]),
    Route("/api/triage/links/{conversation_id}", unlink, methods=["DELETE"]),
    Route("/api/triage/persons/{person_id}", person, methods=["GET"]),
    Route("/api/triage/review", review, methods=["GET"]),
    Route("/api/triage/audit", audit, methods=["GET"]),
    Route("/api/visitor/return-code", visitor_return_code, methods=["POST"]),
]
