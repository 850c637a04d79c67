"""Staff HTTP endpoints: log in and out, two-factor login, accounts, a chat's transcript."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from chatserver.chat import utc_now
from chatserver.domain.roles import Role, require_chat_role
from chatserver.errors import Forbidden
from chatserver.protocol.server import (
    conversation_summary,
    message_frame,
    note_frame,
    staff_summary,
)
from chatserver.transport.http import (
    bearer_token,
    current_staff,
    ok,
    read_json,
    runtime_of,
)
from chatserver.transport.sources import client_source


async def login(request: Request) -> Response:
    body = await read_json(request, ("username", "password", "code"))
    runtime = runtime_of(request)
    staff, token = await runtime.accounts.login(
        body.get("username"),
        body.get("password"),
        body.get("code"),
        source=client_source(request, runtime.settings),
    )
    return ok(
        {
            "token": token,
            "staff": staff_summary(staff),
            "idle_timeout_s": runtime.settings.staff_idle_timeout_s,
            "absolute_timeout_s": runtime.settings.staff_absolute_timeout_s,
        }
    )


async def logout(request: Request) -> Response:
    staff = await current_staff(request)
    await runtime_of(request).accounts.logout(staff, bearer_token(request))
    return Response(status_code=204)


async def me(request: Request) -> Response:
    staff = await current_staff(request)
    two_factor = await runtime_of(request).accounts.two_factor.enabled(staff)
    return ok({"staff": staff_summary(staff), "two_factor": two_factor})


async def enrol_two_factor(request: Request) -> Response:
    """The secret and its ``otpauth://`` URI, shown this once; confirm with a code next."""
    await read_json(request, ())
    staff = await current_staff(request)
    enrolment = await runtime_of(request).accounts.two_factor.enrol(staff)
    return ok({"secret": enrolment.secret, "otpauth_uri": enrolment.otpauth_uri}, status=201)


async def confirm_two_factor(request: Request) -> Response:
    body = await read_json(request, ("code",))
    staff = await current_staff(request)
    await runtime_of(request).accounts.two_factor.confirm(staff, body.get("code"))
    return ok({"two_factor": True})


async def reset_two_factor(request: Request) -> Response:
    staff = await current_staff(request)
    await runtime_of(request).accounts.two_factor.reset(request.path_params["staff_id"], by=staff)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


async def colleagues(request: Request) -> Response:
    """Who can take a transfer, and how many chats each holds (also the supervisor's load view)."""
    staff = await current_staff(request)
    require_chat_role(staff.role)
    runtime = runtime_of(request)
    load = await runtime.repository.chat_load()
    cap = runtime.settings.max_chats_per_counsellor
    return ok(
        {
            "max_chats": cap,
            "colleagues": [
                {"id": c.id, "display_name": c.display_name, "role": c.role.value, "chats": n}
                for c, n in load
            ],
        }
    )


async def list_accounts(request: Request) -> Response:
    staff = await current_staff(request)
    accounts = await runtime_of(request).accounts.list(by=staff)
    return ok({"accounts": [staff_summary(account) for account in accounts]})


async def create_account(request: Request) -> Response:
    staff = await current_staff(request)
    body = await read_json(request, ("username", "display_name", "role", "password"))
    created = await runtime_of(request).accounts.create(
        username=body.get("username"),
        display_name=body.get("display_name"),
        role=body.get("role"),
        password=body.get("password"),
        by=staff,
    )
    return ok({"staff": staff_summary(created)}, status=201)


async def deactivate_account(request: Request) -> Response:
    return await _set_active(request, active=False)


async def activate_account(request: Request) -> Response:
    return await _set_active(request, active=True)


async def _set_active(request: Request, *, active: bool) -> Response:
    staff = await current_staff(request)
    changed = await runtime_of(request).accounts.set_active(
        request.path_params["staff_id"], active, by=staff
    )
    return ok({"staff": staff_summary(changed)})


async def conversation_detail(request: Request) -> Response:
    """Transcript and notes, for the counsellor who holds the chat."""
    staff = await current_staff(request)
    repository = runtime_of(request).repository
    conversation = await repository.conversation(request.path_params["conversation_id"])
    if conversation.counsellor_id != staff.id:
        raise Forbidden("You are not the counsellor of this chat.")
    messages = await repository.messages_after(conversation.id, 0, limit=10_000)
    notes = await repository.notes(conversation.id)
    return ok(
        {
            "conversation": conversation_summary(conversation),
            "messages": [message_frame(message) for message in messages],
            "notes": [note_frame(note) for note in notes],
        }
    )


async def delete_transcript(request: Request) -> Response:
    """A supervisor deletes one ended chat's messages and notes, on request."""
    staff = await current_staff(request)
    if staff.role is not Role.SUPERVISOR:
        raise Forbidden("Only supervisors delete transcripts.")
    await runtime_of(request).repository.delete_transcript(
        request.path_params["conversation_id"], now=utc_now()
    )
    return Response(status_code=204)


routes = [
    Route("/api/staff/login", login, methods=["POST"]),
    Route("/api/staff/logout", logout, methods=["POST"]),
    Route("/api/staff/me", me, methods=["GET"]),
    Route("/api/staff/two-factor", enrol_two_factor, methods=["POST"]),
    Route("/api/staff/two-factor/confirm", confirm_two_factor, methods=["POST"]),
    Route("/api/staff/colleagues", colleagues, methods=["GET"]),
    Route("/api/staff/accounts", list_accounts, methods=["GET"]),
    Route("/api/staff/accounts", create_account, methods=["POST"]),
    Route("/api/staff/accounts/{staff_id}/deactivate", deactivate_account, methods=["POST"]),
    Route("/api/staff/accounts/{staff_id}/activate", activate_account, methods=["POST"]),
    Route("/api/staff/accounts/{staff_id}/two-factor", reset_two_factor, methods=["DELETE"]),
    Route("/api/staff/conversations/{conversation_id}", conversation_detail, methods=["GET"]),
    Route(
        "/api/staff/conversations/{conversation_id}/transcript",
        delete_transcript,
        methods=["DELETE"],
    ),
]
