"""Visitor HTTP endpoints: is the chat open, start a chat, and leave it at once (quick exit)."""

from __future__ import annotations

import math
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatserver.domain.profile import PROFILE_FIELDS, parse_danger, parse_profile
from chatserver.domain.work import MAX_CHALLENGE_CHARS, NONCE
from chatserver.errors import ChatError, InvalidInput, SourceLimited
from chatserver.metrics import CHAT_STARTS_REFUSED
from chatserver.protocol.server import timestamp
from chatserver.transport.http import (
    bearer_token,
    chat_error_response,
    ok,
    read_json,
    runtime_of,
)
from chatserver.transport.sources import client_source
from chatserver.work import Solution


async def status(request: Request) -> Response:
    """Whether a chat can start now, so the page can say so before the visitor types."""
    runtime = runtime_of(request)
    availability = await runtime.chat.availability()
    opens_at = availability.opens_at
    hours = runtime.settings.opening_hours
    return ok(
        {
            "open": availability.reason is None,
            "reason": availability.reason,
            "opens_at": timestamp(opens_at) if opens_at else None,
            # The closed page names the hours and where to turn meanwhile; never an e-mail.
            "hours": [] if hours is None else hours.describe(),
            "alternatives": [
                {"name": name, "phone": phone} for name, phone in runtime.settings.help_alternatives
            ],
        }
    )


async def start_chat(request: Request) -> Response:
    """No account and nothing about the device: only what the visitor chose to type."""
    body = await read_json(request, (*PROFILE_FIELDS, "in_danger", "work"))
    solution = parse_solution(body.pop("work", None))
    in_danger = parse_danger(body.pop("in_danger", None))
    profile = parse_profile(body)
    runtime = runtime_of(request)
    source = client_source(request, runtime.settings)
    # Work is asked before the source's count: a puzzle handed out costs the visitor nothing.
    await runtime.work.admit(source, solution)
    # Counted after the body is checked: bad input changes nothing, not even the count.
    if source is not None and (wait := runtime.sources.starts.admit(source, time.monotonic())):
        CHAT_STARTS_REFUSED.inc()
        raise SourceLimited(math.ceil(wait))
    conversation, token = await runtime.chat.start_visitor(profile, in_danger)
    return ok(
        {
            "conversation_id": conversation.id,
            "pseudonym": conversation.pseudonym,
            "resume_token": token,
            "websocket_path": "/ws/visitor",
        },
        status=201,
    )


def parse_solution(raw: object) -> Solution | None:
    """``{"challenge", "nonce"}`` as the widget sends a solved puzzle, or nothing."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"challenge", "nonce"}:
        raise InvalidInput('\'work\' must be {"challenge": ..., "nonce": ...}', field="work")
    challenge, nonce = raw["challenge"], raw["nonce"]
    if (
        not isinstance(challenge, str)
        or len(challenge) > MAX_CHALLENGE_CHARS
        or not isinstance(nonce, str)
        or not NONCE.fullmatch(nonce)
    ):
        raise InvalidInput(
            "'work' holds the challenge as given and a nonce of digits and a-z", field="work"
        )
    return Solution(challenge, nonce)


#: The exit answer asks the browser to drop this site's cache and storage (docs/privacy.md);
#: sent on a refusal too, since the page is gone either way.
CLEAR_SITE_DATA = {"Clear-Site-Data": '"cache", "storage"'}


async def quick_exit(request: Request) -> Response:
    """End the chat as a quick exit and revoke the resume token; the browser forgets the rest.

    The token may come in the body too, as ``{"resume_token": ...}``, because a page that
    is being left can only send with ``navigator.sendBeacon``, which sets no headers.
    """
    try:
        await _quick_exit(request)
    except ChatError as error:
        response = await chat_error_response(request, error)
        response.headers.update(CLEAR_SITE_DATA)
        return response
    return Response(status_code=204, headers=CLEAR_SITE_DATA)


async def _quick_exit(request: Request) -> None:
    runtime = runtime_of(request)
    body = await read_json(request, ("resume_token",))
    if "resume_token" not in body:
        token = bearer_token(request)
    elif isinstance(body["resume_token"], str) and body["resume_token"]:
        token = body["resume_token"]
    else:
        raise InvalidInput(
            "'resume_token' must be the token the chat started with", field="resume_token"
        )
    conversation = await runtime.chat.resume_visitor(token)
    await runtime.chat.end_by_visitor(conversation.id, quick_exit=True)


routes = [
    Route("/api/visitor/status", status, methods=["GET"]),
    Route("/api/visitor/chats", start_chat, methods=["POST"]),
    Route("/api/visitor/exit", quick_exit, methods=["POST"]),
]
