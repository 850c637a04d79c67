"""Referral routes: staff steps, the visitor's answer in the chat, the unit's callback."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatserver.errors import Unauthenticated
from chatserver.transport.http import (
    bearer_token,
    current_staff,
    ok,
    parse_json_object,
    read_body,
    read_json,
)
from triage.referral.record import PROPOSAL_FIELDS
from triage.referral.service import Referrals
from triage.referral.signing import verify
from triage.referral.store import Referral
from triage.referral.views import catalogue, event_view, referral_view

CALLBACK_FIELDS = ("referral_id", "status", "outcome")


def referrals_of(request: Request) -> Referrals:
    referrals: Referrals = request.app.state.referrals
    return referrals


def _answer(request: Request, referral: Referral, status: int = 200) -> Response:
    return ok(referral_view(referrals_of(request).endpoints, referral), status=status)


async def units(request: Request) -> Response:
    await current_staff(request)
    return ok(catalogue(referrals_of(request).endpoints))


async def propose(request: Request) -> Response:
    body = await read_json(request, PROPOSAL_FIELDS)
    staff = await current_staff(request)
    referral = await referrals_of(request).propose(
        staff, request.path_params["conversation_id"], body
    )
    return _answer(request, referral, status=201)


async def conversation_referrals(request: Request) -> Response:
    service = referrals_of(request)
    conversation_id = request.path_params["conversation_id"]
    found = await service.for_conversation(await current_staff(request), conversation_id)
    return ok(
        {
            "referrals": [referral_view(service.endpoints, r) for r in found],
            # The console offers the note only when no family member is coded as perpetrator.
            "trusted_adult_offered": not await service.family_perpetrator(conversation_id),
        }
    )


async def referral(request: Request) -> Response:
    service = referrals_of(request)
    found, events = await service.get(await current_staff(request), request.path_params["rid"])
    view: dict[str, Any] = referral_view(service.endpoints, found)
    return ok({**view, "events": [event_view(event) for event in events]})


async def send(request: Request) -> Response:
    await read_json(request, ())
    staff = await current_staff(request)
    return _answer(
        request, await referrals_of(request).send(staff, request.path_params["rid"]), status=202
    )


async def cancel(request: Request) -> Response:
    await read_json(request, ())
    staff = await current_staff(request)
    return _answer(request, await referrals_of(request).cancel(staff, request.path_params["rid"]))


async def close(request: Request) -> Response:
    body = await read_json(request, ("outcome",))
    staff = await current_staff(request)
    closed = await referrals_of(request).close(staff, request.path_params["rid"], body)
    return _answer(request, closed)


async def overview(request: Request) -> Response:
    service = referrals_of(request)
    found = await service.overview(await current_staff(request))
    return ok(
        {
            "referrals": [referral_view(service.endpoints, r) for r in found.referrals],
            "alerts": found.alerts,
        }
    )


async def visitor_consent(request: Request) -> Response:
    body = await read_json(request, ("consent",))
    answered = await referrals_of(request).visitor_answer(
        bearer_token(request), request.path_params["rid"], body
    )
    return _answer(request, answered)


async def visitor_withdraw(request: Request) -> Response:
    await read_json(request, ())
    withdrawn = await referrals_of(request).visitor_withdraw(
        bearer_token(request), request.path_params["rid"]
    )
    return _answer(request, withdrawn)


async def unit_callback(request: Request) -> Response:
    """A unit tells us it received or closed a referral; signed with its shared secret."""
    service = referrals_of(request)
    body = await read_body(request)
    unit = request.headers.get("X-Referral-Unit", "")
    endpoint = service.endpoints.get(unit)
    if endpoint is None or not verify(
        endpoint.secret,
        request.headers.get("X-Referral-Timestamp", ""),
        request.headers.get("X-Referral-Signature", ""),
        body,
        now=time.time(),
    ):
        raise Unauthenticated("The callback's signature is missing or wrong.")
    updated = await service.unit_update(unit, parse_json_object(body, CALLBACK_FIELDS))
    return ok({"referral_id": updated.id, "status": updated.status.value})


routes = [
    Route("/api/triage/referral-units", units, methods=["GET"]),
    Route(
        "/api/triage/conversations/{conversation_id}/referrals",
        conversation_referrals,
        methods=["GET"],
    ),
    Route("/api/triage/conversations/{conversation_id}/referrals", propose, methods=["POST"]),
    Route("/api/triage/referrals", overview, methods=["GET"]),
    Route("/api/triage/referrals/{rid}", referral, methods=["GET"]),
    Route("/api/triage/referrals/{rid}/send", send, methods=["POST"]),
    Route("/api/triage/referrals/{rid}/cancel", cancel, methods=["POST"]),
    Route("/api/triage/referrals/{rid}/close", close, methods=["POST"]),
    Route("/api/visitor/referrals/{rid}/consent", visitor_consent, methods=["POST"]),
    Route("/api/visitor/referrals/{rid}/withdraw", visitor_withdraw, methods=["POST"]),
    Route("/api/referrals/callback", unit_callback, methods=["POST"]),
]
